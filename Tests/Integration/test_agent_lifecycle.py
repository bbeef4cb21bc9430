"""Signals, reloads and configuration errors of the agent process."""
import signal
import subprocess
import time

from conftest import BINARY, FAST_CONFIG, http_get, wait_until

SLOW_CONFIG = """
interval: 1s
jitter: 0s
duty_cycle_budget: 1
probes:
  simd: portable
  warmup_iterations: 0
  measurement_iterations: 50
  timeout: 120s
  suite:
    - op: matmul
      dtype: f32
      shape: [1536x1536x1536]
web:
  listen_address: 127.0.0.1:{port}
"""


def test_sigterm_while_a_probe_runs_exits_0_within_5_seconds(agent_factory):
    agent = agent_factory(config=SLOW_CONFIG)
    wait_until(lambda: http_get(agent.url + "/-/healthy")[0] == 200, 30, what="agent listening")
    time.sleep(1.0)  # the portable 1536^3 matmul takes seconds per iteration: a probe is in flight
    assert http_get(agent.url + "/-/ready")[0] == 503
    start = time.monotonic()
    agent.process.send_signal(signal.SIGTERM)
    code = agent.process.wait(10)
    elapsed = time.monotonic() - start
    assert code == 0, agent.log_path.read_text()
    assert elapsed < 5, f"took {elapsed:.2f}s"


def test_sigint_stops_too(agent):
    agent.process.send_signal(signal.SIGINT)
    assert agent.process.wait(10) == 0


def reload_gauge(agent):
    _, _, body = http_get(agent.url + "/metrics")
    for line in body.decode().splitlines():
        if line.startswith("bitprobe_config_last_reload_successful "):
            return float(line.split()[1])
    raise AssertionError("no reload gauge")


def test_sighup_with_a_bad_file_keeps_running_and_reports_it(agent):
    good = agent.config_path.read_text()
    agent.config_path.write_text(good + "unknown_key: 1\n")
    agent.process.send_signal(signal.SIGHUP)
    wait_until(lambda: reload_gauge(agent) == 0, 10, what="reload gauge 0")
    assert "configuration reload failed" in agent.log_path.read_text()
    assert "unknown_key: unknown key" in agent.log_path.read_text()
    assert http_get(agent.url + "/-/ready")[0] == 200
    agent.config_path.write_text(good)
    agent.process.send_signal(signal.SIGHUP)
    wait_until(lambda: reload_gauge(agent) == 1, 10, what="reload gauge 1")


def test_bad_config_file_stops_start_with_its_location(tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text("interval: 60s\nprobes:\n  timeout: soon\n")
    result = subprocess.run([BINARY, "agent", "--config.file", str(path)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 3
    assert result.stderr.splitlines()[-1] == f"bitprobe agent: error: {path}:3:12: probes.timeout: expected a duration such as 30s, 5m or 1h30m, got 'soon'"


def test_busy_port_is_reported(agent, tmp_path):
    path = tmp_path / "second.yml"
    path.write_text(FAST_CONFIG.replace("{port}", str(agent.port)))
    result = subprocess.run([BINARY, "agent", "--config.file", str(path)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 3
    assert "Address already in use" in result.stderr.splitlines()[-1]


def test_check_config(tmp_path):
    good = tmp_path / "good.yml"
    good.write_text(FAST_CONFIG.replace("{port}", "0"))
    result = subprocess.run([BINARY, "check-config", str(good)], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout == f"{good}: OK (5 probes every 1.0 s, listening on 127.0.0.1:0)\n"
    bad = tmp_path / "bad.yml"
    bad.write_text("web:\n  listen_adress: :9961\n")
    result = subprocess.run([BINARY, "check-config", str(bad)], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr == f"bitprobe check-config: error: {bad}:2:3: web.listen_adress: unknown key\n"
