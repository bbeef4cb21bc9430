"""Config files that once crashed, truncated or hung the agent and check-config (issue 12)."""
import os
import signal
import subprocess

from conftest import BINARY, http_get, wait_until
from test_agent_lifecycle import reload_gauge

DEEP = "x: " + "[" * 10000 + "]" * 10000 + "\n"


def check_config(path):
    return subprocess.run([BINARY, "check-config", str(path)], capture_output=True, text=True, timeout=60)


def test_deeply_nested_yaml_is_refused_with_its_place(tmp_path):
    path = tmp_path / "deep.yml"
    path.write_text(DEEP)
    result = check_config(path)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"bitprobe check-config: error: {path}:1:67: nested deeper than 64 levels\n"


def test_a_file_over_the_size_limit_is_refused_not_cut(tmp_path):
    # A web: section past the limit was silently dropped: the agent then served without TLS or auth.
    path = tmp_path / "big.yml"
    path.write_text("interval: 1s\n" + "#" * (1 << 20) + "\nweb:\n  config_file: web.yml\n")
    result = check_config(path)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"bitprobe check-config: error: cannot read config file '{path}': larger than the 1048576-byte limit\n"


def test_a_fifo_named_as_config_is_refused_without_blocking(tmp_path):
    path = tmp_path / "fifo.yml"
    os.mkfifo(path)
    result = check_config(path)
    assert result.returncode == 1
    assert result.stderr == f"bitprobe check-config: error: cannot read config file '{path}': not a regular file\n"


def test_sighup_with_deep_yaml_keeps_the_agent_running(agent):
    good = agent.config_path.read_text()
    agent.config_path.write_text(DEEP)
    agent.process.send_signal(signal.SIGHUP)
    wait_until(lambda: reload_gauge(agent) == 0, 10, what="reload gauge 0")
    assert agent.process.poll() is None
    assert "nested deeper than 64 levels" in agent.log_path.read_text()
    assert http_get(agent.url + "/-/healthy")[0] == 200
    agent.config_path.write_text(good)
    agent.process.send_signal(signal.SIGHUP)
    wait_until(lambda: reload_gauge(agent) == 1, 10, what="reload gauge 1")


def test_durations_past_a_year_are_refused_by_check_config(tmp_path):
    # check-config accepted these; the agent then trapped after its first cycle (exit 132).
    path = tmp_path / "far.yml"
    path.write_text("interval: 1s\njitter: 10000000000y\n")
    result = check_config(path)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"bitprobe check-config: error: {path}:2:9: jitter: must be at most 365d, got 10000000000y\n"


def test_an_empty_file_is_an_error_not_the_defaults(tmp_path):
    path = tmp_path / "empty.yml"
    path.write_text("# nothing left\n")
    result = check_config(path)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (f"bitprobe check-config: error: config file '{path}' is empty (no YAML document); "
                             "leave out --config.file for the embedded default\n")


def test_reloading_an_emptied_file_keeps_the_running_configuration(agent):
    good = agent.config_path.read_text()
    agent.config_path.write_text("")
    agent.process.send_signal(signal.SIGHUP)
    wait_until(lambda: reload_gauge(agent) == 0, 10, what="reload gauge 0")
    assert "is empty (no YAML document)" in agent.log_path.read_text()
    agent.config_path.write_text(good)
    agent.process.send_signal(signal.SIGHUP)
    wait_until(lambda: reload_gauge(agent) == 1, 10, what="reload gauge 1")
