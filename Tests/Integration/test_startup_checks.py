"""check-config runs the checks start-up runs, and TLS versions follow min_version (issue 12)."""
import subprocess

import pytest

from conftest import BINARY, FAST_CONFIG, wait_until

BCRYPT = "$2y$10$abcdefghijklmnopqrstuu5Ww8hjCr9XCm4Y9ciRVRR8y.VFmY/xe"


def openssl_pair(directory, name):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(directory / f"{name}.key"), "-out", str(directory / f"{name}.crt")],
                   check=True, capture_output=True)


@pytest.fixture
def pki(tmp_path):
    openssl_pair(tmp_path, "a")
    openssl_pair(tmp_path, "b")
    subprocess.run(["openssl", "rsa", "-in", str(tmp_path / "a.key"), "-aes256", "-passout", "pass:x", "-out", str(tmp_path / "enc.key")],
                   check=True, capture_output=True)
    return tmp_path


def check(directory, web=None, listen="127.0.0.1:0", env=None):
    config = directory / "agent.yml"
    text = f'web:\n  listen_address: "{listen}"\n'
    if web is not None:
        (directory / "web.yml").write_text(web)
        text += f"  config_file: {directory / 'web.yml'}\n"
    config.write_text(text)
    return subprocess.run([BINARY, "check-config", str(config)], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", **(env or {})})


def tls(cert, key, extra=""):
    return f"tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n{extra}"


@pytest.mark.parametrize("cert,key,reason", [
    ("a.crt", "b.key", "GnuTLS failed to setup x509 certificate/key: The certificate and the given key do not match; Failed to initialize TLS support"),
    ("a.key", "a.key", "certificate is not PEM (no -----BEGIN CERTIFICATE----- line)"),
    ("a.crt", "enc.key", "GnuTLS failed to setup x509 certificate/key: Decryption has failed; Failed to initialize TLS support"),
])
def test_tls_material_the_agent_refuses_is_refused_by_check_config(pki, cert, key, reason):
    result = check(pki, web=tls(cert, key))
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (f"bitprobe check-config: error: {pki / 'web.yml'}: tls_server_config (cert_file '{cert}', key_file '{key}'): "
                             f"TLS: {reason}\n")


def test_good_tls_material_passes(pki):
    result = check(pki, web=tls("a.crt", "a.key"))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("web,message", [
    (f"basic_auth_users:\n  'a:b': {BCRYPT}\n", "{web}:2:3: basic_auth_users.a:b: a user name must be non-empty, without ':' or control characters"),
    (tls("a.crt", "a.key", "  min_version: TLS14\n"), "{web}:4:16: tls_server_config.min_version: expected one of: TLS10, TLS11, TLS12, TLS13"),
    (tls("a.crt", "a.key", "  min_version: TLS13\n  max_version: TLS12\n"),
     "{web}:5:16: tls_server_config.max_version: TLS12 is older than min_version TLS13"),
    # TLS 1.3's suites are not cipher_suites' to choose, as in exporter-toolkit.
    (tls("a.crt", "a.key", "  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]\n"),
     "{web}:4:58: tls_server_config.cipher_suites: unknown or unsupported cipher suite 'TLS_AES_128_GCM_SHA256' "
     "(docs/config.md lists the supported ones)"),
    (tls("a.crt", "a.key", "  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n"),
     "{web}:4:19: tls_server_config.cipher_suites: unknown or unsupported cipher suite 'TLS_RSA_WITH_RC4_128_SHA' "
     "(docs/config.md lists the supported ones)"),
    (tls("a.crt", "a.key", "  cipher_suites: TLS_RSA_WITH_AES_128_CBC_SHA\n"),
     "{web}:4:18: tls_server_config.cipher_suites: expected a list of cipher suite names"),
])
def test_web_config_errors_are_located(pki, web, message):
    result = check(pki, web=web)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "bitprobe check-config: error: " + message.replace("{web}", str(pki / "web.yml")) + "\n"


@pytest.mark.parametrize("listen,message", [
    ("localhost:", "invalid listen address 'localhost:': host 'localhost' is not an IP address (use 127.0.0.1, [::1], or an empty host for all interfaces)"),
    ("127.0.0.1:70000", "invalid listen address '127.0.0.1:70000': port '70000' is not a number from 0 to 65535"),
])
def test_listen_addresses_the_agent_refuses_are_refused(tmp_path, listen, message):
    result = check(tmp_path, listen=listen)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"bitprobe check-config: error: {message}\n"


def test_the_otel_environment_is_checked(tmp_path):
    result = check(tmp_path, env={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_BSP_MAX_QUEUE_SIZE": "99999999999"})
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "bitprobe check-config: error: OTEL_BSP_MAX_QUEUE_SIZE: '99999999999' is larger than 100000\n"


def test_a_bad_listen_address_flag_is_a_usage_error(tmp_path):
    result = subprocess.run([BINARY, "agent", "--web.listen-address", "127.0.0.1:70000"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 64
    assert result.stderr.splitlines()[-1] == (
        "bitprobe agent: error: --web.listen-address: invalid listen address '127.0.0.1:70000': port '70000' is not a number from 0 to 65535")


def handshake(port, version_flag):
    # SECLEVEL=0: OpenSSL 3 would otherwise refuse TLS 1.0/1.1 itself, and the test could not fail.
    result = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", version_flag, "-cipher", "DEFAULT@SECLEVEL=0"],
                            input="", capture_output=True, text=True, timeout=30)
    return result.returncode == 0 and "Cipher is (NONE)" not in result.stdout


@pytest.mark.parametrize("extra,accepted,refused", [
    ("", ["-tls1_2", "-tls1_3"], ["-tls1_1", "-tls1"]),
    ("  min_version: TLS13\n", ["-tls1_3"], ["-tls1_2", "-tls1_1"]),
    ("  max_version: TLS12\n", ["-tls1_2"], ["-tls1_3", "-tls1_1"]),
    # The client can speak 1.1: the refusals above are the server's.
    ("  min_version: TLS10\n", ["-tls1_1", "-tls1_2"], []),
])
def test_tls_versions_follow_min_and_max_version(pki, agent_factory, extra, accepted, refused):
    (pki / "web.yml").write_text(tls(pki / "a.crt", pki / "a.key", extra))
    agent = agent_factory(config=FAST_CONFIG + f"  config_file: {pki / 'web.yml'}\n")
    wait_until(lambda: handshake(agent.port, accepted[0]), 30, what="TLS agent up")
    for flag in accepted:
        assert handshake(agent.port, flag), flag
    for flag in refused:
        assert not handshake(agent.port, flag), flag


CIPHER_SUITE_LIMITS = "GnuTLS enables key exchanges, ciphers and MACs rather than single suites"


@pytest.mark.parametrize("extra,reason", [
    ("  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\n",
     "would also enable TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 "
     f"({CIPHER_SUITE_LIMITS}, and keeps TLS 1.3's AES-GCM and ChaCha20-Poly1305); list them too, leave out suites, "
     "or set max_version: TLS12"),
    ("  max_version: TLS12\n  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_RSA_WITH_AES_256_CBC_SHA]\n",
     "would also enable TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, TLS_RSA_WITH_AES_128_GCM_SHA256 "
     f"({CIPHER_SUITE_LIMITS}); list them too or leave out suites"),
])
def test_a_cipher_suite_list_gnutls_cannot_offer_exactly_is_refused(pki, agent_factory, extra, reason):
    web = tls("a.crt", "a.key", extra)
    expected = f"{pki / 'web.yml'}: tls_server_config (cert_file 'a.crt', key_file 'a.key'): TLS: cipher_suites: {reason}"
    result = check(pki, web=web)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"bitprobe check-config: error: {expected}\n"
    agent = agent_factory(config=FAST_CONFIG + f"  config_file: {pki / 'web.yml'}\n")
    assert agent.process.wait(30) != 0
    assert expected in agent.log_path.read_text()


def handshake_with(port, *flags):
    result = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", *flags],
                            input="", capture_output=True, text=True, timeout=30)
    return result.returncode == 0 and "Cipher is (NONE)" not in result.stdout


ECDHE_RSA_AEAD = ("  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,"
                  " TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256]\n")


@pytest.mark.parametrize("extra,accepted,refused", [
    (ECDHE_RSA_AEAD, ["ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256"],
     ["ECDHE-RSA-AES128-SHA", "AES128-GCM-SHA256", "AES256-SHA"]),
    ("  cipher_suites: [TLS_RSA_WITH_AES_128_GCM_SHA256, TLS_RSA_WITH_AES_256_GCM_SHA384]\n",
     ["AES128-GCM-SHA256", "AES256-GCM-SHA384"], ["ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-SHA", "AES256-SHA"]),
])
def test_tls_1_2_offers_only_the_listed_cipher_suites_and_tls_1_3_is_untouched(pki, agent_factory, extra, accepted, refused):
    (pki / "web.yml").write_text(tls(pki / "a.crt", pki / "a.key", extra))
    agent = agent_factory(config=FAST_CONFIG + f"  config_file: {pki / 'web.yml'}\n")
    wait_until(lambda: handshake_with(agent.port, "-tls1_3"), 30, what="TLS agent up")
    for cipher in accepted:
        assert handshake_with(agent.port, "-tls1_2", "-cipher", cipher), cipher
    for cipher in refused:
        assert not handshake_with(agent.port, "-tls1_2", "-cipher", cipher), cipher
