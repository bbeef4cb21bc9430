"""HTTP inputs an adversarial run found mishandled (issue 12), against the agent end to end."""
import base64
import subprocess

from conftest import http_get
from test_agent_security import secured_agent  # noqa: F401 (a fixture)


def curl(*args):
    return subprocess.run(["curl", "-s", "-o", "-", "-w", "\n%{http_code}", *args], capture_output=True, text=True).stdout.rsplit("\n", 1)


def failures(text):
    lines = [line for line in text.splitlines() if line.startswith("bitprobe_http_authentication_failures_total ")]
    return float(lines[0].split()[1]) if lines else None


def test_failed_logins_are_counted_and_lowercase_basic_logs_in(secured_agent):  # noqa: F811
    agent, ca = secured_agent
    url = f"https://127.0.0.1:{agent.port}/metrics"
    good = base64.b64encode(b"prometheus:s3cret").decode()
    body, status = curl("--cacert", str(ca), "-H", f"Authorization: basic {good}", url)
    assert status == "200"
    before = failures(body)
    assert before is not None
    nul = base64.b64encode(b"prometheus:s3cret\0more").decode()
    assert curl("--cacert", str(ca), "-H", f"Authorization: Basic {nul}", url)[1] == "401"
    assert curl("--cacert", str(ca), "-u", "prometheus:wrong", url)[1] == "401"
    body, status = curl("--cacert", str(ca), "-u", "prometheus:s3cret", url)
    assert status == "200"
    assert failures(body) == before + 2


def test_an_escaped_nul_does_not_reach_the_metrics(agent):
    assert http_get(agent.url + "/metrics%00x")[0] == 404
    assert http_get(agent.url + "/metrics")[0] == 200
