"""Headless Chromium driven over the DevTools protocol: open a page, record its console errors,
uncaught exceptions and network requests, read its text, take a screenshot. Loopback only; no
page we ship may reach anything beyond itself."""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
import zlib

import websocket

from conftest import wait_until


def chromium_binary():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise AssertionError("headless Chromium is needed (Debian package 'chromium'; scripts/install-deps --test installs it)")


class PageVisit:
    """What a page did while it loaded: console errors, exceptions, requests, its text, a screenshot."""

    def __init__(self):
        self.console_errors = []
        self.exceptions = []
        self.requests = []
        self.text = ""
        self.screenshot = b""


class Browser:
    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="bitprobe-chromium-")
        self.process = subprocess.Popen(
            [chromium_binary(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        wait_until(lambda: os.path.exists(port_file) and open(port_file).read().strip(), 30, what="Chromium's DevTools port")
        self.port = int(open(port_file).read().split()[0])
        self.next_id = 0

    def close(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def visit(self, url, width=1280, height=1600, settle=1.0, timeout=30):
        target = json.loads(self._devtools("PUT", "/json/new?about:blank"))
        socket = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=timeout)
        visit = PageVisit()
        try:
            for method in ("Runtime.enable", "Log.enable", "Network.enable", "Page.enable"):
                self._call(socket, method, {}, visit)
            self._call(socket, "Emulation.setDeviceMetricsOverride",
                       {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, visit)
            self._call(socket, "Page.navigate", {"url": url}, visit)
            deadline = time.monotonic() + timeout
            loaded = False
            while time.monotonic() < deadline and not loaded:
                loaded = self._read(socket, visit).get("method") == "Page.loadEventFired"
            assert loaded, f"{url} did not finish loading in {timeout}s"
            # Give late scripts and requests a moment to show themselves.
            end = time.monotonic() + settle
            socket.settimeout(0.2)
            while time.monotonic() < end:
                try:
                    self._read(socket, visit)
                except websocket.WebSocketTimeoutException:
                    pass
            socket.settimeout(timeout)
            visit.text = self._call(socket, "Runtime.evaluate", {"expression": "document.body.innerText", "returnByValue": True},
                                    visit)["result"]["value"]
            shot = self._call(socket, "Page.captureScreenshot", {"format": "png"}, visit)
            visit.screenshot = base64.b64decode(shot["data"])
        finally:
            socket.close()
            self._devtools("GET", f"/json/close/{target['id']}")
        return visit

    def _devtools(self, method, path):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read()

    def _call(self, socket, method, params, visit):
        self.next_id += 1
        call_id = self.next_id
        socket.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = self._read(socket, visit)
            if message.get("id") == call_id:
                assert "error" not in message, f"{method}: {message['error']}"
                return message.get("result", {})

    @staticmethod
    def _read(socket, visit):
        message = json.loads(socket.recv())
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            visit.console_errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            visit.exceptions.append(params["exceptionDetails"].get("text", "") + " " +
                                    params["exceptionDetails"].get("exception", {}).get("description", ""))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            visit.console_errors.append(params["entry"].get("text", ""))
        elif method == "Network.requestWillBeSent":
            visit.requests.append(params["request"]["url"])
        return message


def png_distinct_bytes(png):
    """How many distinct byte values the decompressed image data holds: a blank page has a handful."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, data = 8, b""
    while position < len(png):
        length = int.from_bytes(png[position:position + 4], "big")
        kind = png[position + 4:position + 8]
        if kind == b"IDAT":
            data += png[position + 8:position + 8 + length]
        position += 12 + length
    return len(set(zlib.decompress(data)))
