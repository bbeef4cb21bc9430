"""Where command output goes: devices, FIFOs, symlinks and a full stdout (issue 12)."""
import os
import stat
import subprocess
import threading

from conftest import BINARY

BENCH = [BINARY, "bench", "--op", "add", "--shape", "1000", "--warmup", "0", "--iterations", "1", "--min-time", "0", "--format", "json"]


def test_a_write_error_on_stdout_is_exit_3_not_0():
    with open("/dev/full", "w") as full:
        result = subprocess.run(BENCH, stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert result.returncode == 3
    assert result.stderr.splitlines()[-1] == "bitprobe: error: cannot write standard output: No space left on device"


def test_output_to_a_fifo_is_written_through(tmp_path):
    fifo = tmp_path / "results.fifo"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(open(fifo, "rb").read()))
    reader.start()
    result = subprocess.run(BENCH + ["--output", str(fifo)], capture_output=True, text=True, timeout=60)
    reader.join(10)
    assert result.returncode == 0, result.stderr
    assert received and received[0].startswith(b"{")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_output_through_a_symlink_replaces_its_target(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "bench.json"
    target.write_text("old")
    link = tmp_path / "bench.json"
    link.symlink_to("real/bench.json")
    result = subprocess.run(BENCH + ["--output", str(link)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink()
    assert target.read_text().startswith("{")
    assert sorted(os.listdir(tmp_path / "real")) == ["bench.json"]
