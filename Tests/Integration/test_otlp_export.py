"""The OTLP test receiver and the Swift encoder's golden request, checked against the official
generated classes (PyPI opentelemetry-proto). The exporter itself is driven against this receiver
by Tests/OTLPExportTests/ReceiverTests.swift."""
import gzip
import os
import re
import sys
import urllib.request

import pytest

pytest.importorskip("opentelemetry.proto", reason="needs PyPI opentelemetry-proto (scripts/install-deps --test)")

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (  # noqa: E402
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conftest import ROOT  # noqa: E402
from otlp_receiver import Receiver  # noqa: E402

START = 1_700_000_000_000_000_000


def golden_request():
    """EncoderTests.goldenSpans() and its resource and scope, built with the official classes."""
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    for key, kind, value in [("service.name", "string_value", "bitprobe"), ("process.pid", "int_value", 4242)]:
        attribute = resource_spans.resource.attributes.add()
        attribute.key = key
        setattr(attribute.value, kind, value)
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name, scope_spans.scope.version = "bitprobe", "1.2.3"
    trace, root_id = bytes(range(1, 17)), bytes(range(0x11, 0x19))

    root = scope_spans.spans.add()
    root.trace_id, root.span_id, root.flags = trace, root_id, 0x101
    root.name, root.kind = "cycle", Span.SPAN_KIND_INTERNAL
    root.start_time_unix_nano, root.end_time_unix_nano = START, START + 5_000_000
    for key, kind, value in [("bitprobe.cycle", "int_value", 7), ("ok", "bool_value", True)]:
        attribute = root.attributes.add()
        attribute.key = key
        setattr(attribute.value, kind, value)
    root.status.code = Status.STATUS_CODE_OK

    child = scope_spans.spans.add()
    child.trace_id, child.span_id, child.parent_span_id, child.flags = trace, bytes(range(0x21, 0x29)), root_id, 0x101
    child.name, child.kind = "probe matmul", Span.SPAN_KIND_INTERNAL
    child.start_time_unix_nano, child.end_time_unix_nano = START + 1_000, START + 4_000_000
    for key, kind, value in [("op", "string_value", "matmul"), ("gflops", "double_value", 12.5), ("negative", "int_value", -3)]:
        attribute = child.attributes.add()
        attribute.key = key
        setattr(attribute.value, kind, value)
    event = child.events.add()
    event.name, event.time_unix_nano = "mismatch", START + 3_000
    attribute = event.attributes.add()
    attribute.key, attribute.value.int_value = "index", 3
    child.status.code, child.status.message = Status.STATUS_CODE_ERROR, "max error 0.5 > 0.001"
    return request


def swift_golden_hex():
    with open(os.path.join(ROOT, "Tests", "OTLPExportTests", "EncoderTests.swift")) as source:
        return re.search(r'goldenRequestHex =\s*"([0-9a-f]+)"', source.read()).group(1)


def post(port, body, headers=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/traces", data=body, method="POST",
                                     headers={"Content-Type": "application/x-protobuf", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_swift_golden_request_is_the_official_encoding():
    assert swift_golden_hex() == golden_request().SerializeToString().hex()


@pytest.fixture
def receiver_factory(tmp_path):
    receivers = []

    def start(script=None):
        receiver = Receiver(script, log_path=str(tmp_path / f"log{len(receivers)}")).start()
        receivers.append(receiver)
        return receiver

    yield start
    for receiver in receivers:
        receiver.stop()


def test_receiver_follows_its_fault_script(receiver_factory):
    receiver = receiver_factory({"responses": [{"status": 503, "retry_after": "1"}],
                                 "default": {"status": 200, "rejected": 1, "message": "too old"}})
    body = golden_request().SerializeToString()
    status, headers, _ = post(receiver.port, body)
    assert (status, headers.get("Retry-After")) == (503, "1")
    status, headers, payload = post(receiver.port, gzip.compress(body), {"Content-Encoding": "gzip"})
    assert status == 200 and headers["Content-Type"] == "application/x-protobuf"
    response = ExportTraceServiceResponse()
    response.ParseFromString(payload)
    assert (response.partial_success.rejected_spans, response.partial_success.error_message) == (1, "too old")
    assert [entry[0] for entry in receiver.requests] == [503, 200]
    assert receiver.requests[1][2] == golden_request()


def test_receiver_logs_what_the_swift_tests_read(receiver_factory):
    receiver = receiver_factory()
    post(receiver.port, golden_request().SerializeToString())
    with open(receiver.log_path) as log:
        lines = [line.rstrip("\n").split("\t") for line in log]
    kinds = [line[0] for line in lines]
    assert kinds[0] == "request" and kinds[-1] == "end"
    assert ["resource", "0", "service.name", "string", "bitprobe"] in lines
    assert ["span", "0", bytes(range(1, 17)).hex(), bytes(range(0x21, 0x29)).hex(), bytes(range(0x11, 0x19)).hex(),
            "probe%20matmul", "1", str(START + 1_000), str(START + 4_000_000), "257", "2",
            "max%20error%200.5%20%3E%200.001"] in lines
    assert ["attr", "0", bytes(range(0x21, 0x29)).hex(), "gflops", "double", "12.5"] in lines
    assert ["event", "0", bytes(range(0x21, 0x29)).hex(), "mismatch", str(START + 3_000), "1"] in lines


def test_receiver_refuses_what_does_not_decode(receiver_factory):
    receiver = receiver_factory()
    status, _, _ = post(receiver.port, b"\xff\xff\xff")
    assert status == 400
    with open(receiver.log_path) as log:
        assert any(line.startswith("error\t0\t") for line in log)
