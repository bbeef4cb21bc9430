"""Clients that trickle their request head must not starve scrapes (issue 12)."""
import select
import socket
import threading
import time

from conftest import http_get


class Trickler:
    """Opens `count` connections and sends each one header line every `every` seconds, never the
    blank line that ends the head (slowloris)."""

    def __init__(self, port, count, every=1.0):
        self.sockets = []
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
            self.sockets.append(s)
        self.closed_after = {}
        self.started = time.monotonic()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, args=(every,), daemon=True)
        self.thread.start()

    def run(self, every):
        n = 0
        next_line = self.started + every
        while not self.stop.wait(0.05):
            open_sockets = [s for index, s in enumerate(self.sockets) if index not in self.closed_after]
            # The server closing shows as a readable socket whose read gives nothing (or an error).
            readable, _, _ = select.select(open_sockets, [], [], 0) if open_sockets else ([], [], [])
            for s in readable:
                try:
                    closed = s.recv(4096) == b""
                except OSError:
                    closed = True
                if closed:
                    self.closed_after[self.sockets.index(s)] = time.monotonic() - self.started
            if time.monotonic() < next_line:
                continue
            next_line += every
            n += 1
            for index, s in enumerate(self.sockets):
                if index not in self.closed_after:
                    try:
                        s.sendall(f"X-Trickle-{n}: {n}\r\n".encode())
                    except OSError:
                        self.closed_after[index] = time.monotonic() - self.started

    def close(self):
        self.stop.set()
        self.thread.join(5)
        for s in self.sockets:
            s.close()


def test_scrapes_get_through_while_64_connections_trickle(agent):
    trickler = Trickler(agent.port, 64)
    try:
        time.sleep(0.5)
        results = []
        for _ in range(10):
            start = time.monotonic()
            status = http_get(agent.url + "/metrics", timeout=5)[0]
            results.append((status, time.monotonic() - start))
        assert [status for status, _ in results] == [200] * 10, results
        assert max(seconds for _, seconds in results) < 2, results
    finally:
        trickler.close()


def test_a_trickled_head_is_cut_off_after_5_seconds(agent):
    # One header line a second would renew the 10-second idle timeout for ever.
    trickler = Trickler(agent.port, 1, every=1.0)
    try:
        deadline = time.monotonic() + 15
        while 0 not in trickler.closed_after and time.monotonic() < deadline:
            time.sleep(0.1)
        assert 0 in trickler.closed_after, "still open after 15 s"
        assert 4.9 < trickler.closed_after[0] < 6, trickler.closed_after
    finally:
        trickler.close()
