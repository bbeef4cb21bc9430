"""A simulated fleet on loopback: 20 agents, three of them slowed with BITPROBE_FAULT_INJECT, scraped by
one real Prometheus with the shipped rules; BitprobeNodeBelowFleet fires for exactly the slowed nodes.
Then the central-store path: a Prometheus in agent mode scrapes the same agents and remote-writes to a
central Prometheus (remote-write receiver), which evaluates the fleet rules and answers the same query.

Only `for:` of BitprobeNodeBelowFleet is shortened (15m to 20s) in the rules Prometheus loads, so the
test takes a minute, not a quarter of an hour; alerts/tests/fleet.test.yml covers the 15 minutes.
Everything listens on 127.0.0.1; every wait is bounded. docs/deployment.md#the-fleet-view-in-prometheus.
"""
import json
import os
import subprocess
import time
import urllib.parse

import pytest

from conftest import ROOT, Agent, free_port, http_get, stop_process, wait_until

yaml = pytest.importorskip("yaml", reason="PyYAML rewrites the rule file's `for`")

AGENT_RULES = os.path.join(ROOT, "alerts", "bitprobe.rules.yml")
FLEET_RULES = os.path.join(ROOT, "alerts", "bitprobe-fleet.rules.yml")
FLEET_SIZE = 20
SLOWED = (3, 11, 17)
# 2 cores run 20 agents and 3 Prometheus servers: one thread per agent, two probes of about 0.15 ms
# each, a cycle a second. Compute-bound probes on cache-resident data: memory-bound ones (add, copy)
# differed by up to 1.21x between unslowed agents here, from where each process's buffers landed,
# which is the alert's threshold; and 20 µs kernels (128³) read 1.22x on an unslowed agent while
# other builds ran.
FLEET_CONFIG = """
interval: 1s
jitter: 0s
duty_cycle_budget: 1
probes:
  warmup_iterations: 1
  measurement_iterations: 5
  min_measurement_time: 0s
  threads: 1
  timeout: 20s
  suite:
    - op: matmul
      dtype: f32
      shape: [256x256x256]
    - op: ternary_matmul
      dtype: i8_ternary
      shape: [256x256x512]
web:
  listen_address: 127.0.0.1:{port}
"""
SLOWED_OP = "matmul"
INJECTION = f"op={SLOWED_OP},dtype=f32,factor=3"
# 20 s, not less: under a full `make test` an unslowed agent on the shared cores once read 1.24x for
# over 10 s (matmul and ternary_matmul both: a stall) and fired; 20 s asks a stall to last twice that.
SHORT_FOR = "20s"


def fast_fleet_rules(path):
    """The shipped fleet rules, loaded and written back with only BitprobeNodeBelowFleet's `for` changed."""
    with open(FLEET_RULES, encoding="utf-8") as f:
        rules = yaml.safe_load(f)
    (alert,) = [r for g in rules["groups"] for r in g["rules"] if r.get("alert") == "BitprobeNodeBelowFleet"]
    assert alert["for"] == "15m"
    alert["for"] = SHORT_FOR
    path.write_text(yaml.safe_dump(rules, sort_keys=False))
    return str(path)


class Prometheus:
    def __init__(self, tmp_path, name, config, extra_args=()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        directory = tmp_path / name
        directory.mkdir()
        (directory / "prometheus.yml").write_text(config)
        storage = "--storage.agent.path" if "--enable-feature=agent" in extra_args else "--storage.tsdb.path"
        self.log = open(directory / "prometheus.log", "w")
        self.log_path = directory / "prometheus.log"
        self.process = subprocess.Popen(
            ["prometheus", f"--config.file={directory / 'prometheus.yml'}", f"{storage}={directory / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}", *extra_args],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(lambda: self.process.poll() is None and http_get(self.url + "/-/ready")[0] == 200, 30,
                   what=f"{name} readiness", explain=lambda: self.log_path.read_text()[-2000:])

    def query(self, expression):
        query = urllib.parse.urlencode({"query": expression})
        status, _, body = http_get(f"{self.url}/api/v1/query?{query}", timeout=10)
        document = json.loads(body)
        assert status == 200 and document["status"] == "success", f"{expression}: {document}"
        return document["data"]["result"]

    def stop(self):
        stop_process(self.process, self.log)


def scrape_config(targets):
    return (f"""
  - job_name: bitprobe
    scrape_interval: 1s
    static_configs:
      - targets: {json.dumps(targets)}
""")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("fleet")
    agents, servers = [], []
    try:
        for index in range(FLEET_SIZE):
            directory = tmp_path / f"node{index}"
            directory.mkdir()
            env = {"BITPROBE_FAULT_INJECT": INJECTION} if index in SLOWED else {}
            agents.append(Agent(directory, config=FLEET_CONFIG, env=env))
        for agent in agents:
            agent.wait_ready()
        targets = [f"127.0.0.1:{a.port}" for a in agents]
        slowed = {targets[i] for i in SLOWED}
        rules = fast_fleet_rules(tmp_path / "fleet.rules.yml")

        direct = Prometheus(tmp_path, "direct", f"""
global:
  evaluation_interval: 1s
rule_files: ["{AGENT_RULES}", "{rules}"]
scrape_configs:{scrape_config(targets)}""")
        servers.append(direct)
        central = Prometheus(tmp_path, "central", f"""
global:
  evaluation_interval: 1s
rule_files: ["{rules}"]
""", extra_args=["--web.enable-remote-write-receiver"])
        servers.append(central)
        forwarder = Prometheus(tmp_path, "agent-mode", f"""
scrape_configs:{scrape_config(targets)}
remote_write:
  - url: {central.url}/api/v1/write
    queue_config:
      batch_send_deadline: 1s
""", extra_args=["--enable-feature=agent"])
        servers.append(forwarder)
        yield {"direct": direct, "central": central, "forwarder": forwarder, "targets": targets, "slowed": slowed}
    finally:
        for server in reversed(servers):
            server.stop()
        for agent in agents:
            agent.stop()


def alerting(prometheus, state="firing"):
    return {(a["metric"]["instance"], a["metric"]["op"])
            for a in prometheus.query(f'ALERTS{{alertname="BitprobeNodeBelowFleet", alertstate="{state}"}}')}


def fleet_state(prometheus):
    ratios = prometheus.query("instance:bitprobe_probe_fleet_slowdown:ratio")
    lines = (f'{r["metric"]["instance"]} {r["metric"]["op"]} {float(r["value"][1]):.2f}' for r in ratios)
    return "\n".join(sorted(lines))


def assert_exactly_slowed_nodes_fire(prometheus, fleet):
    expected = {(instance, SLOWED_OP) for instance in fleet["slowed"]}
    wait_until(lambda: len(prometheus.query("class:bitprobe_probe_nodes:count == 20")) == 2, 60, interval=1,
               what="the fleet rules to see all 20 nodes", explain=lambda: fleet_state(prometheus))
    wait_until(lambda: alerting(prometheus) == expected, 60, interval=1, what="BitprobeNodeBelowFleet firing",
               explain=lambda: f"firing: {sorted(alerting(prometheus))}\n{fleet_state(prometheus)}")
    # And it stays that way over the next evaluations. Another node may turn pending for a moment
    # when the shared machine stalls it (seen at up to 1.5x here while other builds ran), but staying
    # above 1.2x for `for` is what firing takes, and only the slowed nodes do.
    for _ in range(5):
        assert alerting(prometheus) == expected, fleet_state(prometheus)
        time.sleep(1)
    medians = prometheus.query("class:bitprobe_probe_bytes_per_second:fleet_median")
    classes = {(m["metric"]["backend"], m["metric"]["op"]) for m in medians}
    assert classes == {("cpu", "matmul"), ("cpu", "ternary_matmul")}
    assert all(m["metric"]["name"] and m["metric"]["threads"] == "1" for m in medians)
    slow = {r["metric"]["instance"]: float(r["value"][1])
            for r in prometheus.query(f'instance:bitprobe_probe_fleet_slowdown:ratio{{op="{SLOWED_OP}"}}')}
    assert len(slow) == FLEET_SIZE
    for instance in fleet["slowed"]:
        assert slow[instance] > 2, fleet_state(prometheus)  # injected 3x; the spin adds to the kernel's time
    healthy = sorted(float(r["value"][1]) for r in prometheus.query("instance:bitprobe_probe_fleet_slowdown:ratio")
                     if (r["metric"]["instance"], r["metric"]["op"]) not in expected)
    slowed = sorted(round(slow[i], 2) for i in fleet["slowed"])
    print(f"{prometheus.url}: unslowed ratios {healthy[0]:.2f}..{healthy[-1]:.2f}, slowed {slowed}")


def test_fleet_alert_fires_for_exactly_the_slowed_nodes(fleet):
    assert_exactly_slowed_nodes_fire(fleet["direct"], fleet)
    up = fleet["direct"].query('sum(up{job="bitprobe"})')
    assert float(up[0]["value"][1]) == FLEET_SIZE


def test_central_prometheus_answers_the_fleet_query_from_remote_write(fleet):
    central = fleet["central"]
    # The central server scrapes nothing: every series it holds, `up` of the 20 agents included, came
    # through remote write.
    status, _, body = http_get(central.url + "/api/v1/targets")
    assert status == 200 and json.loads(body)["data"]["activeTargets"] == []
    wait_until(lambda: len(central.query('up{job="bitprobe"} == 1')) == FLEET_SIZE, 30, what="forwarded up series")
    assert_exactly_slowed_nodes_fire(central, fleet)
    status, _, body = http_get(fleet["forwarder"].url + "/metrics")
    assert status == 200
    sent = [line for line in body.decode().splitlines()
            if line.startswith("prometheus_remote_storage_samples_total") or
            line.startswith("prometheus_remote_storage_succeeded_samples_total")]
    assert sent and float(sent[0].split()[-1]) > 0, sent
