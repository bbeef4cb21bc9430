"""A real Prometheus (Debian's) scrapes the agent every second; its HTTP API must see the series."""
import json
import subprocess
import urllib.parse

import pytest

from conftest import free_port, http_get, stop_process, wait_until


@pytest.fixture
def prometheus(tmp_path, agent):
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(f"""
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: bitprobe
    static_configs:
      - targets: ["127.0.0.1:{agent.port}"]
""")
    log = open(tmp_path / "prometheus.log", "w")
    process = subprocess.Popen(["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
                                f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: http_get(url + "/-/ready")[0] == 200, 30, what="prometheus readiness")
        yield url
    finally:
        stop_process(process, log)


def query(url, expression):
    status, _, body = http_get(url + "/api/v1/query?" + urllib.parse.urlencode({"query": expression}))
    assert status == 200, body
    return json.loads(body)["data"]["result"]


def test_prometheus_scrapes_the_agent(prometheus):
    up = wait_until(lambda: query(prometheus, 'up{job="bitprobe"} == 1'), 30, what="up == 1")
    assert up[0]["value"][1] == "1"
    ok_runs = wait_until(lambda: query(prometheus, 'bitprobe_probe_runs_total{result="ok",op="ternary_matmul"}'), 30,
                         what="ternary_matmul runs")
    assert float(ok_runs[0]["value"][1]) >= 1
    throughput = query(prometheus, 'bitprobe_probe_ops_per_second{op="matmul",dtype="f32"}')
    assert float(throughput[0]["value"][1]) > 0
    buckets = query(prometheus, 'bitprobe_probe_duration_seconds_bucket{op="add",le="+Inf"}')
    assert float(buckets[0]["value"][1]) >= 3
    # Prometheus negotiated OpenMetrics with the agent, so the scrape carried no parse errors.
    assert query(prometheus, 'scrape_samples_scraped{job="bitprobe"} > 50')


def scraper_ports(agent_port):
    """Local ports of the established connections to the agent (Prometheus's ends)."""
    out = subprocess.run(["ss", "-Htn", "state", "established", f"( dport = :{agent_port} )"],
                         capture_output=True, text=True, check=True).stdout
    return {line.split()[-2].rsplit(":", 1)[1] for line in out.splitlines() if line.strip()}


def test_prometheus_scrapes_over_one_kept_connection(prometheus, agent):
    wait_until(lambda: query(prometheus, 'up{job="bitprobe"} == 1'), 30, what="up == 1")
    before = wait_until(lambda: scraper_ports(agent.port), 10, what="Prometheus's connection")
    scrapes = 'count_over_time(up{job="bitprobe"}[1h])'
    scrapes_before = float(query(prometheus, scrapes)[0]["value"][1])
    wait_until(lambda: float(query(prometheus, scrapes)[0]["value"][1]) >= scrapes_before + 4, 30, what="four more scrapes")
    assert scraper_ports(agent.port) == before
    assert len(before) == 1
    assert query(prometheus, 'up{job="bitprobe"} == 1')
