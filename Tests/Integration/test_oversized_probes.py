"""A probe too large for the host's memory: refused by check-config, skipped by the agent (issue 12)."""
import re
import subprocess

from conftest import BINARY, http_get, wait_until

HUGE = """
interval: 1s
jitter: 0s
duty_cycle_budget: 1
probes:
  warmup_iterations: 0
  measurement_iterations: 1
  min_measurement_time: 0s
  suite:
    - op: matmul
      dtype: f32
      shape: [1000000x1000000x1000000, 8x8x8]
web:
  listen_address: 127.0.0.1:{port}
"""

NEEDS = r"probe cpu0 matmul f32 1000000x1000000x1000000 needs 10\.91 TiB of buffers but only \d+\.\d\d [KMGT]iB of memory is available"


def test_check_config_refuses_a_probe_that_does_not_fit(tmp_path):
    path = tmp_path / "huge.yml"
    path.write_text(HUGE.replace("{port}", "0"))
    result = subprocess.run([BINARY, "check-config", str(path)], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (1, "")
    assert re.fullmatch(f"bitprobe check-config: error: {NEEDS}\n", result.stderr), result.stderr


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def runs(agent, shape, result):
    _, _, body = http_get(agent.url + "/metrics")
    for line in body.decode().splitlines():
        if line.startswith("bitprobe_probe_runs_total{") and f'shape="{shape}"' in line and f'result="{result}"' in line:
            return float(line.split()[-1])
    return 0


def test_the_agent_skips_it_with_its_reason_and_runs_the_rest(agent_factory):
    agent = agent_factory(config=HUGE)
    agent.wait_ready()
    wait_until(lambda: runs(agent, "1000000x1000000x1000000", "skipped") >= 2, 30, what="two skipped runs")
    assert runs(agent, "1000000x1000000x1000000", "failed") == 0
    assert runs(agent, "8x8x8", "ok") >= 2
    assert rss_bytes(agent.process.pid) < 512 << 20
    assert re.search(f'probe skipped.*reason="{NEEDS}"', agent.log_path.read_text())
