"""TLS and basic auth from an exporter-toolkit web config file."""
import subprocess

import bcrypt
import pytest

from conftest import FAST_CONFIG, http_get, wait_until


@pytest.fixture
def secured_agent(tmp_path, agent_factory):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", str(tmp_path / "server.key"), "-out", str(tmp_path / "server.crt")],
                   check=True, capture_output=True)
    hashed = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=10)).decode()
    (tmp_path / "web.yml").write_text(f"""
tls_server_config:
  cert_file: server.crt
  key_file: server.key
basic_auth_users:
  prometheus: {hashed}
""")
    config = FAST_CONFIG + f"  config_file: {tmp_path / 'web.yml'}\n"
    agent = agent_factory(config=config)

    def ready():
        if agent.process.poll() is not None:
            raise AssertionError(agent.log_path.read_text())
        result = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", str(tmp_path / "server.crt"),
                                 "-u", "prometheus:s3cret", f"https://127.0.0.1:{agent.port}/-/ready"], capture_output=True, text=True)
        return result.stdout == "200"
    wait_until(ready, 60, what="TLS agent readiness")
    return agent, tmp_path / "server.crt"


def curl_status(*args):
    result = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", *args], capture_output=True, text=True)
    return result.stdout


def test_tls_scrape_with_ca_and_credentials(secured_agent):
    agent, ca = secured_agent
    url = f"https://127.0.0.1:{agent.port}/metrics"
    assert curl_status("--cacert", str(ca), "-u", "prometheus:s3cret", url) == "200"
    out = subprocess.run(["curl", "-s", "--cacert", str(ca), "-u", "prometheus:s3cret", url], capture_output=True, text=True).stdout
    assert "bitprobe_probe_runs_total" in out


def test_wrong_or_missing_credentials_get_401(secured_agent):
    agent, ca = secured_agent
    url = f"https://127.0.0.1:{agent.port}/metrics"
    assert curl_status("--cacert", str(ca), url) == "401"
    assert curl_status("--cacert", str(ca), "-u", "prometheus:wrong", url) == "401"
    assert curl_status("--cacert", str(ca), "-u", "mallory:s3cret", url) == "401"
    headers = subprocess.run(["curl", "-s", "-D", "-", "-o", "/dev/null", "--cacert", str(ca), url], capture_output=True, text=True).stdout
    assert 'WWW-Authenticate: Basic realm="bitprobe"' in headers


def test_plain_http_is_refused_on_a_tls_port(secured_agent):
    agent, _ = secured_agent
    assert curl_status("--max-time", "3", f"http://127.0.0.1:{agent.port}/metrics") in {"000", "400"}
