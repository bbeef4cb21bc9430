"""HTTP inputs an adversarial run found mishandled (issue 12), against the agent end to end."""
import base64
import socket
import subprocess

from conftest import http_get
from test_agent_security import secured_agent  # noqa: F401 (a fixture)


def curl(*args):
    return subprocess.run(["curl", "-s", "-o", "-", "-w", "\n%{http_code}", *args], capture_output=True, text=True).stdout.rsplit("\n", 1)


def failures(text):
    lines = [line for line in text.splitlines() if line.startswith("bitprobe_http_authentication_failures_total ")]
    return float(lines[0].split()[1]) if lines else None


def test_failed_logins_are_counted_and_lowercase_basic_logs_in(secured_agent):  # noqa: F811
    agent, ca = secured_agent
    url = f"https://127.0.0.1:{agent.port}/metrics"
    good = base64.b64encode(b"prometheus:s3cret").decode()
    body, status = curl("--cacert", str(ca), "-H", f"Authorization: basic {good}", url)
    assert status == "200"
    before = failures(body)
    assert before is not None
    nul = base64.b64encode(b"prometheus:s3cret\0more").decode()
    assert curl("--cacert", str(ca), "-H", f"Authorization: Basic {nul}", url)[1] == "401"
    assert curl("--cacert", str(ca), "-u", "prometheus:wrong", url)[1] == "401"
    body, status = curl("--cacert", str(ca), "-u", "prometheus:s3cret", url)
    assert status == "200"
    assert failures(body) == before + 2


def test_an_escaped_nul_does_not_reach_the_metrics(agent):
    assert http_get(agent.url + "/metrics%00x")[0] == 404
    assert http_get(agent.url + "/metrics")[0] == 200


def raw_exchange(port, request):
    """The whole reply to `request` sent on a fresh connection that asks to be closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    return reply


def status_and_body(reply):
    head, _, body = reply.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0].decode(), body.decode()


def test_a_url_with_2000_query_arguments_gets_414(agent):
    # libmicrohttpd 0.9.75 ran out of its connection's memory pool parsing about 480 arguments and
    # closed the connection without an answer.
    query = "&".join(f"a{i}=1" for i in range(2000))
    reply = raw_exchange(agent.port, f"GET /metrics?{query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert status_and_body(reply) == ("HTTP/1.1 414 URI Too Long", "request target is longer than 8192 bytes\n")
    query = "&".join("a" * 129)
    reply = raw_exchange(agent.port, f"GET /metrics?{query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert status_and_body(reply) == ("HTTP/1.1 414 URI Too Long", "request target has more than 128 query arguments\n")
    assert http_get(agent.url + "/metrics")[0] == 200


def test_128_arguments_in_8192_bytes_with_many_headers_are_served(agent):
    base = "/metrics?" + "&".join(f"a{i}=1" for i in range(127)) + "&z="
    target = base + "x" * (8192 - len(base))
    headers = "".join(f"X-Header-{i}: {'v' * 60}\r\n" for i in range(100))
    reply = raw_exchange(agent.port, f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{headers}\r\n".encode())
    assert status_and_body(reply)[0] == "HTTP/1.1 200 OK"


def test_a_64_kib_url_gets_414_from_libmicrohttpd(agent):
    # Longer than the connection's buffer: libmicrohttpd answers before any callback of ours runs.
    reply = raw_exchange(agent.port, b"GET /" + b"a" * 65536 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status_and_body(reply) == (
        "HTTP/1.1 414 URI Too Long",
        "<html><head><title>Request too big</title></head><body>Your HTTP header was too big for the memory "
        "constraints of this webserver.</body></html>",
    )
    assert http_get(agent.url + "/metrics")[0] == 200
