"""Examples/TimeYourOperation: a package of a user's own that depends on the BitProbe library by
path, times its own function with OperationBenchmark and ProfileSpan, and writes the bench JSON."""
import json
import os
import subprocess

from conftest import ROOT

EXAMPLE = os.path.join(ROOT, "Examples", "TimeYourOperation")


def test_example_package_builds_runs_and_writes_bench_json(tmp_path):
    # A scratch path of its own each time, as a user's fresh checkout builds: SwiftPM does not always
    # notice files added to a path dependency in a build folder it planned before.
    scratch = tmp_path / "build"
    build = subprocess.run(["swift", "build", "--package-path", EXAMPLE, "--scratch-path", str(scratch)], capture_output=True, text=True, timeout=900)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    binary = str(scratch / "debug" / "TimeYourOperation")
    output = tmp_path / "ops.json"
    run = subprocess.run([binary, str(output)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("rmsnorm: ok, median ")
    assert "operation rmsnorm" in run.stdout and "measure" in run.stdout
    document = json.loads(output.read_text())
    assert document["schema_version"] == 1 and document["results"] == []
    operation = document["operations"][0]
    assert operation["outcome"] == "ok" and operation["context"]["name"] == "rmsnorm" and operation["context"]["batch_size"] == 8
    assert len(operation["samples"]) >= 10 and operation["statistics"]["count"] == len(operation["samples"])
    assert abs(operation["bytes_per_second"] - 262144 / operation["statistics"]["median"]) < 1e-6 * operation["bytes_per_second"]
