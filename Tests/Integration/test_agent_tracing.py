"""Every probe cycle is exported as an OTLP trace; exemplars on /metrics point at those traces."""
import re

from otlp_receiver import Receiver
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics

from conftest import http_get, wait_until

OPENMETRICS = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
PHASES = {"prepare", "warmup", "measure", "verify", "release"}


def attributes(items):
    return {a.key: getattr(a.value, a.value.WhichOneof("value")) for a in items}


def received_spans(receiver):
    spans, resources = [], []
    with receiver.lock:
        requests = [r for r in receiver.requests if r is not None]
    for status, _, request in requests:
        for resource_spans in request.resource_spans:
            resources.append(attributes(resource_spans.resource.attributes))
            for scope_spans in resource_spans.scope_spans:
                assert scope_spans.scope.name == "bitprobe"
                spans.extend(scope_spans.spans)
    return spans, resources


def test_cycles_are_traces_and_exemplars_link_to_them(agent_factory):
    receiver = Receiver().start()
    try:
        agent = agent_factory(env={"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{receiver.port}",
                                   "OTEL_BSP_SCHEDULE_DELAY": "200", "OTEL_SERVICE_NAME": "bitprobe-test",
                                   "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=ci"})
        agent.wait_ready()
        wait_until(lambda: len({s.trace_id for s in received_spans(receiver)[0] if s.name == "cycle"}) >= 2, 30, what="two cycle traces")

        spans, resources = received_spans(receiver)
        resource = resources[0]
        assert resource["service.name"] == "bitprobe-test"
        assert resource["deployment.environment"] == "ci"
        assert resource["host.name"] and resource["process.pid"] > 0 and resource["service.version"]
        by_id = {s.span_id: s for s in spans}
        roots = [s for s in spans if s.name == "cycle"]
        for root in roots:
            assert root.parent_span_id == b""
            probes = [s for s in spans if s.parent_span_id == root.span_id]
            assert {p.name for p in probes} >= {"probe cpu0 matmul f32 64x64x64", "probe cpu0 add f32 65536"}
            for probe in probes:
                assert probe.trace_id == root.trace_id
                assert attributes(probe.attributes)["bitprobe.result"] == "ok"
                phases = [s for s in spans if s.parent_span_id == probe.span_id]
                assert {p.name for p in phases} == PHASES
        for span in spans:
            assert span.start_time_unix_nano < span.end_time_unix_nano
            if span.parent_span_id:
                parent = by_id.get(span.parent_span_id)
                if parent is not None:
                    assert parent.start_time_unix_nano <= span.start_time_unix_nano
                    assert span.end_time_unix_nano <= parent.end_time_unix_nano

        _, _, body = http_get(agent.url + "/metrics", {"Accept": OPENMETRICS})
        text = body.decode()
        exemplar_traces = set(re.findall(r'trace_id="([0-9a-f]{32})"', text))
        assert exemplar_traces, "the duration histogram carries exemplars"
        families = {f.name: f for f in parse_openmetrics(text)}
        assert any(s.exemplar for s in families["bitprobe_probe_duration_seconds"].samples)
        wait_until(lambda: exemplar_traces <= {s.trace_id.hex() for s in received_spans(receiver)[0]}, 10,
                   what="exemplar traces delivered")
        assert families["bitprobe_otlp_spans"].samples
        exported = [s for s in families["bitprobe_otlp_spans"].samples if s.labels["result"] == "exported"]
        assert exported[0].value > 0
    finally:
        receiver.stop()


def test_bad_otel_settings_stop_the_agent_with_the_variable_named(tmp_path):
    import subprocess
    import os
    from conftest import BINARY, FAST_CONFIG
    config = tmp_path / "agent.yml"
    config.write_text(FAST_CONFIG.replace("{port}", "0"))
    result = subprocess.run([BINARY, "agent", "--config.file", str(config)], capture_output=True, text=True, timeout=30,
                            env={**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_BSP_SCHEDULE_DELAY": "soon"})
    assert result.returncode == 3
    assert "OTEL_BSP_SCHEDULE_DELAY" in result.stderr.splitlines()[-1]


def test_refused_exports_are_logged_and_counted_by_status(agent_factory):
    # A collector answering 401 then 503 was in no metric and no log line (issue 12).
    receiver = Receiver({"responses": [{"status": 401}, {"status": 503}], "default": {"status": 200}}).start()
    try:
        agent = agent_factory(env={"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{receiver.port}", "OTEL_BSP_SCHEDULE_DELAY": "100"})
        agent.wait_ready()

        def failures():
            text = http_get(agent.url + "/metrics")[2].decode()
            return sorted(line for line in text.splitlines() if line.startswith("bitprobe_otlp_export_request_failures_total{"))
        wait_until(lambda: len(failures()) == 2, 30, what="both failures counted")
        assert failures() == ['bitprobe_otlp_export_request_failures_total{code="401"} 1',
                              'bitprobe_otlp_export_request_failures_total{code="503"} 1']
        wait_until(lambda: "trace export failed" in agent.log_path.read_text(), 30, what="the failure logged")
        assert 'reason="POST http://127.0.0.1:%d/v1/traces: HTTP 401 (not retryable)"' % receiver.port in agent.log_path.read_text()
    finally:
        receiver.stop()
