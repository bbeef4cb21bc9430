"""The agent's HTTP surface, end to end against the built binary on 127.0.0.1."""
import gzip
import json
import subprocess

from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

from conftest import http_get

PROMETHEUS_2_ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
                       "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")


def test_text_exposition_parses_and_has_probe_series(agent):
    status, headers, body = http_get(agent.url + "/metrics")
    assert status == 200
    assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    families = {f.name: f for f in parse_text(body.decode())}
    assert families["bitprobe_probe_duration_seconds"].type == "histogram"
    runs = [s for s in families["bitprobe_probe_runs"].samples if s.labels["result"] == "ok"]
    assert {(s.labels["op"], s.labels["dtype"], s.labels["shape"]) for s in runs} == {
        ("matmul", "f32", "64x64x64"), ("matmul", "f16", "64x64x64"), ("ternary_matmul", "i8_ternary", "64x64x64"),
        ("add", "f32", "65536"), ("copy", "bytes", "65536")}
    assert all(s.value >= 1 for s in runs)
    assert families["bitprobe_backend_up"].samples[0].value == 1
    assert families["bitprobe_build_info"].samples[0].labels["revision"]
    for name in ["process_cpu_seconds", "process_resident_memory_bytes", "process_virtual_memory_bytes", "process_open_fds",
                 "process_max_fds", "process_start_time_seconds", "bitprobe_cycles", "bitprobe_duty_cycle_ratio",
                 "bitprobe_config_last_reload_successful", "bitprobe_probe_ops_per_second", "bitprobe_probe_bytes_per_second",
                 "bitprobe_probe_last_success_timestamp_seconds", "bitprobe_device_memory_free_bytes"]:
        assert name in families, name


def test_openmetrics_for_prometheus_accept_header(agent):
    status, headers, body = http_get(agent.url + "/metrics", {"Accept": PROMETHEUS_2_ACCEPT})
    assert status == 200
    assert headers["Content-Type"] == "application/openmetrics-text; version=1.0.0; charset=utf-8"
    text = body.decode()
    assert text.endswith("# EOF\n")
    families = {f.name: f for f in parse_openmetrics(text)}
    assert families["bitprobe_probe_runs"].type == "counter"
    assert families["bitprobe_build"].type == "info"


def test_promtool_check_metrics_reports_nothing(agent):
    _, _, body = http_get(agent.url + "/metrics")
    check = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.strip() == b"" and check.stderr.strip() == b""


def test_gzip_when_asked(agent):
    status, headers, body = http_get(agent.url + "/metrics", {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers.get("Content-Encoding") == "gzip"
    assert b"bitprobe_probe_duration_seconds_bucket" in gzip.decompress(body)


def test_routes(agent):
    assert http_get(agent.url + "/-/healthy")[:1] == (200,)
    status, _, body = http_get(agent.url + "/")
    assert status == 200 and b'href="/metrics"' in body
    status, headers, body = http_get(agent.url + "/nope")
    assert status == 404 and body == b"404 page not found\n"
    status, headers, body = http_get(agent.url + "/api/v1/probes")
    payload = json.loads(body)
    assert payload["status"] == "success"
    assert payload["data"]["cycle"] >= 1
    assert {p["outcome"] for p in payload["data"]["probes"]} == {"ok"}


def test_methods_other_than_get_and_head_get_405(agent):
    result = subprocess.run(["curl", "-s", "-o", "/dev/null", "-D", "-", "-X", "POST", agent.url + "/metrics"], capture_output=True, text=True)
    assert result.stdout.startswith("HTTP/1.1 405")
    assert "Allow: GET, HEAD" in result.stdout
    head = subprocess.run(["curl", "-s", "-I", agent.url + "/metrics"], capture_output=True, text=True)
    assert head.stdout.startswith("HTTP/1.1 200")


def test_memory_api_and_metrics(agent):
    status, _, body = http_get(agent.url + "/api/v1/memory")
    assert status == 200
    payload = json.loads(body)
    assert payload["status"] == "success"
    cpu = next(d for d in payload["data"]["devices"] if d["device"] == "cpu0")
    assert cpu["peak_bytes"] > 0 and cpu["tracked_bytes"] == 0
    assert cpu["events"]["allocate"] >= 1 and cpu["events"]["release"] >= 1
    assert payload["data"]["leaks"] == []
    assert payload["data"]["host"]["available_bytes"] > 0
    _, _, metrics = http_get(agent.url + "/metrics")
    families = {f.name: f for f in parse_text(metrics.decode())}
    assert families["bitprobe_memory_pressure_level"].samples[0].value in {0, 1, 2, 3}
    assert families["bitprobe_memory_tracked_peak_bytes"].samples[0].value > 0
    hits = [s for s in families["bitprobe_memory_events"].samples if s.labels["event"] == "pool_hit"]
    assert hits and hits[0].value >= 0


def test_debug_profile_shows_the_cycle_tree(agent):
    status, _, body = http_get(agent.url + "/debug/profile?view=tree")
    assert status == 200
    text = body.decode()
    assert "cycle" in text and "probe cpu0 matmul f32 64x64x64" in text
    for phase in ["prepare", "warmup", "measure", "verify", "release"]:
        assert phase in text
    status, _, body = http_get(agent.url + "/debug/profile?view=folded")
    assert status == 200 and body.decode().splitlines()[0].startswith("cycle ")
    status, _, body = http_get(agent.url + "/debug/profile?view=flame")
    assert status == 400 and body == b"unknown view 'flame'; expected one of: hotspots, tree, folded, flamegraph\n"


def test_alerts_api_is_shaped_like_prometheus(agent):
    status, _, body = http_get(agent.url + "/api/v1/alerts")
    assert status == 200
    payload = json.loads(body)
    assert payload["status"] == "success" and isinstance(payload["data"]["alerts"], list)
