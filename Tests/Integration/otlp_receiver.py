"""An OTLP/HTTP trace receiver for tests: decodes every request with the official generated classes
(PyPI opentelemetry-proto), records it, and answers as a fault script says.

As a program (the Swift tests start it this way):
    python3 otlp_receiver.py --port-file F [--log L] [--port N] [--script JSON] [--tls-cert C --tls-key K]
serves HTTPS with the PEM certificate C and key K if given, writes its port to F once it listens on 127.0.0.1, and appends each request to L (if given) as tab-separated
lines, text fields percent-encoded (urllib.parse.quote, safe=""):
    request  <n> <status> <monotonic arrival s> <span count>
    header   <n> <name, lowercased> <value>
    resource <n> <key> <type> <value>
    scope    <n> <name> <version>
    span     <n> <trace id> <span id> <parent id or -> <name> <kind> <start ns> <end ns> <flags> <status code> <status message>
    attr     <n> <span id> <key> <type> <value>
    event    <n> <span id> <name> <time ns> <attribute count>
    error    <n> <why the body did not decode>
    end      <n>
where <type> is string, int, double or bool. The script is a JSON object:
    {"responses": [{"status": 503, "retry_after": "2", "delay": 0.5, "rejected": 3, "message": "..."}, ...],
     "default": {"status": 200}}
The i-th request gets responses[i] (fields optional, status 200), later ones the default.
"""
import argparse
import gzip
import json
import os
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)


def _text(value):
    return quote(str(value), safe="")


def _any_value(value):
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return "string", value.string_value
    if kind == "int_value":
        return "int", str(value.int_value)
    if kind == "double_value":
        return "double", repr(value.double_value)
    if kind == "bool_value":
        return "bool", "true" if value.bool_value else "false"
    return kind or "empty", ""


def describe(index, request):
    """The log lines of one decoded ExportTraceServiceRequest (see the module docstring)."""
    lines = []
    for resource_spans in request.resource_spans:
        for attribute in resource_spans.resource.attributes:
            kind, value = _any_value(attribute.value)
            lines.append(["resource", index, _text(attribute.key), kind, _text(value)])
        for scope_spans in resource_spans.scope_spans:
            lines.append(["scope", index, _text(scope_spans.scope.name), _text(scope_spans.scope.version)])
            for span in scope_spans.spans:
                span_id = span.span_id.hex()
                lines.append(["span", index, span.trace_id.hex(), span_id, span.parent_span_id.hex() or "-",
                              _text(span.name), span.kind, span.start_time_unix_nano, span.end_time_unix_nano,
                              span.flags, span.status.code, _text(span.status.message)])
                for attribute in span.attributes:
                    kind, value = _any_value(attribute.value)
                    lines.append(["attr", index, span_id, _text(attribute.key), kind, _text(value)])
                for event in span.events:
                    lines.append(["event", index, span_id, _text(event.name), event.time_unix_nano, len(event.attributes)])
    return lines


def span_count(request):
    return sum(len(scope.spans) for rs in request.resource_spans for scope in rs.scope_spans)


class Receiver:
    """The server, usable in-process too: Receiver(script).start() ... .stop(); `.requests` holds
    (status, headers, decoded request or None) per request."""

    def __init__(self, script=None, port=0, log_path=None, tls=None):
        self.script = script or {}
        self.log_path = log_path
        self.requests = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.1 keeps connections open, as collectors do, so connection reuse is exercised.
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                receiver.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def _response_for(self, index):
        responses = self.script.get("responses", [])
        return responses[index] if index < len(responses) else self.script.get("default", {})

    def handle(self, handler):
        arrival = time.monotonic()
        length = int(handler.headers.get("Content-Length", "0"))
        body = handler.rfile.read(length)
        with self.lock:
            index = len(self.requests)
            self.requests.append(None)
        plan = self._response_for(index)
        status = plan.get("status", 200)
        request, error = None, None
        try:
            if handler.headers.get("Content-Encoding", "").lower() == "gzip":
                body = gzip.decompress(body)
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
        except Exception as exception:  # noqa: BLE001 - any decode failure is the finding
            request, error = None, f"{type(exception).__name__}: {exception}"
            status = 400
        headers = {name.lower(): value for name, value in handler.headers.items()}
        with self.lock:
            self.requests[index] = (status, headers, request)
        self._log(index, status, arrival, headers, request, error)
        if plan.get("delay"):
            time.sleep(plan["delay"])
        if 200 <= status < 300:
            response = ExportTraceServiceResponse()
            if plan.get("rejected") or plan.get("message"):
                response.partial_success.rejected_spans = plan.get("rejected", 0)
                response.partial_success.error_message = plan.get("message", "")
            payload = response.SerializeToString()
        else:
            payload = b""
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/x-protobuf")
            handler.send_header("Content-Length", str(len(payload)))
            if "retry_after" in plan:
                handler.send_header("Retry-After", str(plan["retry_after"]))
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test); the request is recorded all the same

    def _log(self, index, status, arrival, headers, request, error):
        if not self.log_path:
            return
        lines = [["request", index, status, f"{arrival:.6f}", span_count(request) if request else 0]]
        lines += [["header", index, _text(name), _text(value)] for name, value in sorted(headers.items())]
        if request is not None:
            lines += describe(index, request)
        if error:
            lines.append(["error", index, _text(error)])
        lines.append(["end", index])
        text = "".join("\t".join(str(field) for field in line) + "\n" for line in lines)
        with self.lock, open(self.log_path, "a") as log:
            log.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log")
    parser.add_argument("--script", default="{}")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    arguments = parser.parse_args()
    tls = (arguments.tls_cert, arguments.tls_key) if arguments.tls_cert else None
    receiver = Receiver(json.loads(arguments.script), arguments.port, arguments.log, tls)
    # Written whole and renamed, so a reader never sees a partial port number.
    temporary = arguments.port_file + ".tmp"
    with open(temporary, "w") as port_file:
        port_file.write(str(receiver.port))
    os.rename(temporary, arguments.port_file)
    receiver.server.serve_forever()


if __name__ == "__main__":
    main()
