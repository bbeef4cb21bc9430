"""A SIGKILLed `baseline create` must not leave its `bench` child running (issue 12: 18 of 20 did)."""
import os
import signal
import subprocess
import time

from conftest import BINARY, wait_until


def children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    found.append(int(entry))
            except OSError:
                continue
    return found


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_the_bench_child_dies_with_a_killed_baseline_create(tmp_path):
    # A portable-path 768^3 matmul with 200 iterations keeps each child busy for many seconds.
    parent = subprocess.Popen([BINARY, "baseline", "create", "doomed", "--baseline-dir", str(tmp_path), "--op", "matmul",
                               "--dtype", "f32", "--shape", "768x768x768", "--simd", "portable", "--rounds", "3", "--duration", "0",
                               "--warmup", "0", "--iterations", "200", "--min-time", "0", "--max-quiet-wait", "0"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        child = wait_until(lambda: children(parent.pid), 30, what="a bench child")[0]
        time.sleep(0.5)
        assert alive(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        start = time.monotonic()
        wait_until(lambda: not alive(child), 5, what="the orphaned bench child to exit")
        assert time.monotonic() - start < 2
    finally:
        if parent.poll() is None:
            parent.kill()
        for pid in children(parent.pid):
            os.kill(pid, signal.SIGKILL)
    assert os.listdir(tmp_path) == []
