"""`make image`: the OCI image built FROM scratch with podman runs the agent as a non-root user on a
read-only root file system, serves /metrics on 127.0.0.1, writes baselines to its volume, and carries the
OCI labels. podman runs with runc, cgroupfs and a containers.conf without default ulimits (what this
machine kind allows; docs/deployment.md#container-image). Prints the image size."""
import json
import os
import shutil
import subprocess
import uuid

import pytest

from conftest import ROOT, free_port, http_get, wait_until

# The binary is ~18 MB stripped and its libraries ~20 MB; a base image or a debug build would show here.
MAX_IMAGE_BYTES = 64 * 1024 * 1024


@pytest.fixture(scope="module")
def podman(tmp_path_factory):
    if shutil.which("podman") is None or shutil.which("runc") is None:
        pytest.fail("podman and runc are not installed (scripts/install-deps --test)")
    conf = tmp_path_factory.mktemp("podman") / "containers.conf"
    conf.write_text("[containers]\ndefault_ulimits = []\n")
    env = {**os.environ, "CONTAINERS_CONF": str(conf)}

    def podman(*args, check=True, timeout=120):
        result = subprocess.run(["podman", "--runtime", "runc", "--cgroup-manager=cgroupfs", *args],
                                capture_output=True, text=True, env=env, timeout=timeout)
        if check:
            assert result.returncode == 0, f"podman {' '.join(args)}: {result.stdout}{result.stderr}"
        return result
    return podman


@pytest.fixture(scope="module")
def image(package_binary, podman):
    name = f"localhost/bitprobe-test-{uuid.uuid4().hex[:8]}"
    result = subprocess.run(["make", "-s", "image", f"PACKAGE_BIN={package_binary}"], cwd=ROOT, capture_output=True,
                            text=True, timeout=600, env={**os.environ, "IMAGE_NAME": name})
    assert result.returncode == 0, result.stdout + result.stderr
    reference = result.stdout.strip().splitlines()[-1]
    assert reference.startswith(name + ":")
    yield reference
    podman("rmi", "--force", reference, f"{name}:latest", check=False)


def test_image_metadata(image, podman, package_binary):
    (info,) = json.loads(podman("image", "inspect", image).stdout)
    version, revision = run_version(package_binary)
    labels = info["Config"]["Labels"]
    assert labels["org.opencontainers.image.version"] == version
    assert labels["org.opencontainers.image.revision"] == revision
    assert labels["org.opencontainers.image.source"]
    assert info["Config"]["User"] == "65532:65532"
    assert info["Config"]["Entrypoint"] == ["/usr/bin/bitprobe"]
    assert "/var/lib/bitprobe" in info["Config"]["Volumes"]
    # FROM scratch, built without intermediate layers: one layer, holding only what build-image put there.
    assert len(info["RootFS"]["Layers"]) == 1
    print(f"\nimage {image}: {info['Size']} bytes ({info['Size'] / 1e6:.1f} MB)")
    assert info["Size"] < MAX_IMAGE_BYTES


def run_version(binary):
    text = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
    version, rest = text.split(" ", 1)
    return version, rest.strip().strip("()")


def test_container_serves_metrics_read_only_as_non_root(image, podman, package_binary):
    port = free_port()
    volume = f"bitprobe-test-{uuid.uuid4().hex[:8]}"
    container = podman("run", "--detach", "--read-only", "--network", "host", "--volume", f"{volume}:/var/lib/bitprobe",
                       image, "agent", "--config.file=/etc/bitprobe/agent.yml",
                       f"--web.listen-address=127.0.0.1:{port}").stdout.strip()
    try:
        url = f"http://127.0.0.1:{port}"

        def logs():
            return podman("logs", container, check=False).stdout + podman("logs", container, check=False).stderr

        wait_until(lambda: http_get(url + "/-/ready")[0] == 200, 60, what="the container's readiness", explain=logs)
        status, headers, body = http_get(url + "/metrics")
        text = body.decode()
        version, revision = run_version(package_binary)
        assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
        assert f'bitprobe_build_info{{revision="{revision}",version="{version}"}} 1' in text
        assert 'bitprobe_probe_runs_total{backend="cpu",device="cpu0",dtype="f32",op="matmul"' in text
        assert 'bitprobe_backend_up{backend="cpu",device="cpu0"} 1' in text
        top = podman("top", container, "user", "args").stdout
        assert "bitprobe agent" in top and "root" not in top.splitlines()[1]
        # The root file system is read-only, the volume is not: a baseline can be made in it.
        created = podman("exec", container, "/usr/bin/bitprobe", "baseline", "create", "smoke", "--max-quiet-wait", "0",
                         "--op", "add", "--dtype", "f32", "--shape", "65536", "--rounds", "1", "--duration", "0",
                         "--iterations", "3", "--min-time", "0", timeout=120)
        assert created.returncode == 0
        assert "smoke" in podman("exec", container, "/usr/bin/bitprobe", "baseline", "list").stdout
        denied = podman("exec", container, "/usr/bin/bitprobe", "baseline", "create", "x", "--baseline-dir", "/etc/x",
                        "--max-quiet-wait", "0", "--op", "add", "--dtype", "f32", "--shape", "65536", "--rounds", "1",
                        "--duration", "0", "--iterations", "3", "--min-time", "0", check=False)
        assert denied.returncode != 0
    finally:
        podman("rm", "--force", "--time", "2", container, check=False)
        podman("volume", "rm", "--force", volume, check=False)


def test_the_daemonset_container_spec_runs_this_image(image, podman, tmp_path):
    """The base DaemonSet's container, as a kubelet would run it, translated to podman: its args, env,
    user, read-only root, dropped capabilities, memory limit, the ConfigMap mounted read-only where it
    says and emptyDirs for the rest; its readiness and liveness paths answer. Only the listen address is
    added, to stay on 127.0.0.1 with the host's network."""
    from test_deploy_kubernetes import by_kind, kustomize

    kinds = by_kind(kustomize("base"))
    (daemonset,) = kinds["DaemonSet"]
    (config_map,) = kinds["ConfigMap"]
    pod = daemonset["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] and security["capabilities"]["drop"] == ["ALL"]
    assert security["allowPrivilegeEscalation"] is False

    config_dir = tmp_path / "config"
    config_dir.mkdir()
    for name, text in config_map["data"].items():
        (config_dir / name).write_text(text)
    volumes = {v["name"]: v for v in pod["volumes"]}
    flags = ["--read-only", "--cap-drop=ALL", "--security-opt=no-new-privileges", "--network", "host",
             f"--user={pod['securityContext']['runAsUser']}:{pod['securityContext']['runAsGroup']}",
             f"--memory={container['resources']['limits']['memory'].replace('Mi', 'm')}"]
    for mount in container["volumeMounts"]:
        volume = volumes[mount["name"]]
        if "configMap" in volume:
            assert volume["configMap"]["name"] == config_map["metadata"]["name"] and mount.get("readOnly")
            flags += ["--volume", f"{config_dir}:{mount['mountPath']}:ro"]
        else:
            assert "emptyDir" in volume, volume
            # An emptyDir the pod's fsGroup may write: a tmpfs owned by the container's user (podman 4.3
            # ignores a tmpfs mode, so U it is).
            flags += ["--tmpfs", f"{mount['mountPath']}:rw,U"]
    for variable in container["env"]:
        flags += ["--env", f"{variable['name']}={variable['value']}"]
    port = free_port()
    args = [*container["args"], f"--web.listen-address=127.0.0.1:{port}"]
    container_id = podman("run", "--detach", *flags, image, *args).stdout.strip()
    try:
        url = f"http://127.0.0.1:{port}"

        def logs():
            result = podman("logs", container_id, check=False)
            return result.stdout + result.stderr

        ready = container["readinessProbe"]["httpGet"]["path"]
        wait_until(lambda: http_get(url + ready)[0] == 200, 60, what="readiness at " + ready, explain=logs)
        assert http_get(url + container["livenessProbe"]["httpGet"]["path"])[0] == 200
        status, _, body = http_get(url + "/metrics")
        assert status == 200 and b'bitprobe_backend_up{backend="cpu",device="cpu0"} 1' in body
        created = podman("exec", container_id, "/usr/bin/bitprobe", "baseline", "create", "smoke", "--max-quiet-wait",
                         "0", "--op", "add", "--dtype", "f32", "--shape", "65536", "--rounds", "1", "--duration", "0",
                         "--iterations", "3", "--min-time", "0", timeout=120)
        assert created.returncode == 0
    finally:
        podman("rm", "--force", "--time", "2", container_id, check=False)


def test_image_loads_a_cuda_driver_where_the_nvidia_runtime_puts_it(image, podman, cuda_stub):
    """The NVIDIA container runtime mounts the host's libcuda.so.1 into /usr/lib/x86_64-linux-gnu; the
    image's loader searches there (no ld.so.cache needed), so `devices` finds the GPUs without
    BITPROBE_CUDA_LIBRARY. The stub driver (docs/cuda.md) stands in for the real one."""
    result = podman("run", "--rm", "--read-only", "--network", "none",
                    "--volume", f"{cuda_stub}:/usr/lib/x86_64-linux-gnu/libcuda.so.1:ro",
                    "--env", "BITPROBE_CUDA_STUB=devices=2", image, "devices")
    assert "bitprobe stub GPU 0" in result.stdout and "bitprobe stub GPU 1" in result.stdout, result.stdout
