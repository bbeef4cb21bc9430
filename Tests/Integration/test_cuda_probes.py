"""GPU probes in the agent and the CLI against the stub driver (Tests/CUDAStub), which runs host
versions of the elementwise kernels: a verified add on cuda0, a failed launch, out of memory, a
lost device that recovers when the stub's control file says so, `compare` and `bench --backend cuda`."""
import json
import os
import subprocess

from prometheus_client.parser import text_string_to_metric_families as parse_text

from conftest import BINARY, FAST_CONFIG, http_get, wait_until

# The CPU suite stays tiny; every GPU runs one add f32 over 65536 elements.
CUDA_CONFIG = """
interval: 1s
jitter: 0s
duty_cycle_budget: 1
probes:
  warmup_iterations: 1
  measurement_iterations: 2
  min_measurement_time: 0s
  timeout: 20s
  suite:
    - op: add
      dtype: f32
      shape: ["4096"]
    - backend: cuda
      op: add
      dtype: f32
      shape: ["65536"]
web:
  listen_address: 127.0.0.1:{port}
"""

ADD = 'backend="cuda",device="{device}",dtype="f32",op="add",result="{result}",shape="65536"'


def metrics(agent):
    status, _, body = http_get(agent.url + "/metrics")
    assert status == 200
    return body.decode()


def value(text, family, **labels):
    for f in parse_text(text):
        for s in f.samples:
            if s.name == family and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return None


def runs(text, device, result):
    return value(text, "bitprobe_probe_runs_total", backend="cuda", device=device, op="add", dtype="f32", result=result) or 0


def wait_metrics(agent, predicate, timeout, what, explain=None):
    """The first /metrics text for which `predicate(text)` holds."""
    def attempt():
        text = metrics(agent)
        return text if predicate(text) else None
    return wait_until(attempt, timeout, what=what, explain=explain)


def start(agent_factory, cuda_stub, behaviour):
    agent = agent_factory(config=CUDA_CONFIG, env={"BITPROBE_CUDA_LIBRARY": cuda_stub, "BITPROBE_CUDA_STUB": behaviour})
    agent.wait_ready()
    return agent


def test_an_add_probe_runs_and_verifies_on_stub_cuda0(agent_factory, cuda_stub):
    agent = start(agent_factory, cuda_stub, "devices=1")
    text = wait_metrics(agent, lambda t: runs(t, "cuda0", "ok") >= 1, 30, "a verified add on cuda0")
    assert runs(text, "cuda0", "failed") == 0 and runs(text, "cuda0", "mismatch") == 0
    assert value(text, "bitprobe_probe_bytes_per_second", backend="cuda", device="cuda0", op="add") > 0
    assert value(text, "bitprobe_memory_tracked_peak_bytes", device="cuda0") == 3 * 65536 * 4
    assert value(text, "bitprobe_memory_tracked_bytes", device="cuda0") == 0
    assert value(text, "bitprobe_memory_events_total", device="cuda0", event="transfer_h2d") >= 2
    assert value(text, "bitprobe_memory_pressure_level", device="cuda0") == 0
    check = subprocess.run(["promtool", "check", "metrics"], input=text.encode(), capture_output=True)
    assert check.returncode == 0 and check.stdout.strip() == b"" and check.stderr.strip() == b"", check.stdout + check.stderr


def test_a_failed_launch_fails_the_probe_and_takes_the_device_down(agent_factory, cuda_stub):
    agent = start(agent_factory, cuda_stub, "devices=1,launch=fail")
    text = wait_metrics(agent, lambda t: runs(t, "cuda0", "failed") >= 1, 30, "a failed add on cuda0")
    log = agent.log_path.read_text()
    assert 'detail="cuLaunchKernel failed: CUDA_ERROR_LAUNCH_FAILED (unspecified launch failure)"' in log
    assert 'msg="CUDA device down" device=cuda0 next_attempt_in_seconds=1.0 reason="cuLaunchKernel failed: CUDA_ERROR_LAUNCH_FAILED (unspecified launch failure)"' in log
    assert http_get(agent.url + "/-/healthy")[0] == 200
    assert value(text, "bitprobe_backend_up", backend="cpu", device="cpu0") == 1


def test_out_of_memory_fails_the_probe_as_oom_with_an_allocation_failure(agent_factory, cuda_stub):
    agent = start(agent_factory, cuda_stub, "devices=1,alloc=fail")
    text = wait_metrics(agent, lambda t: runs(t, "cuda0", "failed") >= 1, 30, "a failed add on cuda0")
    assert value(text, "bitprobe_memory_events_total", device="cuda0", event="allocation_failure") >= 1
    assert value(text, "bitprobe_backend_up", backend="cuda", device="cuda0") == 1
    log = agent.log_path.read_text()
    assert ('detail="oom: could not allocate 256.00 KiB on cuda0: cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)"') in log


def test_a_lost_device_is_down_its_probes_skipped_and_it_recovers(agent_factory, cuda_stub, tmp_path):
    control = tmp_path / "stub-control"
    control.write_text("lost=cuda1")
    agent = start(agent_factory, cuda_stub, f"devices=2,control={control}")
    down = 'bitprobe_backend_up{backend="cuda",device="cuda1"} 0'
    text = wait_metrics(agent, lambda t: down in t and runs(t, "cuda1", "skipped") >= 1 and runs(t, "cuda0", "ok") >= 1,
                        30, "cuda1 down with its probes skipped")
    assert 'bitprobe_backend_up{backend="cuda",device="cuda0"} 1' in text
    assert http_get(agent.url + "/-/healthy")[0] == 200
    reason = [s.labels["reason"] for f in parse_text(text) for s in f.samples
              if s.name == "bitprobe_device_info" and s.labels.get("device") == "cuda1"]
    assert reason == ["cuMemGetInfo_v2 failed: CUDA_ERROR_ILLEGAL_ADDRESS (an illegal memory access was encountered)"]
    control.write_text("")
    up = 'bitprobe_backend_up{backend="cuda",device="cuda1"} 1'
    wait_metrics(agent, lambda t: up in t and runs(t, "cuda1", "ok") >= 1, 60, "cuda1 recovered and probed",
                 explain=lambda: agent.log_path.read_text()[-3000:])
    assert 'msg="CUDA device recovered" device=cuda1' in agent.log_path.read_text()


def run_cli(*args, env):
    return subprocess.run([BINARY, *args], capture_output=True, text=True, env={**os.environ, **env}, timeout=120)


def test_compare_runs_the_cpu_and_every_stub_gpu(cuda_stub):
    env = {"BITPROBE_CUDA_LIBRARY": cuda_stub, "BITPROBE_CUDA_STUB": "devices=2"}
    result = run_cli("compare", "--op", "add", "--dtype", "f32", "--sizes", "4096,65536", "--min-time", "0", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    comparison = json.loads(result.stdout)
    assert comparison["cpu"] == "cpu0" and comparison["gpus"] == ["cuda0", "cuda1"]
    assert [row["shape"] for row in comparison["rows"]] == ["4096", "65536"]
    assert all(cell["outcome"] == "ok" for row in comparison["rows"] for cell in row["cells"])
    assert set(comparison["rows"][0]["speedup"]) == {"cuda0", "cuda1"}
    (guide,) = comparison["guide"]
    assert guide["line"].startswith("add f32")
    assert "note" not in comparison
    table = run_cli("compare", "--op", "add", "--dtype", "f32", "--sizes", "4096", "--min-time", "0", env=env).stdout
    assert table.splitlines()[0].split() == ["OP", "DTYPE", "SHAPE", "CPU0", "CUDA0", "CUDA1", "SPEEDUP", "CUDA0", "SPEEDUP", "CUDA1", "FASTEST"]
    assert "selection guide:" in table


def test_compare_without_a_driver_prints_the_cpu_column_and_why():
    result = run_cli("compare", "--op", "add", "--sizes", "4096", "--min-time", "0", env={"BITPROBE_CUDA_LIBRARY": "/nonexistent/libcuda.so.1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].split() == ["OP", "DTYPE", "SHAPE", "CPU0", "FASTEST"]
    assert result.stdout.endswith("\nnote: no CUDA device: cannot load the CUDA driver /nonexistent/libcuda.so.1: "
                                  "/nonexistent/libcuda.so.1: cannot open shared object file: No such file or directory\n")


def test_bench_on_the_stub_gpu_and_without_a_driver(cuda_stub):
    result = run_cli("bench", "--backend", "cuda", "--op", "add", "--dtype", "f32", "--shape", "65536", "--min-time", "0",
                     "--output-format", "json", env={"BITPROBE_CUDA_LIBRARY": cuda_stub, "BITPROBE_CUDA_STUB": "devices=2"})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["backend"] == {"kind": "cuda", "device": "cuda0", "kernel_path": "sm_90", "threads": 132}
    (probe,) = report["results"]
    assert probe["outcome"] == "ok" and probe["verification"]["checked_values"] == 65536
    missing = run_cli("bench", "--backend", "cuda", env={"BITPROBE_CUDA_LIBRARY": "/nonexistent/libcuda.so.1"})
    assert missing.returncode == 3
    assert missing.stderr == ("bitprobe bench: error: backend cuda is not available: cannot load the CUDA driver /nonexistent/libcuda.so.1: "
                              "/nonexistent/libcuda.so.1: cannot open shared object file: No such file or directory\n")
    stub_down = run_cli("bench", "--backend", "cuda", "--device", "cuda1", env={"BITPROBE_CUDA_LIBRARY": cuda_stub, "BITPROBE_CUDA_STUB": "devices=2,lost=cuda1"})
    assert stub_down.returncode == 3
    assert stub_down.stderr == ("bitprobe bench: error: backend cuda is not available: cuda1 is down: "
                                "cuMemGetInfo_v2 failed: CUDA_ERROR_ILLEGAL_ADDRESS (an illegal memory access was encountered)\n")


def test_bench_skips_a_probe_the_gpus_free_memory_cannot_hold(cuda_stub):
    # The GPU runner checks each probe against cuMemGetInfo's free bytes, as the CPU runner checks
    # the host's (issue 13): 12 MiB of add buffers on a 1-MiB stub GPU are skipped with the reason,
    # the small probe beside it runs, and the GPU stays up.
    result = run_cli("bench", "--backend", "cuda", "--op", "add", "--dtype", "f32", "--shape", "1048576,1024", "--min-time", "0",
                     "--output-format", "json", env={"BITPROBE_CUDA_LIBRARY": cuda_stub, "BITPROBE_CUDA_STUB": "devices=1,memory=1048576"})
    assert result.returncode == 1, result.stderr
    big, small = json.loads(result.stdout)["results"]
    assert big["outcome"] == "skipped"
    assert big["detail"] == "probe cuda0 add f32 1048576 needs 12.00 MiB of buffers but only 1.00 MiB of memory is available"
    assert small["outcome"] == "ok"


def test_kernels_the_driver_cannot_load_take_the_device_down_with_backoff(agent_factory, cuda_stub):
    agent = start(agent_factory, cuda_stub, "devices=1,module=fail")
    reason = ("cannot load the bitprobe kernels: cuModuleLoadData failed: CUDA_ERROR_UNSUPPORTED_PTX_VERSION "
              "(the provided PTX was compiled with an unsupported toolchain.) (driver older than CUDA 13.0?)")
    text = wait_metrics(agent, lambda t: runs(t, "cuda0", "skipped") >= 1 and "CUDA device recovery failed" in agent.log_path.read_text(),
                        30, "cuda0 down and a failed recovery", explain=lambda: agent.log_path.read_text()[-3000:])
    assert value(text, "bitprobe_backend_up", backend="cuda", device="cuda0") == 0
    log = agent.log_path.read_text()
    assert f'msg="CUDA device down" device=cuda0 next_attempt_in_seconds=1.0 reason="{reason}"' in log
    # The recovery loads the kernels too: it fails, and the next attempt is later.
    assert f'msg="CUDA device recovery failed" device=cuda0 next_attempt_in_seconds=2.0 reason="{reason}"' in log
    assert http_get(agent.url + "/-/healthy")[0] == 200


def test_repeated_unknown_errors_take_the_device_down(agent_factory, cuda_stub):
    agent = start(agent_factory, cuda_stub, "devices=1,errors=unknown")
    text = wait_metrics(agent, lambda t: value(t, "bitprobe_backend_up", backend="cuda", device="cuda0") == 0, 30, "cuda0 down",
                        explain=lambda: agent.log_path.read_text()[-3000:])
    assert runs(text, "cuda0", "failed") >= 1
    # The suite has one GPU probe: every probe of the cycle failed with CUDA_ERROR_UNKNOWN.
    reason = 'reason="cuMemcpyHtoD_v2 failed: CUDA_ERROR_UNKNOWN (unknown error) (every probe of the cycle)"'
    assert f'msg="CUDA device down" device=cuda0 next_attempt_in_seconds=1.0 {reason}' in agent.log_path.read_text()
    # The recovery succeeds (the context is fine), the probe fails again: the backoff goes on doubling.
    again = f'msg="CUDA device down" device=cuda0 next_attempt_in_seconds=2.0 {reason}'
    wait_until(lambda: again in agent.log_path.read_text(), 30, what="cuda0 down again with a 2 s delay",
               explain=lambda: agent.log_path.read_text()[-3000:])


def test_a_hung_kernel_times_out_and_takes_the_device_down_until_a_reset(agent_factory, cuda_stub, tmp_path):
    control = tmp_path / "stub-control"
    control.write_text("hang=bp_add_f32")
    agent = agent_factory(config=CUDA_CONFIG.replace("timeout: 20s", "timeout: 1s"),
                          env={"BITPROBE_CUDA_LIBRARY": cuda_stub, "BITPROBE_CUDA_STUB": f"devices=1,control={control}"})
    agent.wait_ready()
    text = wait_metrics(agent, lambda t: runs(t, "cuda0", "timeout") >= 1 and value(t, "bitprobe_backend_up", backend="cuda", device="cuda0") == 0,
                        30, "a timed-out add and cuda0 down", explain=lambda: agent.log_path.read_text()[-3000:])
    assert ('msg="CUDA device down" device=cuda0 next_attempt_in_seconds=1.0 reason="bp_add_f32 did not complete before the probe '
            'was cancelled (timeout or shutdown): the GPU may be hung"') in agent.log_path.read_text()
    assert http_get(agent.url + "/-/healthy")[0] == 200
    control.write_text("")
    wait_metrics(agent, lambda t: runs(t, "cuda0", "ok") >= 1, 60, "cuda0 recovered and probed",
                 explain=lambda: agent.log_path.read_text()[-3000:])
