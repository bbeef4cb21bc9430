"""Shared fixtures: the built bitprobe binary, free loopback ports, processes that are always reaped."""
import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("BITPROBE_BIN", os.path.join(ROOT, ".build", "debug", "bitprobe"))

# A small, fast suite so cycles take well under a second.
FAST_CONFIG = """
interval: 1s
jitter: 0s
duty_cycle_budget: 1
probes:
  warmup_iterations: 1
  measurement_iterations: 3
  min_measurement_time: 0s
  timeout: 20s
  suite:
    - op: [matmul, ternary_matmul]
      shape: [64x64x64]
    - op: [add, copy]
      dtype: [f32, bytes]
      shape: ["65536"]
web:
  listen_address: 127.0.0.1:{port}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, headers=None, timeout=5, context=None):
    """(status, headers, body) without raising on HTTP errors."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_until(predicate, timeout, interval=0.1, what="condition", explain=None):
    """Polls `predicate` until it returns something truthy; on timeout the error carries the last
    value and, when given, what `explain()` says about the state of things (for a CI log)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except OSError as error:
            last = error
        time.sleep(interval)
    context = ""
    if explain is not None:
        try:
            context = "\n" + explain()
        except OSError as error:
            context = f"\n(could not explain: {error})"
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r}){context}")


def stop_process(process, log=None, timeout=10):
    """SIGTERM, then SIGKILL after `timeout` seconds; closes the process's log file."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if log is not None:
        log.close()


class Agent:
    def __init__(self, tmp_path, config=None, extra_args=(), port=None, env=None):
        self.port = port or free_port()
        self.config_path = tmp_path / "agent.yml"
        self.config_path.write_text((config or FAST_CONFIG).replace("{port}", str(self.port)))
        self.log_path = tmp_path / "agent.log"
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen([BINARY, "agent", "--config.file", str(self.config_path), *extra_args],
                                        stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout=60):
        def ready():
            if self.process.poll() is not None:
                raise AssertionError(f"agent exited with {self.process.returncode}: {self.log_path.read_text()}")
            return http_get(self.url + "/-/ready")[0] == 200
        wait_until(ready, timeout, what="agent readiness")

    def stop(self):
        stop_process(self.process, self.log)


@pytest.fixture
def agent_factory(tmp_path):
    agents = []

    def start(**kwargs):
        agent = Agent(tmp_path, **kwargs)
        agents.append(agent)
        return agent

    yield start
    for agent in agents:
        agent.stop()


@pytest.fixture
def agent(agent_factory):
    a = agent_factory()
    a.wait_ready()
    return a


CUDA_STUB_SOURCE = os.path.join(ROOT, "Tests", "CUDAStub", "stub_cuda.c")


@pytest.fixture(scope="session")
def cuda_stub(tmp_path_factory):
    """Path of the stub CUDA driver (Tests/CUDAStub/stub_cuda.c) built for this test session. Point
    BITPROBE_CUDA_LIBRARY at it and choose its behaviour with BITPROBE_CUDA_STUB (docs/cuda.md)."""
    path = tmp_path_factory.mktemp("cuda-stub") / "libcuda.so.1"
    subprocess.run(["cc", "-shared", "-fPIC", "-O1", "-o", str(path), CUDA_STUB_SOURCE], check=True)
    return str(path)


@pytest.fixture(scope="session")
def package_binary():
    """The binary that `make install`, `make deb` and `make image` ship (a release build with the Swift
    runtime linked in): $BITPROBE_PACKAGE_BIN when set, else `make dist` builds it once per session."""
    path = os.environ.get("BITPROBE_PACKAGE_BIN")
    if not path:
        subprocess.run(["make", "-s", "dist"], cwd=ROOT, check=True, timeout=1800)
        path = os.path.join(ROOT, ".build", "static", "release", "bitprobe")
    return path


@pytest.fixture(scope="session")
def deb_package(package_binary, tmp_path_factory):
    """`make deb` of the package binary, once per session: the path of the .deb."""
    out = tmp_path_factory.mktemp("deb")
    result = subprocess.run(["make", "-s", "deb", f"PACKAGE_BIN={package_binary}", f"DEBDIR={out}"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    path = result.stdout.strip().splitlines()[-1]
    assert os.path.isfile(path) and path.startswith(str(out)), result.stdout
    return path
