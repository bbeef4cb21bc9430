"""Malformed inputs for the agent and the CLI: HTTP requests, YAML configs, baseline JSON.

Used by test_fuzz.py (a bounded run in `make test`) and scripts/fuzz (longer runs). Every generator
is driven by a seeded random.Random, so a failure is reproduced by its seed."""
import concurrent.futures
import json
import os
import random
import signal
import socket
import subprocess
import time

# ---------------------------------------------------------------- HTTP

VALID = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n"

PATHS = [b"/metrics", b"/", b"/-/healthy", b"/-/ready", b"/api/v1/probes", b"/api/v1/alerts", b"/api/v1/memory",
         b"/debug/profile", b"/metrics%00x", b"/%2e%2e/%2e%2e/etc/passwd", b"/metrics?" + b"&".join(b"a%d=1" % i for i in range(600)),
         b"/" + b"A" * 40000, b"*", b"http://evil/metrics", b"/metrics#frag", b"/metrics?format=%ff%fe", b"/\xff\xfe"]
METHODS = [b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"OPTIONS", b"TRACE", b"CONNECT", b"get", b"G\x00T", b"", b"X" * 300]
VERSIONS = [b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"HTTP/0.9", b"HTTP/1.1x", b"", b"HTTP/9.9", b"http/1.1"]
HEADERS = [b"Host: x", b"Accept-Encoding: gzip", b"Accept: application/openmetrics-text; version=1.0.0",
           b"Authorization: Basic YWxpY2U6d29uZGVybGFuZA==", b"Authorization: basic !!!", b"Authorization: Basic " + b"A" * 5000,
           b"Content-Length: 100000000", b"Content-Length: -1", b"Content-Length: 18446744073709551616", b"Transfer-Encoding: chunked",
           b"Connection: keep-alive", b"Expect: 100-continue", b"X-Long: " + b"v" * 40000, b"X-NUL: a\x00b", b"Bad Header",
           b": empty-name", b"X-Folded: a\r\n continued", b"Range: bytes=0-", b"If-None-Match: *"]


def http_case(rng):
    """One malformed (or occasionally valid) request as bytes."""
    choice = rng.random()
    if choice < 0.15:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 2000)))
    request = bytearray(rng.choice(METHODS) + b" " + rng.choice(PATHS) + b" " + rng.choice(VERSIONS) + b"\r\n")
    for _ in range(rng.randint(0, 8)):
        request += rng.choice(HEADERS) + b"\r\n"
    if rng.random() < 0.1:
        for _ in range(rng.randint(100, 2000)):
            request += b"X-Many-%d: v\r\n" % rng.randint(0, 10**6)
    if rng.random() > 0.1:
        request += b"\r\n"
    if rng.random() < 0.2:
        request += bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 500)))
    if rng.random() < 0.2:
        for _ in range(rng.randint(1, 10)):
            position = rng.randrange(len(request))
            request[position] = rng.getrandbits(8)
    return bytes(request)


def send_raw(port, payload, timeout=3.0):
    """Sends `payload`, half-closes, reads to the end: 'answered', 'closed' (no bytes back) or 'hung'."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        try:
            connection.sendall(payload)
            connection.shutdown(socket.SHUT_WR)
            received = b""
            while True:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                received += chunk
        except socket.timeout:
            return "hung"
        except OSError:  # reset, broken pipe, not connected: the server closed first
            return "closed"
    return "answered" if received else "closed"


def fuzz_http(port, count, rng, workers=32, timeout=8.0):
    """Sends `count` generated requests from `workers` connections at a time. Counts each outcome,
    and as `cut` the requests that took over a second: libmicrohttpd 0.9.75 sometimes misses a
    half-close that arrives with the data and waits for more, until the server's 5-s request-head
    deadline closes the connection. `hung` is anything still open after `timeout` seconds."""
    payloads = [http_case(rng) for _ in range(count)]

    def one(payload):
        start = time.monotonic()
        outcome = send_raw(port, payload, timeout=timeout)
        return outcome, time.monotonic() - start

    outcomes = {"answered": 0, "closed": 0, "hung": 0, "cut": 0}
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for outcome, seconds in pool.map(one, payloads):
            outcomes[outcome] += 1
            if outcome != "hung" and seconds > 1:
                outcomes["cut"] += 1
    return outcomes


# ---------------------------------------------------------------- YAML

YAML_PIECES = ["interval: ", "jitter: ", "probes:\n  ", "suite:\n    - ", "op: ", "shape: ", "web:\n  ", "rules:\n  - ",
               "[", "]", "{", "}", ":", "- ", "&a ", "*a", "!!binary ", "'", '"', "\n", "  ", "\t", "#", "---\n", "...\n",
               "1e400", "-1", "10000000000y", "0x1p3", "~", "null", "true", "\u0000", "\ufeff", "é", "%YAML 1.1\n", "? "]


def yaml_case(rng, good):
    choice = rng.random()
    if choice < 0.1:
        depth = rng.choice([63, 64, 65, 1000, 10000])
        return "x: " + "[" * depth + "]" * depth + "\n"
    if choice < 0.15:
        return "".join(f"k{i}: {i}\n" for i in range(rng.choice([1000, 50000, 120000])))
    if choice < 0.5:
        text = list(good)
        for _ in range(rng.randint(1, 20)):
            position = rng.randrange(len(text))
            operation = rng.random()
            if operation < 0.4:
                text[position] = rng.choice(YAML_PIECES)
            elif operation < 0.7:
                text.insert(position, rng.choice(YAML_PIECES))
            else:
                del text[position]
        return "".join(text)
    return "".join(rng.choice(YAML_PIECES) + (str(rng.randint(-10**20, 10**20)) if rng.random() < 0.3 else "")
                   for _ in range(rng.randint(1, 200)))


def fuzz_check_config(binary, directory, count, rng, good):
    """Runs check-config on `count` generated files; returns the exit statuses seen (a crash is a
    negative status, a hang raises)."""
    statuses = {}
    path = os.path.join(directory, "fuzz.yml")
    for _ in range(count):
        with open(path, "w", encoding="utf-8", errors="surrogatepass") as file:
            file.write(yaml_case(rng, good))
        result = subprocess.run([binary, "check-config", path], capture_output=True, timeout=60)
        statuses[result.returncode] = statuses.get(result.returncode, 0) + 1
    return statuses


def fuzz_reloads(binary, config_path, pid, count, rng, good):
    """SIGHUPs the agent with up to `count` files check-config refuses (trying at most 20 times as
    many), then with the good file again; returns how many were sent."""
    sent = 0
    for _ in range(20 * count):
        if sent == count:
            break
        text = yaml_case(rng, good)
        with open(config_path, "w", encoding="utf-8", errors="surrogatepass") as file:
            file.write(text)
        if subprocess.run([binary, "check-config", config_path], capture_output=True, timeout=60).returncode == 0:
            continue
        os.kill(pid, signal.SIGHUP)
        sent += 1
        time.sleep(0.02)
    with open(config_path, "w") as file:
        file.write(good)
    os.kill(pid, signal.SIGHUP)
    return sent


# ---------------------------------------------------------------- baseline JSON

EXTREMES = [1e20, -1e20, 1e308, -1, 0, 2**63, 2**64 + 1, -(2**63) - 1, 1.5, "", "x" * 10000, None, True, [], {},
            [[[[[[[[[[]]]]]]]]]], "\u001b]0;pwned\u0007", "\u001b[2J", float("1e-320")]


def mutate_json(value, rng, depth=0):
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            roll = rng.random()
            if roll < 0.05:
                continue
            out[key] = rng.choice(EXTREMES) if roll < 0.15 else mutate_json(item, rng, depth + 1)
        if rng.random() < 0.05:
            out["unexpected_%d" % rng.randint(0, 99)] = rng.choice(EXTREMES)
        return out
    if isinstance(value, list):
        items = [mutate_json(item, rng, depth + 1) for item in value if rng.random() > 0.05]
        if items and rng.random() < 0.05:
            items = items * rng.randint(2, 50)
        return items
    return rng.choice(EXTREMES) if rng.random() < 0.1 else value


def baseline_case(rng, good_text):
    choice = rng.random()
    if choice < 0.2:
        data = bytearray(good_text.encode())
        for _ in range(rng.randint(1, 30)):
            data[rng.randrange(len(data))] = rng.getrandbits(8)
        return bytes(data)
    if choice < 0.25:
        return b"[" * 100000 + b"]" * 100000
    return json.dumps(mutate_json(json.loads(good_text), rng)).encode()


def fuzz_baselines(binary, directory, good_text, count, rng):
    """Writes `count` mutated baselines, then runs list and show on them; returns exit statuses."""
    statuses = {}
    names = []
    for index in range(count):
        name = f"fuzz{index}"
        with open(os.path.join(directory, name + ".json"), "wb") as file:
            file.write(baseline_case(rng, good_text))
        names.append(name)
    runs = [["baseline", "list"]] + [["baseline", "show", name] for name in names]
    for arguments in runs:
        result = subprocess.run([binary, *arguments, "--baseline-dir", directory], capture_output=True, timeout=60)
        statuses[result.returncode] = statuses.get(result.returncode, 0) + 1
    return statuses


# ---------------------------------------------------------------- the agent's footprint

def footprint(pid):
    """(resident bytes, open descriptors) of process `pid`."""
    with open(f"/proc/{pid}/status") as status:
        rss = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))
    return rss, len(os.listdir(f"/proc/{pid}/fd"))
