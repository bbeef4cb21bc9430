"""The HTML report and flame graph as a person meets them: a real HTML5 parser, an XML parser for
every SVG, and headless Chromium with its console and network watched, for the file that
`bitprobe report` writes and for the agent's live /report."""
import json
import re
import subprocess
import xml.etree.ElementTree as ElementTree

import html5lib
import pytest

from browser import Browser, png_distinct_bytes
from conftest import BINARY, http_get, wait_until

SVG = "{http://www.w3.org/2000/svg}"
QUICK = ["--iterations", "3", "--min-time", "0"]


@pytest.fixture(scope="module")
def browser():
    b = Browser()
    yield b
    b.close()


def check_html(text):
    """Strict HTML5 parse, then every inline SVG parsed on its own as XML; returns the SVG roots."""
    parser = html5lib.HTMLParser(strict=True)
    parser.parse(text)
    assert parser.errors == []
    roots = [ElementTree.fromstring(svg) for svg in re.findall(r"<svg .*?</svg>", text, flags=re.S)]
    for root in roots:
        assert root.get("role") == "img" and root.get("aria-label"), "every chart is labelled for screen readers"
        assert root.find(SVG + "title") is not None
    return roots


def check_page_in_browser(browser, url, expected_text):
    visit = browser.visit(url)
    assert visit.console_errors == [] and visit.exceptions == []
    assert visit.requests == [url], "the page must load nothing beyond itself"
    assert expected_text in visit.text
    assert png_distinct_bytes(visit.screenshot) > 40, "the screenshot looks blank"
    return visit


def test_report_file_opens_in_a_browser_with_no_network(tmp_path, browser):
    output = tmp_path / "report.html"
    run = subprocess.run([BINARY, "report", "--output", str(output), "--op", "matmul,ternary_matmul,add,copy",
                          "--shape", "1x512x512", "--shape", "262144", *QUICK], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    text = output.read_text()
    assert len(text.encode()) < 1_000_000
    roots = check_html(text)
    labels = [root.get("aria-label") for root in roots]
    assert any(label.startswith("Latency distribution per probe") for label in labels)
    assert any(label.startswith("Roofline") for label in labels)
    assert any("throughput against size per device" in label for label in labels)
    assert any(label == "Flame graph of the profiled cycle" for label in labels)
    visit = check_page_in_browser(browser, output.as_uri(), "Executive summary")
    for heading in ("Environment", "Performance analysis", "Comparisons", "Memory analysis", "Profile", "Recommendations"):
        assert heading in visit.text


def test_flame_graph_svg_nests_children_inside_parents(tmp_path):
    run = subprocess.run([BINARY, "profile", "--view", "flamegraph", "--op", "add,copy", "--shape", "65536", *QUICK],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    root = ElementTree.fromstring(run.stdout)
    frames = []
    for group in root.iter(SVG + "g"):
        if group.get("class") == "frame":
            rect = group.find(SVG + "rect")
            frames.append((float(rect.get("x")), float(rect.get("width")), float(rect.get("y")), group.find(SVG + "title").text))
    assert frames[0][3].startswith("profile: total ") and frames[0][0] == 0 and frames[0][1] == 1200
    rows = sorted({y for _, _, y, _ in frames}, reverse=True)
    assert len(rows) == 3  # profile, probe, phase (prepare, warmup, measure, verify, release)
    for x, width, y, title in frames:
        depth = rows.index(y)
        if depth == 0:
            continue
        parents = [f for f in frames if rows.index(f[2]) == depth - 1 and f[0] - 1e-6 <= x and x + width <= f[0] + f[1] + 0.02]
        assert parents, f"{title} lies outside every frame of the row below"


def test_agent_serves_its_report_and_flame_graph(agent, browser):
    wait_until(lambda: json.loads(http_get(agent.url + "/api/v1/probes")[2])["data"]["cycle"] >= 2, 30, what="two cycles")
    status, headers, body = http_get(agent.url + "/report")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    check_html(body.decode())
    check_page_in_browser(browser, agent.url + "/report", "Agent: alerts and recent cycles")

    status, _, body = http_get(agent.url + "/report?format=json")
    report = json.loads(body)
    assert status == 200 and report["kind"] == "bitprobe-report" and report["source"].startswith("the agent, cycle ")
    assert report["alerts"] == [] and len(report["history"]) == 5 and all(len(h["median_seconds"]) >= 2 for h in report["history"])
    assert report["summary"]["sentences"][0] == "5 of 5 probes verified."

    status, _, body = http_get(agent.url + "/report?format=pdf")
    assert status == 400 and body == b"unknown format 'pdf'; expected one of: html, json, markdown\n"

    status, headers, body = http_get(agent.url + "/debug/profile?view=flamegraph")
    assert status == 200 and headers["Content-Type"] == "image/svg+xml"
    assert ElementTree.fromstring(body).get("class") == "flamegraph"

    status, _, body = http_get(agent.url + "/")
    assert b'<a href="/report">/report</a>' in body


def test_agent_memory_events_on_request(agent):
    status, _, body = http_get(agent.url + "/api/v1/memory?events=3")
    data = json.loads(body)["data"]
    assert status == 200 and len(data["events"]) == 3
    assert set(data["events"][0]) == {"kind", "device", "bytes", "probe", "unix_seconds", "held_bytes_after"} - (set() if data["events"][0].get("probe") else {"probe"})
    assert data["devices"][0]["pool_hit_rate"] is None or 0 <= data["devices"][0]["pool_hit_rate"] <= 1
    assert "events" not in json.loads(http_get(agent.url + "/api/v1/memory")[2])["data"]
    for bad in ("0", "x", "-2"):
        status, _, body = http_get(agent.url + "/api/v1/memory?events=" + bad)
        assert status == 400 and body == f"events must be a positive integer (got '{bad}')\n".encode()


def test_golden_report_with_a_gpu_and_alerts_renders_cleanly(browser):
    """The fixture of Tests/BitProbeTests/ReportGoldenTests holds what no CPU-only run shows: a GPU
    column with its speed-up chart and crossover, pending alerts and sparklines."""
    import os
    from conftest import ROOT
    path = os.path.join(ROOT, "Tests", "BitProbeTests", "Fixtures", "report.html")
    with open(path) as f:
        roots = check_html(f.read())
    labels = [root.get("aria-label") for root in roots]
    assert "matmul f16: GPU speed-up over the CPU against size" in labels
    assert "Slowdown of the same add when its inputs are read STRIDE elements apart" in labels
    assert "Throughput against batch size, weights 4096x4096" in labels
    assert any(label.startswith("cpu0 add f32 4194304: median of the last 4 cycles") for label in labels)
    visit = check_page_in_browser(browser, "file://" + path, "Agent: alerts and recent cycles")
    assert "matmul f16 >= 256: cuda0" in visit.text
