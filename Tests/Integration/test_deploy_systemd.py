"""The Debian package's hardened unit under a real systemd. The test machine has no systemd as PID 1, so
podman boots one: the machine's own root file system as an overlay (`--rootfs /:O`: nothing it writes
reaches the host), `--systemd=always`, no network, to basic.target only. There `dpkg -i` installs the
package, and the unit must start as its dynamic user at its nice level, answer on its loopback, reload
on SIGHUP without restarting, come back after being killed (Restart=on-failure), still start with the
GPU drop-in, score the same exposure online as offline, and go away on purge. docs/deployment.md#systemd.
"""
import os
import re
import shutil
import subprocess
import uuid

import pytest

from conftest import ROOT, wait_until
from test_deploy_image import podman  # noqa: F401  (podman with runc, cgroupfs and a containers.conf)
from test_deploy_install import MAX_EXPOSURE, MAX_EXPOSURE_GPU

# The same binary packaged under a version that sorts after any 0.0.0~dev build.
NEWER = "0.0.1~upgrade-1"

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("/lib/systemd/systemd") is None,
                                reason="booting systemd in podman needs root and systemd installed (CI has both)")


@pytest.fixture(scope="module")
def machine(podman):  # noqa: F811
    name = f"bitprobe-systemd-{uuid.uuid4().hex[:8]}"
    # The host's /tmp, /run and /var/tmp hold sockets that tmpfs copy-up cannot copy: start them empty.
    podman("run", "--detach", "--name", name, "--privileged", "--network", "none", "--systemd=always",
           "--tmpfs", "/tmp:rw,notmpcopyup", "--tmpfs", "/run:rw,notmpcopyup", "--tmpfs", "/var/tmp:rw,notmpcopyup",
           "--rootfs", "/:O", "/lib/systemd/systemd", "--unit=basic.target")

    def sh(command, check=True, timeout=60):
        return podman("exec", name, "sh", "-c", command, check=check, timeout=timeout)

    try:
        wait_until(lambda: sh("systemctl is-system-running", check=False).stdout.strip() in ("running", "degraded"),
                   60, interval=0.5, what="systemd in the container to finish booting",
                   explain=lambda: sh("systemctl list-jobs --no-pager", check=False).stdout)
        yield name, sh
    finally:
        podman("rm", "--force", "--time", "2", name, check=False)


@pytest.fixture(scope="module")
def newer_deb(package_binary, tmp_path_factory):
    out = tmp_path_factory.mktemp("deb-newer")
    result = subprocess.run(["make", "-s", "deb", f"PACKAGE_BIN={package_binary}", f"DEBDIR={out}"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300,
                            env={**os.environ, "DEB_VERSION": NEWER, "DEB_XZ_LEVEL": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip().splitlines()[-1]


def main_pid(sh):
    return int(sh("systemctl show --property MainPID --value bitprobe").stdout.strip())


def metric(sh, name):
    text = sh("curl -s --max-time 5 http://127.0.0.1:9961/metrics", check=False).stdout
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    return float(match.group(1)) if match else None


def wait_serving(sh, what):
    wait_until(lambda: sh("systemctl is-active bitprobe", check=False).stdout.strip() == "active" and
               metric(sh, "bitprobe_cycles_total"), 60, interval=0.5, what=what,
               explain=lambda: sh("systemctl status bitprobe --no-pager; journalctl -u bitprobe --no-pager -n 20",
                                  check=False).stdout)


def exposure(sh):
    output = sh("systemd-analyze security --no-pager bitprobe.service").stdout
    return float(re.search(r"Overall exposure level for bitprobe\.service: ([0-9.]+)", output).group(1))


def test_packaged_unit_under_systemd(machine, deb_package, newer_deb, podman):  # noqa: F811
    deb = deb_package
    name, sh = machine
    podman("cp", deb, f"{name}:/root/bitprobe.deb")
    # A container image's policy-rc.d forbids maintainer scripts to start services; a host has none
    # (removed in the overlay only), so the postinst's enable-and-start runs as on a host.
    # man-db's trigger rebuilds the whole manual index at every dpkg run (seconds each): off, in the overlay.
    sh("rm -f /usr/sbin/policy-rc.d /var/lib/man-db/auto-update && dpkg -i /root/bitprobe.deb")
    assert sh("systemctl is-enabled bitprobe").stdout.strip() == "enabled"
    wait_serving(sh, "bitprobe.service started by the package's postinst")

    pid = main_pid(sh)
    user, nice = sh(f"ps -o user=,ni= -p {pid}").stdout.split()
    assert user == "bitprobe" and nice == "10"  # DynamicUser named after the unit; Nice=10
    assert sh("stat -c %U /var/lib/private/bitprobe").stdout.strip() == "bitprobe"
    assert sh("readlink /var/lib/bitprobe").stdout.strip() == "private/bitprobe"
    assert metric(sh, 'bitprobe_backend_up{backend="cpu",device="cpu0"}') == 1
    base_exposure = exposure(sh)
    assert base_exposure <= MAX_EXPOSURE

    # systemctl reload: SIGHUP re-reads the config in the same process.
    before = metric(sh, "bitprobe_config_last_reload_success_timestamp_seconds")
    sh("systemctl reload bitprobe")
    wait_until(lambda: metric(sh, "bitprobe_config_last_reload_success_timestamp_seconds") > before, 20,
               what="the reload to be counted")
    assert main_pid(sh) == pid and metric(sh, "bitprobe_config_last_reload_successful") == 1

    # A baseline made by root as docs/deployment.md says is compared once the config names it.
    sh("BITPROBE_BASELINE_DIR=/var/lib/bitprobe/baselines bitprobe baseline create nightly --max-quiet-wait 0 "
       "--op add --dtype f32 --shape 4194304 --rounds 1 --duration 0 --iterations 3 --min-time 0", timeout=120)
    sh("printf 'baseline:\\n  name: nightly\\n' >> /etc/bitprobe/agent.yml && systemctl restart bitprobe")
    ratio = ('bitprobe_probe_baseline_ratio{backend="cpu",baseline="nightly",device="cpu0",dtype="f32",op="add",'
             'shape="4194304"}')
    wait_until(lambda: metric(sh, ratio) is not None, 60, interval=0.5, what="the baseline compared",
               explain=lambda: sh("journalctl -u bitprobe --no-pager -n 20", check=False).stdout)
    # systemd leaves it root's (it fixes ownership only when the state directory's own owner differs);
    # the agent only reads baselines.
    assert sh("stat -c %U /var/lib/private/bitprobe/baselines/nightly.json").stdout.strip() == "root"
    pid = main_pid(sh)

    # Killed, it comes back after RestartSec.
    sh("systemctl kill --signal=SIGKILL bitprobe")
    wait_until(lambda: main_pid(sh) not in (0, pid), 30, interval=0.5, what="systemd to restart the agent")
    wait_serving(sh, "the restarted agent serving")

    # The GPU drop-in as docs/deployment.md installs it: the unit still starts (no NVIDIA devices here).
    sh("install -D -m 0644 /usr/share/bitprobe/systemd/nvidia.conf /etc/systemd/system/bitprobe.service.d/nvidia.conf"
       " && systemctl daemon-reload && systemctl restart bitprobe")
    wait_serving(sh, "the agent serving with the GPU drop-in")
    assert base_exposure < exposure(sh) <= MAX_EXPOSURE_GPU
    sh("rm /etc/systemd/system/bitprobe.service.d/nvidia.conf && systemctl daemon-reload")

    # Upgrade to a newer package and roll back to the first: each restarts the agent (postinst), and the
    # edited config (a conffile) stays.
    podman("cp", newer_deb, f"{name}:/root/newer.deb")
    original = subprocess.run(["dpkg-deb", "--field", deb, "Version"], capture_output=True, text=True).stdout.strip()
    for package, version in (("/root/newer.deb", NEWER), ("/root/bitprobe.deb", original)):
        before = main_pid(sh)
        sh(f"dpkg -i {package}")
        assert sh("dpkg-query -W -f '${Version}' bitprobe").stdout == version
        wait_until(lambda: main_pid(sh) not in (0, before), 30, interval=0.5, what=f"a restart on installing {version}")
        wait_serving(sh, f"the agent serving after installing {version}")
        assert "name: nightly" in sh("cat /etc/bitprobe/agent.yml").stdout

    # The prerm stops it; purge removes its state.
    sh("dpkg --purge bitprobe")
    assert sh("systemctl is-active bitprobe", check=False).stdout.strip() in ("inactive", "unknown")
    assert sh("pgrep -x bitprobe", check=False).returncode != 0
    assert sh("test -e /var/lib/private/bitprobe || test -e /usr/bin/bitprobe", check=False).returncode != 0
