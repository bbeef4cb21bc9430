"""Every command that renders a result writes CSV and --output: parsed back with Python's csv module
(RFC 4180), columns as docs/csv.md lists them, and bad values refused with their exact message."""
import csv
import io
import json
import subprocess

from conftest import BINARY

QUICK = ["--iterations", "2", "--min-time", "0"]


def bitprobe(*args, env=None):
    return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=300, env=env)


def rows(text):
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_compare_csv_and_output_file(tmp_path):
    run = bitprobe("compare", "--op", "add", "--sizes", "4096,65536", "--format", "csv", *QUICK)
    assert run.returncode == 0, run.stderr
    table = rows(run.stdout)
    assert [(r["op"], r["size"], r["device"], r["result"]) for r in table] == [("add", "4096", "cpu0", "ok"), ("add", "65536", "cpu0", "ok")]
    assert float(table[0]["median_seconds"]) > 0 and table[0]["speedup_over_cpu"] == "" and table[0]["fastest"] == "cpu0"

    output = tmp_path / "compare.json"
    run = bitprobe("compare", "--op", "add", "--sizes", "4096", "--format", "json", "--output", str(output), *QUICK)
    assert run.returncode == 0 and run.stdout == ""
    assert json.loads(output.read_text())["rows"][0]["size"] == 4096


def test_compare_batch_study(tmp_path):
    run = bitprobe("compare", "--batch", "1,4,16", "--weights", "512x512", "--op", "ternary_matmul", "--format", "csv", *QUICK)
    assert run.returncode == 0, run.stderr
    table = rows(run.stdout)
    assert [(r["op"], r["batch"], r["shape"], r["result"]) for r in table] == [
        ("ternary_matmul", "1", "1x512x512", "ok"), ("ternary_matmul", "4", "4x512x512", "ok"), ("ternary_matmul", "16", "16x512x512", "ok")]
    assert table[0]["growth"] == "" and float(table[1]["growth"]) > 0
    run = bitprobe("compare", "--batch", "2,1", "--weights", "256x256", "--op", "matmul", "--dtype", "f32", "--format", "json", *QUICK)
    document = json.loads(run.stdout)
    assert document["batches"] == [1, 2] and document["series"][0]["op"] == "matmul" and document["series"][0]["dtype"] == "f32"


def test_compare_layout_study_and_report_from_it(tmp_path):
    run = bitprobe("compare", "--strides", "4,2", "--elements", "65536", "--format", "csv", *QUICK)
    assert run.returncode == 0, run.stderr
    table = rows(run.stdout)
    assert [(r["stride"], r["shape"], r["result"]) for r in table] == [("1", "65536x1", "ok"), ("2", "65536x2", "ok"), ("4", "65536x4", "ok")]
    assert float(table[0]["slowdown_vs_contiguous"]) == 1.0 and float(table[2]["slowdown_vs_contiguous"]) > 0
    layout = tmp_path / "layout.json"
    batch = tmp_path / "batch.json"
    assert bitprobe("compare", "--strides", "8", "--elements", "65536", "--format", "json", "--output", str(layout), *QUICK).returncode == 0
    assert bitprobe("compare", "--batch", "1,2", "--weights", "256x256", "--op", "ternary_matmul", "--format", "json", "--output", str(batch), *QUICK).returncode == 0
    report = bitprobe("report", "--from", str(layout), str(batch), "--format", "json", "--output", "-")
    assert report.returncode == 0, report.stderr
    document = json.loads(report.stdout)
    assert [row["stride"] for row in document["layout"]["rows"]] == [1, 8]
    assert document["batch"]["series"][0]["op"] == "ternary_matmul" and document["probes"] == []


def test_memory_devices_csv():
    run = bitprobe("memory", "--op", "add", "--shape", "4096", "--format", "csv")
    assert run.returncode == 0, run.stderr
    cpu = rows(run.stdout)[0]
    assert cpu["device"] == "cpu0" and int(cpu["peak_bytes"]) > 0 and int(cpu["allocate_events"]) >= 1 and int(cpu["allocate_bytes"]) > 0
    run = bitprobe("devices", "--format", "csv")
    assert run.returncode == 0
    device = rows(run.stdout)[0]
    assert device["backend"] == "cpu" and device["up"] == "true" and int(device["cores"]) >= 1


def test_bad_values_are_named():
    for args, message in [
        (["compare", "--batch", "0"], "bitprobe compare: error: --batch: '0' is not a positive integer"),
        (["compare", "--batch", "1", "--weights", "4096"], "bitprobe compare: error: --weights: expected NxK such as 4096x4096, got '4096'"),
        (["compare", "--batch", "1", "--op", "copy"], "bitprobe compare: error: --batch grows matrix products: --op matmul or ternary_matmul, got 'copy'"),
        (["compare", "--strides", "x"], "bitprobe compare: error: --strides: 'x' is not a positive integer"),
        (["compare", "--op", "strided_add"], "bitprobe compare: error: strided_add compares layouts, not devices: use --strides, e.g. --strides 1,2,4,8,16"),
        (["bench", "--backend", "cuda", "--op", "strided_add"], "bitprobe bench: error: op 'strided_add' does not run on backend cuda; it runs on: cpu"),
        (["compare", "--op", "add", "--output", "/nonexistent-dir/c.csv"], "bitprobe compare: error: cannot write output file '/nonexistent-dir/c.csv': No such file or directory"),
        (["memory", "--events", "0"], "bitprobe memory: error: --events must be at least 1 (got 0)"),
        (["devices", "--output", "/nonexistent-dir/d.csv"], "bitprobe devices: error: cannot write output file '/nonexistent-dir/d.csv': No such file or directory"),
    ]:
        run = bitprobe(*args)
        assert run.stderr.strip() == message, args
        assert run.returncode in (3, 64), args


def test_contradicting_compare_flags_are_validation_errors():
    # The studies exclude one another: compare's validate() refuses such flags before anything runs
    # (issue 13), as swift-argument-parser prints a ValidationError: the message, then the usage.
    for args, message in [
        (["compare", "--batch", "1", "--sizes", "64"], "Error: --batch and --sizes both choose what grows: give one"),
        (["compare", "--weights", "64x64"], "Error: --weights applies to --batch only"),
        (["compare", "--strides", "2", "--op", "add"], "Error: --strides runs strided_add f32 on cpu0: it takes --elements, not --sizes, --op, --dtype, --weights or --device"),
        (["compare", "--strides", "2", "--batch", "4"], "Error: --batch and --strides are separate studies: give one"),
        (["compare", "--elements", "64"], "Error: --elements applies to --strides only"),
    ]:
        run = bitprobe(*args)
        lines = run.stderr.splitlines()
        assert lines[0] == message, args
        assert lines[1].startswith("Usage: bitprobe compare"), args
        assert run.returncode == 64, args
        assert run.stdout == "", args


def test_unknown_formats_are_the_parsers_error():
    # --format is a choice swift-argument-parser checks while parsing (issue 13).
    for command, value in [("compare", "xml"), ("memory", "yaml"), ("devices", "xml")]:
        run = bitprobe(command, "--format", value)
        assert run.stderr.splitlines()[0] == (f"Error: The value '{value}' is invalid for '--format <format>'. "
                                              "Please provide one of 'table', 'json' or 'csv'."), command
        assert run.returncode == 64, command
        assert run.stdout == "", command


def test_baseline_show_and_regress_csv(tmp_path):
    directory = ["--baseline-dir", str(tmp_path)]
    created = bitprobe("baseline", "create", "tiny", "--op", "add", "--dtype", "f32", "--shape", "1024", "--rounds", "5", "--duration", "0",
                       "--iterations", "20", "--min-time", "0.01", "--max-quiet-wait", "0", *directory)
    assert created.returncode == 0, created.stderr
    shown = bitprobe("baseline", "show", "tiny", "--format", "csv", "--output", str(tmp_path / "tiny.csv"), *directory)
    assert shown.returncode == 0 and shown.stdout == ""
    stored = rows((tmp_path / "tiny.csv").read_text())
    assert [(r["op"], r["dtype"], r["shape"], r["result"]) for r in stored] == [("add", "f32", "1024", "ok")]
    regress = bitprobe("regress", "--baseline", "tiny", "--threshold", "200", "--critical-threshold", "400", "--confirm", "0", "--max-quiet-wait", "0",
                       "--output-format", "csv", *directory)
    assert regress.returncode == 0, regress.stderr
    compared = rows(regress.stdout)
    assert len(compared) == 1 and compared[0]["verdict"] in ("unchanged", "improvement")
    assert float(compared[0]["median_ratio"]) > 0 and int(compared[0]["baseline_samples"]) >= 20
