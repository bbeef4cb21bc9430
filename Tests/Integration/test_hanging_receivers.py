"""Receivers that accept connections and never answer must not hold up SIGTERM (issue 12)."""
import signal
import socket
import threading
import time

import pytest

from conftest import http_get, wait_until
from test_alertmanager import FAILING


@pytest.fixture
def silent_receiver():
    """A TCP server on loopback that accepts every connection, reads, and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    connections = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
                connections.append(connection)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], connections
    stop.set()
    thread.join(2)
    for connection in connections:
        connection.close()
    server.close()


def test_sigterm_finishes_within_5_seconds_while_alertmanager_hangs(agent_factory, silent_receiver):
    port, connections = silent_receiver
    agent = agent_factory(config=FAILING.replace("{am_port}", str(port)).replace("{shape}", "2048x2048x2048"))
    wait_until(lambda: http_get(agent.url + "/-/healthy")[0] == 200, 30, what="agent listening")
    wait_until(lambda: connections, 30, what="a notification in flight")
    time.sleep(3)  # resends pile up behind the post that never finishes
    start = time.monotonic()
    agent.process.send_signal(signal.SIGTERM)
    code = agent.process.wait(10)
    elapsed = time.monotonic() - start
    assert code == 0, agent.log_path.read_text()
    assert elapsed < 5, f"took {elapsed:.2f}s"
    assert "Alertmanager notifications did not finish before the deadline" in agent.log_path.read_text()


def test_sigterm_finishes_within_5_seconds_while_the_collector_hangs(agent_factory, silent_receiver):
    port, connections = silent_receiver
    agent = agent_factory(env={"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}", "OTEL_BSP_SCHEDULE_DELAY": "100"})
    agent.wait_ready()
    wait_until(lambda: connections, 30, what="an export in flight")
    start = time.monotonic()
    agent.process.send_signal(signal.SIGTERM)
    code = agent.process.wait(10)
    elapsed = time.monotonic() - start
    assert code == 0, agent.log_path.read_text()
    assert elapsed < 5, f"took {elapsed:.2f}s"
