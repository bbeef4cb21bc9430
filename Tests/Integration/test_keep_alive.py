"""HTTP keep-alive (issue 12): requests share a connection, and a kept connection is still bounded
by the idle timeout and, for each request, by the request-head deadline."""
import base64
import http.client
import socket
import ssl
import time

from conftest import FAST_CONFIG
from test_agent_security import secured_agent  # noqa: F401 (a fixture)

AUTH = {"Authorization": "Basic " + base64.b64encode(b"prometheus:s3cret").decode()}


def two_requests_on_one_connection(connection, headers=None):
    """Statuses, Connection headers and whether both went over the same socket."""
    answers = []
    sockets = []
    for path in ("/metrics", "/-/healthy"):
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        response.read()
        answers.append((response.status, response.getheader("Connection")))
        sockets.append(connection.sock)
    return answers, sockets[0] is sockets[1] and sockets[0] is not None


def test_two_requests_on_one_plain_connection_are_both_answered(agent):
    connection = http.client.HTTPConnection("127.0.0.1", agent.port, timeout=5)
    try:
        answers, reused = two_requests_on_one_connection(connection)
    finally:
        connection.close()
    assert answers == [(200, None), (200, None)]
    assert reused


def test_two_requests_on_one_tls_connection_are_both_answered(secured_agent):  # noqa: F811
    agent, ca = secured_agent
    context = ssl.create_default_context(cafile=str(ca))
    connection = http.client.HTTPSConnection("127.0.0.1", agent.port, timeout=5, context=context)
    try:
        answers, reused = two_requests_on_one_connection(connection, AUTH)
    finally:
        connection.close()
    assert answers == [(200, None), (200, None)]
    assert reused


def test_http_1_0_keeps_the_connection_only_when_asked(agent):
    with socket.create_connection(("127.0.0.1", agent.port), timeout=5) as s:
        s.sendall(b"GET /-/healthy HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        first = read_response(s)
        s.sendall(b"GET /-/healthy HTTP/1.0\r\n\r\n")
        second = read_response(s)
        assert s.recv(1) == b""
    assert b"\r\nConnection: Keep-Alive\r\n" in first and first.endswith(b"\r\n\r\nHealthy\n")
    assert b"\r\nConnection: close\r\n" in second and second.endswith(b"\r\n\r\nHealthy\n")


def read_response(s):
    """One response whose body is Content-Length long."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int([line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")][0])
    while len(body) < length:
        body += s.recv(4096)
    return head + b"\r\n\r\n" + body


def seconds_until_closed(s, limit):
    """Seconds until the server closes `s` (a read gives nothing or fails), at most `limit`."""
    start = time.monotonic()
    s.settimeout(limit)
    try:
        while s.recv(4096):
            pass
    except socket.timeout:
        return None
    except OSError:
        pass
    return time.monotonic() - start


def test_a_kept_connection_idle_past_its_timeout_is_closed(agent_factory):
    agent = agent_factory(config=FAST_CONFIG + "  connection_timeout: 2s\n")
    agent.wait_ready()
    with socket.create_connection(("127.0.0.1", agent.port), timeout=5) as s:
        s.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(s).startswith(b"HTTP/1.1 200 OK\r\n")
        closed_after = seconds_until_closed(s, 10)
    assert closed_after is not None and 1.5 < closed_after < 4, closed_after


def test_a_kept_connection_that_trickles_its_next_head_hits_the_head_deadline(agent):
    # One header line a second renews the 10-second idle timeout for ever; the 5-second head
    # deadline, counted from the first byte of the second request, ends it.
    with socket.create_connection(("127.0.0.1", agent.port), timeout=5) as s:
        s.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(s).startswith(b"HTTP/1.1 200 OK\r\n")
        time.sleep(3)  # idle, and within the idle timeout
        start = time.monotonic()
        s.sendall(b"GET /metrics HTTP/1.1\r\n")
        closed_after = None
        s.settimeout(0.05)
        for line in range(15):
            deadline = start + line + 1
            while time.monotonic() < deadline:
                try:
                    if s.recv(4096) == b"":
                        closed_after = time.monotonic() - start
                        break
                except socket.timeout:
                    continue
                except OSError:
                    closed_after = time.monotonic() - start
                    break
            if closed_after is not None:
                break
            try:
                s.sendall(f"X-Trickle-{line}: {line}\r\n".encode())
            except OSError:
                closed_after = time.monotonic() - start
                break
    assert closed_after is not None, "still open after 15 s"
    assert 4.5 < closed_after < 6.5, closed_after
