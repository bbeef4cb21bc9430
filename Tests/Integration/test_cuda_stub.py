"""The CUDA backend's device status in the agent and in `bitprobe devices`, against the stub driver
(Tests/CUDAStub) since CI has no GPU: devices up and down with their reasons, the agent healthy
whatever the driver does, and no CUDA series at all on a node without a driver."""
import json
import os
import subprocess

from prometheus_client.parser import text_string_to_metric_families as parse_text

from conftest import BINARY, FAST_CONFIG, http_get, wait_until

CUDA_INFO_LABELS = {"backend", "device", "name", "reason", "uuid", "compute_capability", "sms", "driver"}


def metrics_after_a_cycle(agent):
    agent.wait_ready()
    status, _, body = http_get(agent.url + "/metrics")
    assert status == 200
    return body.decode()


def samples(text, family):
    return [s for f in parse_text(text) if f.name == family for s in f.samples]


def test_two_devices_one_lost(agent_factory, cuda_stub):
    agent = agent_factory(env={"BITPROBE_CUDA_LIBRARY": cuda_stub, "BITPROBE_CUDA_STUB": "devices=2,lost=cuda1"})
    text = metrics_after_a_cycle(agent)
    assert 'bitprobe_backend_up{backend="cuda",device="cuda0"} 1' in text
    assert 'bitprobe_backend_up{backend="cuda",device="cuda1"} 0' in text
    info = {s.labels["device"]: s.labels for s in samples(text, "bitprobe_device_info") if s.labels["backend"] == "cuda"}
    assert info["cuda0"] == {"backend": "cuda", "device": "cuda0", "name": "bitprobe stub GPU 0", "reason": "",
                             "uuid": "GPU-b17b0be0-0000-4000-8000-000000000000", "compute_capability": "9.0", "sms": "132",
                             "driver": "13.0"}
    assert info["cuda1"]["reason"] == "cuMemGetInfo_v2 failed: CUDA_ERROR_ILLEGAL_ADDRESS (an illegal memory access was encountered)"
    assert set(info["cuda1"]) == CUDA_INFO_LABELS
    free = {s.labels["device"]: s.value for s in samples(text, "bitprobe_device_memory_free_bytes") if s.labels["backend"] == "cuda"}
    total = {s.labels["device"]: s.value for s in samples(text, "bitprobe_device_memory_total_bytes") if s.labels["backend"] == "cuda"}
    assert free == {"cuda0": 4 << 30}
    assert total == {"cuda0": 4 << 30, "cuda1": 2 << 30}
    assert http_get(agent.url + "/-/healthy")[0] == 200
    check = subprocess.run(["promtool", "check", "metrics"], input=text.encode(), capture_output=True)
    assert check.returncode == 0 and check.stdout.strip() == b"" and check.stderr.strip() == b"", check.stdout + check.stderr
    log = agent.log_path.read_text()
    assert 'msg="CUDA device down" device=cuda1' in log


def test_no_devices_is_the_backend_down_with_the_reason(agent_factory, cuda_stub):
    agent = agent_factory(env={"BITPROBE_CUDA_LIBRARY": cuda_stub, "BITPROBE_CUDA_STUB": "devices=0"})
    text = metrics_after_a_cycle(agent)
    assert 'bitprobe_backend_up{backend="cuda",device="cuda"} 0' in text
    (info,) = [s.labels for s in samples(text, "bitprobe_device_info") if s.labels["backend"] == "cuda"]
    assert info["reason"] == "no CUDA devices: cuInit failed: CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected)"
    assert http_get(agent.url + "/-/healthy")[0] == 200
    assert 'bitprobe_backend_up{backend="cpu",device="cpu0"} 1' in text


def test_failing_init_keeps_the_agent_healthy(agent_factory, cuda_stub):
    agent = agent_factory(env={"BITPROBE_CUDA_LIBRARY": cuda_stub, "BITPROBE_CUDA_STUB": "init=fail"})
    text = metrics_after_a_cycle(agent)
    (info,) = [s.labels for s in samples(text, "bitprobe_device_info") if s.labels["backend"] == "cuda"]
    assert info["reason"] == "cuInit failed: CUDA_ERROR_UNKNOWN (unknown error)"
    assert http_get(agent.url + "/-/healthy")[0] == 200


def test_no_driver_in_auto_mode_exports_no_cuda_series(agent_factory):
    agent = agent_factory(env={"BITPROBE_CUDA_LIBRARY": "/nonexistent/libcuda.so.1"})
    text = metrics_after_a_cycle(agent)
    assert 'backend="cuda"' not in text
    wait_until(lambda: 'msg="CUDA backend off"' in agent.log_path.read_text(), 5, what="the CUDA backend off log line")
    assert 'level=info msg="CUDA backend off" mode=auto' in agent.log_path.read_text()


def test_no_driver_when_enabled_is_the_backend_down(agent_factory):
    agent = agent_factory(config=FAST_CONFIG + "backends:\n  cuda: enabled\n", env={"BITPROBE_CUDA_LIBRARY": "/nonexistent/libcuda.so.1"})
    text = metrics_after_a_cycle(agent)
    assert 'bitprobe_backend_up{backend="cuda",device="cuda"} 0' in text
    (info,) = [s.labels for s in samples(text, "bitprobe_device_info") if s.labels["backend"] == "cuda"]
    assert info["reason"] == ("cannot load the CUDA driver /nonexistent/libcuda.so.1: /nonexistent/libcuda.so.1: "
                              "cannot open shared object file: No such file or directory")


def run_devices(*args, env):
    return subprocess.run([BINARY, "devices", *args], capture_output=True, text=True, env={**os.environ, **env}, timeout=60)


def test_devices_command_lists_gpus_next_to_the_cpu(cuda_stub):
    env = {"BITPROBE_CUDA_LIBRARY": cuda_stub, "BITPROBE_CUDA_STUB": "devices=2,lost=cuda1"}
    result = run_devices("--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    devices = json.loads(result.stdout)["devices"]
    assert [d["device"] for d in devices] == ["cpu0", "cuda0", "cuda1"]
    assert devices[1] == {"backend": "cuda", "device": "cuda0", "name": "bitprobe stub GPU 0", "up": True,
                          "uuid": "GPU-b17b0be0-0000-4000-8000-000000000000", "compute_capability": "9.0", "multiprocessors": 132,
                          "clock_mhz": 1980, "memory_clock_mhz": 3201, "memory_bus_width_bits": 5120, "driver_version": "13.0",
                          "memory_total_bytes": 4 << 30, "memory_available_bytes": 4 << 30}
    assert devices[2]["up"] is False
    assert devices[2]["reason"] == "cuMemGetInfo_v2 failed: CUDA_ERROR_ILLEGAL_ADDRESS (an illegal memory access was encountered)"
    table = run_devices(env=env).stdout.splitlines()
    assert table[0].split() == ["BACKEND", "DEVICE", "NAME", "UP", "CORES", "SIMD", "SIMD", "AVAILABLE", "CC", "SMS", "MEMORY", "DETAIL"]
    assert table[2].split()[:8] == ["cuda", "cuda0", "bitprobe", "stub", "GPU", "0", "yes", "-"]
    assert table[2].endswith("GPU-b17b0be0-0000-4000-8000-000000000000, driver 13.0, 1980 MHz, memory 3201 MHz 5120-bit")
    assert table[3].endswith("cuMemGetInfo_v2 failed: CUDA_ERROR_ILLEGAL_ADDRESS (an illegal memory access was encountered)")


def test_devices_command_says_why_there_are_no_gpus():
    result = run_devices(env={"BITPROBE_CUDA_LIBRARY": "/nonexistent/libcuda.so.1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[2].split()[:4] == ["cuda", "cuda", "-", "no"]
    assert result.stdout.splitlines()[2].endswith(
        "cannot load the CUDA driver /nonexistent/libcuda.so.1: /nonexistent/libcuda.so.1: cannot open shared object file: No such file or directory")
