"""The facts about the machine that every power and benchmark run prints with its numbers: the
CPU model, the CPUs this process may use, the kernel, and the SIMD path bitprobe's kernels pick.
Results differ between CPU models (docs/regression.md), so a number without them is half a number."""
import json
import os
import platform
import subprocess


def describe(binary=None):
    fields = {}
    with open("/proc/cpuinfo") as f:
        for line in f:
            if not line.strip():
                break  # the first processor's block is enough
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    # A VM may show only "AMD EPYC": family and model tell the generation (family 25: Zen 3/4, 26: Zen 5).
    cpu = f"{fields.get('model name', 'unknown')} (family {fields.get('cpu family', '?')}, model {fields.get('model', '?')}, stepping {fields.get('stepping', '?')})"
    parts = [f"CPU {cpu}", f"{len(os.sched_getaffinity(0))} CPUs usable", f"kernel {platform.release()}"]
    if binary:
        try:
            devices = json.loads(subprocess.run([binary, "devices", "--format", "json"], capture_output=True, text=True, timeout=60).stdout)
            cpu0 = next(d for d in devices["devices"] if d["device"] == "cpu0")
            parts.append(f"SIMD path {cpu0.get('simd_path')} (available: {' '.join(cpu0.get('simd_paths_available') or [])})")
        except (OSError, ValueError, StopIteration, KeyError, subprocess.TimeoutExpired) as error:
            parts.append(f"SIMD path unknown ({error})")
    return "machine: " + ", ".join(parts)
