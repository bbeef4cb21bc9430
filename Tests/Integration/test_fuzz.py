"""A bounded fuzz run (issue 12): malformed HTTP requests, YAML configs and baseline JSON must not
crash or hang the agent or the CLI, nor make the agent's memory or descriptors grow. scripts/fuzz
runs the same generators for longer."""
import random
import subprocess
import time

from conftest import BINARY, http_get, wait_until
from fuzzing import footprint, fuzz_baselines, fuzz_check_config, fuzz_http, fuzz_reloads
from test_agent_lifecycle import reload_gauge

SEED = 12


def test_malformed_http_requests(agent):
    for _ in range(200):
        for path in ("/metrics", "/", "/api/v1/probes", "/nothing"):
            http_get(agent.url + path)
    time.sleep(1)
    rss_before, fds_before = footprint(agent.process.pid)
    outcomes = fuzz_http(agent.port, 3000, random.Random(SEED))
    assert outcomes["hung"] == 0, outcomes
    assert agent.process.poll() is None, agent.log_path.read_text()[-2000:]
    assert http_get(agent.url + "/metrics")[0] == 200
    time.sleep(1)
    rss_after, fds_after = footprint(agent.process.pid)
    assert fds_after <= fds_before + 2, (fds_before, fds_after)
    assert rss_after - rss_before < 8 << 20, (rss_before, rss_after)


def test_malformed_yaml_in_check_config_and_on_reload(agent, tmp_path):
    good = agent.config_path.read_text()
    statuses = fuzz_check_config(BINARY, str(tmp_path), 120, random.Random(SEED), good)
    assert set(statuses) <= {0, 1}, statuses
    assert fuzz_reloads(BINARY, str(agent.config_path), agent.process.pid, 40, random.Random(SEED + 1), good) == 40
    wait_until(lambda: reload_gauge(agent) == 1, 20, what="the good config reloaded")
    assert agent.process.poll() is None
    assert http_get(agent.url + "/-/ready")[0] == 200


def test_malformed_baselines_in_list_and_show(tmp_path):
    subprocess.run([BINARY, "baseline", "create", "seed", "--baseline-dir", str(tmp_path), "--op", "add,matmul", "--shape", "1000,8x8x8",
                    "--rounds", "1", "--duration", "0", "--warmup", "0", "--iterations", "2", "--min-time", "0", "--max-quiet-wait", "0"],
                   check=True, capture_output=True, timeout=60)
    good = (tmp_path / "seed.json").read_text()
    statuses = fuzz_baselines(BINARY, str(tmp_path), good, 100, random.Random(SEED))
    assert set(statuses) <= {0, 3}, statuses
