"""scripts/ci-gate end to end with the built binary: the first run creates the baseline, later runs
gate on it with a JUnit report, an injected slowdown fails the job, and bad usage is an error of its
own (exit 2), so CI can tell 'slower' from 'broken'."""
import os
import subprocess
import xml.etree.ElementTree as ElementTree

import yaml

from conftest import BINARY, ROOT

GATE = os.path.join(ROOT, "scripts", "ci-gate")
TINY = "--op add,matmul --dtype f32 --shape 1024 --shape 16x16x16 --rounds 5 --duration 0 --warmup 2 --iterations 30 --min-time 0.01 --max-quiet-wait 0"
QUICK_REGRESS = "--confirm 0 --max-quiet-wait 0"


def gate(tmp_path, *args, env=None):
    environment = {k: v for k, v in os.environ.items() if k not in ("BITPROBE_FAULT_INJECT", "BITPROBE_BASELINE_DIR")}
    environment.update(env or {})
    return subprocess.run([GATE, "--binary", BINARY, "--baseline-dir", str(tmp_path / "baselines"), "--junit", str(tmp_path / "junit.xml"),
                           "--create-flags", TINY, *args], capture_output=True, text=True, timeout=300, env=environment)


def test_first_run_creates_then_gates(tmp_path):
    first = gate(tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "ci-gate: creating baseline 'ci' (no baseline 'ci' in " in first.stdout
    assert first.stdout.rstrip().endswith("ci-gate: PASS: baseline 'ci' saved; later runs are gated on it")
    assert (tmp_path / "baselines" / "ci.json").exists()

    # Generous thresholds: tiny probes on a shared machine are noisy; this checks the pass path.
    passing = gate(tmp_path, "--regress-flags", QUICK_REGRESS + " --threshold 200 --critical-threshold 400")
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert passing.stdout.rstrip().endswith(f"ci-gate: PASS: no regression against baseline 'ci' (JUnit: {tmp_path / 'junit.xml'})")
    suite = ElementTree.parse(tmp_path / "junit.xml").getroot()
    assert len(suite.findall(".//testcase")) == 2 and not suite.findall(".//failure")

    slowed = {"BITPROBE_FAULT_INJECT": "op=add,dtype=f32,shape=1024,factor=3"}
    failing = gate(tmp_path, "--regress-flags", QUICK_REGRESS + " --critical-threshold 1000", env=slowed)
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "ci-gate: FAIL: regressions against baseline 'ci'" in failing.stdout
    failed = [case.get("name") for case in ElementTree.parse(tmp_path / "junit.xml").getroot().iter("testcase") if case.find("failure") is not None]
    assert failed == ["add f32 1024"]

    warned = gate(tmp_path, "--fail-on", "critical", "--regress-flags", QUICK_REGRESS + " --critical-threshold 1000", env=slowed)
    assert warned.returncode == 0, warned.stdout + warned.stderr
    assert "ci-gate: PASS with warnings: regressions below critical against baseline 'ci'" in warned.stdout

    updated = gate(tmp_path, "--update")
    assert updated.returncode == 0 and "ci-gate: creating baseline 'ci' (--update)" in updated.stdout


def test_usage_errors_are_exit_2(tmp_path):
    for args, message in [
        (["--fail-on", "sometimes"], "ci-gate: error: --fail-on: expected regression or critical, got 'sometimes'"),
        (["--frobnicate"], "ci-gate: error: unknown argument '--frobnicate' (see --help)"),
    ]:
        run = gate(tmp_path, *args)
        assert run.returncode == 2 and run.stderr.strip() == message, run.stderr
    missing = subprocess.run([GATE, "--binary", str(tmp_path / "nope")], capture_output=True, text=True, timeout=30)
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"ci-gate: error: no bitprobe binary at '{tmp_path / 'nope'}' (build it with 'make release' or pass --binary)"


def test_example_workflows_call_the_gate_with_flags_it_has():
    github = yaml.safe_load(open(os.path.join(ROOT, "examples", "ci", "github-actions.yml")))
    gitlab = yaml.safe_load(open(os.path.join(ROOT, "examples", "ci", "gitlab-ci.yml")))
    commands = [step["run"] for step in github["jobs"]["gate"]["steps"] if "run" in step]
    commands += gitlab["bitprobe-gate"]["script"]
    calls = [line for command in commands for line in command.splitlines() if "scripts/ci-gate" in line]
    assert len(calls) == 3
    known = {"--baseline", "--baseline-dir", "--junit", "--update", "--binary", "--fail-on", "--create-flags", "--regress-flags"}
    for call in calls:
        flags = {word for word in call.split() if word.startswith("--")}
        assert flags <= known, call
    assert gitlab["bitprobe-gate"]["artifacts"]["reports"]["junit"] == "bitprobe-regress.xml"
