"""`make deb`: the package's metadata and contents, Depends naming exactly the packages of the libraries
the binary links, lintian, and a real `dpkg -i` / `dpkg -r` / `dpkg -P` on this machine (CI runs as
root). docs/deployment.md#debian-package."""
import os
import re
import shutil
import subprocess

import pytest

# Tags lintian may report, each explained in docs/deployment.md#debian-package.
EXPECTED_LINTIAN_TAGS = {"initial-upload-closes-no-bugs"}


def run(args, check=True, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)
    if check:
        assert result.returncode == 0, f"{args}: {result.stdout}{result.stderr}"
    return result


@pytest.fixture
def deb(deb_package):
    return deb_package


def field(deb, name):
    return run(["dpkg-deb", "--field", deb, name]).stdout.strip()


def test_package_metadata_and_contents(deb, package_binary):
    assert field(deb, "Package") == "bitprobe"
    assert field(deb, "Architecture") == run(["dpkg", "--print-architecture"]).stdout.strip()
    version = run([package_binary, "--version"]).stdout
    upstream, revision = re.fullmatch(r"(\S+) \(([0-9a-f]{12})[0-9a-f]*\)\n", version).groups()
    assert field(deb, "Version") == f"{upstream.replace('-', '~')}+git{revision}-1"
    assert run(["dpkg-deb", "--ctrl-tarfile", deb]).returncode == 0
    conffiles = subprocess.run(f"dpkg-deb --ctrl-tarfile {deb} | tar -xO ./conffiles", shell=True,
                               capture_output=True, text=True).stdout
    assert conffiles == "/etc/bitprobe/agent.yml\n"
    files = set(re.findall(r"\s\.(/\S+)$", run(["dpkg-deb", "--contents", deb]).stdout, re.M))
    for path in ["/usr/bin/bitprobe", "/etc/bitprobe/agent.yml", "/usr/lib/systemd/system/bitprobe.service",
                 "/usr/share/bitprobe/alerts/bitprobe.rules.yml", "/usr/share/bitprobe/alerts/bitprobe-fleet.rules.yml",
                 "/usr/share/bitprobe/dashboards/bitprobe-fleet.json", "/usr/share/bitprobe/systemd/nvidia.conf",
                 "/usr/share/doc/bitprobe/copyright", "/usr/share/doc/bitprobe/changelog.Debian.gz",
                 "/usr/share/doc/bitprobe/deployment.md.gz", "/usr/share/man/man1/bitprobe.1.gz"]:
        assert path in files, path


def library_packages(binary):
    """Debian packages owning the shared libraries the binary names (DT_NEEDED), found independently of
    dpkg-shlibdeps: resolve each with ldd, then ask dpkg who installed that file."""
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", run(["readelf", "-d", binary]).stdout)
    resolved = dict(re.findall(r"^\s*(\S+) => (\S+)", run(["ldd", binary]).stdout, re.M))
    packages = set()
    for library in needed:
        real = os.path.realpath(resolved.get(library) or f"/lib64/{library}")
        # usrmerge: dpkg knows a library by the /lib or the /usr/lib path it was shipped under.
        candidates = [real, re.sub(r"^/usr/lib/", "/lib/", real), re.sub(r"^/lib/", "/usr/lib/", real)]
        owners = [run(["dpkg", "-S", c], check=False) for c in candidates]
        owner = next((o.stdout for o in owners if o.returncode == 0), None)
        assert owner, f"no package owns {library} ({candidates})"
        packages.add(owner.split(":")[0])
    return packages


def test_depends_names_exactly_the_linked_libraries(deb, package_binary):
    depends = {re.match(r"[a-z0-9.+-]+", item.strip()).group(0) for item in field(deb, "Depends").split(",")}
    assert depends == library_packages(package_binary)


def test_lintian_reports_only_explained_tags(deb):
    assert shutil.which("lintian"), "lintian is not installed (scripts/install-deps --test)"
    result = run(["lintian", "--pedantic", "--tag-display-limit", "0", deb], check=False)
    tags = set(re.findall(r"^[EWIPX]: bitprobe: (\S+)", result.stdout, re.M))
    assert tags <= EXPECTED_LINTIAN_TAGS, result.stdout
    assert not re.search(r"^E: ", result.stdout, re.M), result.stdout


def installed(package="bitprobe"):
    result = run(["dpkg-query", "-W", "-f=${db:Status-Status}", package], check=False)
    return result.stdout if result.returncode == 0 else "not-installed"


@pytest.mark.skipif(os.geteuid() != 0, reason="dpkg -i needs root (CI runs as root)")
def test_dpkg_install_remove_purge(deb, package_binary):
    if installed() != "not-installed":  # left over from an interrupted run
        run(["dpkg", "--purge", "bitprobe"])
    try:
        run(["dpkg", "-i", deb])
        assert installed() == "installed"
        version = run(["/usr/bin/bitprobe", "--version"])
        assert version.stdout == run([package_binary, "--version"]).stdout
        assert run(["/usr/bin/bitprobe", "check-config", "/etc/bitprobe/agent.yml"]).returncode == 0
        assert os.path.isfile("/usr/lib/systemd/system/bitprobe.service")
        assert "ExecStart=/usr/bin/bitprobe agent" in open("/usr/lib/systemd/system/bitprobe.service").read()
        assert run(["dpkg", "--verify", "bitprobe"]).stdout == ""  # every file as packaged
        # The config is a conffile: an edit survives remove; purge deletes it.
        with open("/etc/bitprobe/agent.yml", "a") as f:
            f.write("# edited by test_deploy_deb\n")
        run(["dpkg", "--remove", "bitprobe"])
        assert installed() == "config-files" and not os.path.exists("/usr/bin/bitprobe")
        assert open("/etc/bitprobe/agent.yml").read().endswith("# edited by test_deploy_deb\n")
        run(["dpkg", "--purge", "bitprobe"])
        assert installed() == "not-installed"
        assert not os.path.exists("/etc/bitprobe") and not os.path.exists("/usr/share/bitprobe")
        assert not os.path.lexists("/etc/systemd/system/multi-user.target.wants/bitprobe.service")
    finally:
        if installed() != "not-installed":
            run(["dpkg", "--purge", "bitprobe"], check=False)
