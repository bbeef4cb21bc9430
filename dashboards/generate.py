#!/usr/bin/env python3
"""Writes the Grafana dashboards of bitprobe (dashboards/*.json) from the panel lists below.

    dashboards/generate.py           rewrite bitprobe-overview.json and bitprobe-fleet.json
    dashboards/generate.py --check   exit 1 if a committed file differs from what this writes

The JSON files are what Grafana imports; this script only keeps them consistent (one datasource
variable everywhere, the same selectors, non-overlapping grid positions). Standard library only.
What each panel shows: docs/dashboards.md. Tests/Integration/test_alerts_dashboards.py runs every
query below against a real Prometheus scraping a real agent.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DS = {"type": "prometheus", "uid": "${datasource}"}

# Selectors. Probe series carry backend, device, op, dtype, shape; memory series carry device;
# agent series carry only the target labels (instance, job).
PROBE = 'instance=~"$instance", device=~"$device", op=~"$op"'
DEVICE = 'instance=~"$instance", device=~"$device"'
AGENT = 'instance=~"$instance"'
AGENT_UP = 'job=~".*bitprobe.*", instance=~"$instance"'
PROBE_LEGEND = "{{instance}} {{device}} {{op}} {{dtype}} {{shape}}"

# Fleet selectors.
FLEET = 'job=~"$job", instance=~"$instance"'
FLEET_PROBE = 'job=~"$job", instance=~"$instance", backend=~"$backend", op=~"$op"'

RESULT_COLORS = {"ok": "green", "failed": "orange", "timeout": "yellow", "mismatch": "red", "skipped": "text"}
PRESSURE_MAPPINGS = [{
    "type": "value",
    "options": {
        "0": {"text": "low", "color": "green", "index": 0},
        "1": {"text": "medium", "color": "yellow", "index": 1},
        "2": {"text": "high", "color": "orange", "index": 2},
        "3": {"text": "critical", "color": "red", "index": 3},
    },
}]
UP_MAPPINGS = [{"type": "value", "options": {"0": {"text": "DOWN", "color": "red", "index": 0},
                                             "1": {"text": "UP", "color": "green", "index": 1}}}]


def steps(*pairs):
    """Threshold steps: ("green", None), ("red", 1) ..."""
    return {"mode": "absolute", "steps": [{"color": color, "value": value} for color, value in pairs]}


def target(expr, legend="", ref="A", instant=False, fmt="time_series"):
    t = {"datasource": DS, "editorMode": "code", "expr": expr, "legendFormat": legend or "__auto",
         "range": not instant, "instant": instant, "refId": ref}
    if fmt != "time_series":
        t["format"] = fmt
    return t


def targets(*specs, instant=False, fmt="time_series"):
    """specs: (expr, legend) pairs; refIds A, B, ..."""
    return [target(expr, legend, chr(ord("A") + i), instant, fmt) for i, (expr, legend) in enumerate(specs)]


def timeseries(title, description, tgts, unit="short", w=12, h=8, log=False, stack=False, bars=False,
               thresholds=None, threshold_style="off", overrides=None, mappings=None, min_interval=None, decimals=None):
    custom = {
        "drawStyle": "bars" if bars else "line", "lineWidth": 1, "fillOpacity": 80 if bars else 10,
        "showPoints": "never", "spanNulls": False, "axisPlacement": "auto", "axisSoftMin": 0 if not log else None,
        "stacking": {"mode": "normal" if stack else "none", "group": "A"},
        "scaleDistribution": {"type": "log", "log": 10} if log else {"type": "linear"},
        "thresholdsStyle": {"mode": threshold_style},
    }
    if custom["axisSoftMin"] is None:
        del custom["axisSoftMin"]
    defaults = {"unit": unit, "color": {"mode": "palette-classic"}, "custom": custom,
                "thresholds": thresholds or steps(("green", None)), "mappings": mappings or []}
    if decimals is not None:
        defaults["decimals"] = decimals
    panel = {
        "type": "timeseries", "title": title, "description": description, "datasource": DS, "w": w, "h": h,
        "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
        "options": {"legend": {"displayMode": "table", "placement": "bottom", "showLegend": True,
                               "calcs": ["lastNotNull", "max"]},
                    "tooltip": {"mode": "multi", "sort": "desc"}},
        "targets": tgts,
    }
    if min_interval:
        panel["interval"] = min_interval
    return panel


def stat(title, description, tgts, unit="short", w=4, h=5, thresholds=None, mappings=None, color_mode="value",
         graph="none", decimals=None, overrides=None):
    defaults = {"unit": unit, "color": {"mode": "thresholds"}, "thresholds": thresholds or steps(("green", None)),
                "mappings": mappings or []}
    if decimals is not None:
        defaults["decimals"] = decimals
    return {
        "type": "stat", "title": title, "description": description, "datasource": DS, "w": w, "h": h,
        "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
        "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "colorMode": color_mode, "graphMode": graph, "justifyMode": "auto", "orientation": "auto",
                    "textMode": "auto", "wideLayout": True, "showPercentChange": False},
        "targets": tgts,
    }


def bargauge(title, description, tgts, unit="short", w=12, h=8, thresholds=None, minimum=None, maximum=None):
    defaults = {"unit": unit, "color": {"mode": "thresholds"}, "thresholds": thresholds or steps(("green", None)),
                "mappings": []}
    if minimum is not None:
        defaults["min"] = minimum
    if maximum is not None:
        defaults["max"] = maximum
    return {
        "type": "bargauge", "title": title, "description": description, "datasource": DS, "w": w, "h": h,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "orientation": "horizontal", "displayMode": "gradient", "showUnfilled": True,
                    "valueMode": "color", "namePlacement": "auto", "sizing": "auto", "minVizHeight": 16,
                    "minVizWidth": 8, "maxVizHeight": 300},
        "targets": tgts,
    }


def state_timeline(title, description, tgts, mappings, thresholds, w=12, h=6):
    return {
        "type": "state-timeline", "title": title, "description": description, "datasource": DS, "w": w, "h": h,
        "fieldConfig": {"defaults": {"color": {"mode": "thresholds"}, "thresholds": thresholds, "mappings": mappings,
                                     "custom": {"fillOpacity": 80, "lineWidth": 0}},
                        "overrides": []},
        "options": {"mergeValues": True, "showValue": "auto", "alignValue": "left", "rowHeight": 0.9,
                    "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                    "tooltip": {"mode": "single", "sort": "none"}},
        "targets": tgts,
    }


def table(title, description, tgts, w=12, h=8, hide=("Time", "__name__", "job"), rename=None, merge=False,
          overrides=None):
    transformations = []
    if merge:
        transformations.append({"id": "merge", "options": {}})
    transformations.append({"id": "organize", "options": {
        "excludeByName": {name: True for name in hide}, "indexByName": {}, "renameByName": rename or {}}})
    return {
        "type": "table", "title": title, "description": description, "datasource": DS, "w": w, "h": h,
        "fieldConfig": {"defaults": {"custom": {"align": "auto", "cellOptions": {"type": "auto"}, "filterable": True},
                                     "mappings": [], "thresholds": steps(("green", None))},
                        "overrides": overrides or []},
        "options": {"showHeader": True, "cellHeight": "sm", "footer": {"show": False, "reducer": ["sum"], "fields": ""}},
        "transformations": transformations,
        "targets": tgts,
    }


def heatmap(title, description, expr, w=8, h=8, repeat=None, min_interval=None):
    panel = {
        "type": "heatmap", "title": title, "description": description, "datasource": DS, "w": w, "h": h,
        "fieldConfig": {"defaults": {"custom": {"hideFrom": {"legend": False, "tooltip": False, "viz": False},
                                                "scaleDistribution": {"type": "linear"}}},
                        "overrides": []},
        "options": {"calculate": False, "cellGap": 1, "cellValues": {"unit": "short"},
                    "color": {"mode": "scheme", "scheme": "Oranges", "fill": "dark-orange", "scale": "exponential",
                              "exponent": 0.5, "steps": 64, "reverse": False},
                    "exemplars": {"color": "rgba(255,0,255,0.7)"}, "filterValues": {"le": 1e-9},
                    "legend": {"show": True}, "rowsFrame": {"layout": "auto"},
                    "tooltip": {"mode": "single", "yHistogram": False, "showColorScale": False},
                    "yAxis": {"axisPlacement": "left", "unit": "s", "reverse": False}},
        "targets": [target(expr, "{{le}}", fmt="heatmap")],
    }
    if repeat:
        panel.update({"repeat": repeat, "repeatDirection": "h", "maxPerRow": 3})
    if min_interval:
        panel["interval"] = min_interval
    return panel


def by_name_regex(regex, properties):
    return {"matcher": {"id": "byRegexp", "options": regex}, "properties": properties}


def by_ref(ref, properties):
    return {"matcher": {"id": "byFrameRefID", "options": ref}, "properties": properties}


def layout(rows):
    """rows: [(title, [panel...])] -> Grafana's flat panel list with ids and grid positions."""
    panels, next_id, y = [], 1, 0
    for title, row_panels in rows:
        panels.append({"type": "row", "title": title, "collapsed": False, "id": next_id,
                       "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []})
        next_id += 1
        y += 1
        x, row_height = 0, 0
        for panel in row_panels:
            w, h = panel.pop("w"), panel.pop("h")
            if x + w > 24:
                x, y, row_height = 0, y + row_height, 0
            panel["gridPos"] = {"h": h, "w": w, "x": x, "y": y}
            panel["id"] = next_id
            next_id += 1
            x += w
            row_height = max(row_height, h)
            panels.append(panel)
        y += row_height
    return panels


def datasource_variable():
    return {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
            "current": {}, "hide": 0, "includeAll": False, "multi": False, "options": [], "refresh": 1,
            "regex": "", "skipUrlSync": False}


def query_variable(name, label, query, multi=True, include_all=True, all_value=None):
    variable = {"name": name, "label": label, "type": "query", "datasource": DS,
                "definition": query, "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
                "current": {}, "hide": 0, "includeAll": include_all, "multi": multi, "options": [],
                "refresh": 2, "regex": "", "skipUrlSync": False, "sort": 1}
    if all_value is not None:
        variable["allValue"] = all_value
    return variable


def dashboard(uid, title, description, variables, rows, links):
    panels = layout(rows)
    panel_types = sorted({p["type"] for p in panels if p["type"] != "row"})
    names = {"timeseries": "Time series", "stat": "Stat", "table": "Table", "heatmap": "Heatmap",
             "bargauge": "Bar gauge", "state-timeline": "State timeline"}
    return {
        "__requires": [{"type": "grafana", "id": "grafana", "name": "Grafana", "version": "10.4.0"},
                       {"type": "datasource", "id": "prometheus", "name": "Prometheus", "version": "1.0.0"}]
                      + [{"type": "panel", "id": t, "name": names[t], "version": ""} for t in panel_types],
        "annotations": {"list": [{"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                                  "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
                                  "name": "Annotations & Alerts", "type": "dashboard"}]},
        "description": description,
        "editable": True,
        "fiscalYearStartMonth": 0,
        "graphTooltip": 1,
        "id": None,
        "links": links,
        "panels": panels,
        "refresh": "1m",
        "schemaVersion": 39,
        "tags": ["bitprobe", "prometheus"],
        "templating": {"list": [datasource_variable()] + variables},
        "time": {"from": "now-6h", "to": "now"},
        "timepicker": {},
        "timezone": "",
        "title": title,
        "uid": uid,
        "version": 1,
        "weekStart": "",
    }


def overview():
    runs = f'bitprobe_probe_runs_total{{{PROBE}}}'
    buckets = f'bitprobe_probe_duration_seconds_bucket{{{PROBE}}}'
    def quantile(q):
        return (f"histogram_quantile({q}, sum by (instance, device, op, dtype, shape, le) "
                f"(rate({buckets}[$__rate_interval])))")
    ternary = f'bitprobe_probe_ops_per_second{{instance=~"$instance", device=~"$device", op="ternary_matmul"}}'
    overview_row = [
        stat("Agents up", "Scraped bitprobe targets that answered the latest scrape, of all selected ones.",
             targets((f'sum(up{{{AGENT_UP}}})', "up"), (f'count(up{{{AGENT_UP}}})', "scraped")),
             thresholds=steps(("red", None), ("green", 1))),
        stat("Backends up", "1 when the backend can run probes on the device (bitprobe_backend_up); "
             "the device table below says why one is down.",
             targets((f'bitprobe_backend_up{{{DEVICE}}}', "{{instance}} {{device}}")),
             mappings=UP_MAPPINGS, thresholds=steps(("red", None), ("green", 1))),
        stat("Wrong results", "Probe runs that computed a wrong result in the selected time range "
             "(result=\"mismatch\"): possible silent data corruption. Anything above 0 is an incident.",
             targets((f'sum(increase(bitprobe_probe_runs_total{{{PROBE}, result="mismatch"}}[$__range]))', "mismatches")),
             thresholds=steps(("green", None), ("red", 0.5)), decimals=0, color_mode="background"),
        stat("Runs verified", "Share of the probe runs (skipped ones aside) in the selected time range that verified.",
             targets((f'sum(increase(bitprobe_probe_runs_total{{{PROBE}, result="ok"}}[$__range])) / '
                      f'sum(increase(bitprobe_probe_runs_total{{{PROBE}, result!="skipped"}}[$__range]))', "verified")),
             unit="percentunit", thresholds=steps(("red", None), ("orange", 0.9), ("green", 0.99)), decimals=1),
        stat("Memory pressure", "Highest memory pressure level per device: 0 low, 1 medium, 2 high, 3 critical "
             "(cut-offs in docs/memory.md).",
             targets((f'max by (instance, device) (bitprobe_memory_pressure_level{{{DEVICE}}})', "{{instance}} {{device}}")),
             mappings=PRESSURE_MAPPINGS,
             thresholds=steps(("green", None), ("yellow", 1), ("orange", 2), ("red", 3))),
        stat("Firing alerts", "Firing bitprobe alerts: A from Prometheus's rules (alerts/bitprobe.rules.yml), "
             "B from the agent's in-process rule engine.",
             targets((f'count(ALERTS{{alertname=~"Bitprobe.*", alertstate="firing", {AGENT}}}) or vector(0)', "Prometheus"),
                     (f'count(bitprobe_alerts{{alertstate="firing", {AGENT}}}) or vector(0)', "agent")),
             thresholds=steps(("green", None), ("red", 1))),
    ]
    throughput_row = [
        timeseries("Operations per second", "Counted operations (2MNK for matrix products) per second at the median "
                   "iteration time of each probe's latest verified run. Absent while the latest run did not verify.",
                   targets((f'bitprobe_probe_ops_per_second{{{PROBE}}}', PROBE_LEGEND)), unit="ops", log=True),
        timeseries("Bytes per second", "Counted bytes (docs/probes.md) per second at the median iteration time of "
                   "each probe's latest verified run.",
                   targets((f'bitprobe_probe_bytes_per_second{{{PROBE}}}', PROBE_LEGEND)), unit="Bps", log=True),
        bargauge("Ternary matmul speed-up", "Operations per second of ternary_matmul (i8 x ternary) over matmul f16 "
                 "and f32 of the same shape on the same device. Needs both in the suite with equal shapes.",
                 targets((f'{ternary} / ignoring (op, dtype) bitprobe_probe_ops_per_second{{instance=~"$instance", '
                          f'device=~"$device", op="matmul", dtype="f16"}}', "{{instance}} {{device}} {{shape}} vs f16"),
                         (f'{ternary} / ignoring (op, dtype) bitprobe_probe_ops_per_second{{instance=~"$instance", '
                          f'device=~"$device", op="matmul", dtype="f32"}}', "{{instance}} {{device}} {{shape}} vs f32"),
                         instant=True),
                 unit="suffix:×", w=24, h=6, thresholds=steps(("red", None), ("orange", 1), ("green", 2)), minimum=0),
    ]
    latency_row = [
        timeseries("Iteration time quantiles", "p50, p90 and p99 of single measured iterations of verified runs, "
                   "from the histogram bitprobe_probe_duration_seconds (buckets 10 µs ... 10 s in 1-2.5-5 steps, so "
                   "quantiles are interpolated within a bucket).",
                   targets((quantile(0.5), "p50 " + PROBE_LEGEND), (quantile(0.9), "p90 " + PROBE_LEGEND),
                           (quantile(0.99), "p99 " + PROBE_LEGEND)),
                   unit="s", log=True, min_interval="2m"),
        timeseries("Mean iteration time", "Mean of the measured iterations of verified runs in each interval "
                   "(rate of _sum over rate of _count).",
                   targets((f'sum by (instance, device, op, dtype, shape) (rate(bitprobe_probe_duration_seconds_sum{{{PROBE}}}[$__rate_interval])) / '
                            f'sum by (instance, device, op, dtype, shape) (rate(bitprobe_probe_duration_seconds_count{{{PROBE}}}[$__rate_interval]))',
                            PROBE_LEGEND)),
                   unit="s", log=True, min_interval="2m"),
        heatmap("Iteration time distribution: $op", "Measured iterations per histogram bucket for op $op (all its "
                "dtypes and shapes on the selected devices); one panel per selected op.",
                f'sum by (le) (increase({buckets}[$__rate_interval]))', repeat="op", w=8, min_interval="2m"),
    ]
    verification_row = [
        timeseries("Runs by result", "Probe runs per minute by result: ok (verified), failed, timeout, mismatch "
                   "(wrong result), skipped.",
                   targets((f'60 * sum by (instance, device, result) (rate({runs}[$__rate_interval]))',
                            "{{result}} {{instance}} {{device}}")),
                   unit="suffix: runs/min", bars=True, stack=True, min_interval="2m",
                   overrides=[by_name_regex(f"^{result} .*", [{"id": "color", "value": {"mode": "fixed", "fixedColor": color}}])
                              for result, color in RESULT_COLORS.items()]),
        table("Probes that did not verify", "Probes with failed, timeout or mismatch runs in the selected time range, "
              "and how many.",
              targets((f'sum by (instance, device, op, dtype, shape, result) (increase(bitprobe_probe_runs_total{{{PROBE}, '
                       f'result=~"failed|timeout|mismatch"}}[$__range])) > 0', ""), instant=True, fmt="table"),
              rename={"Value": "runs"}),
        timeseries("Time since last verified run", "Age of each probe's latest verified run. BitprobeProbeStale fires "
                   "above 15 minutes (or three cycle periods when the duty-cycle budget stretches them).",
                   targets((f'time() - bitprobe_probe_last_success_timestamp_seconds{{{PROBE}}}', PROBE_LEGEND)),
                   unit="s", thresholds=steps(("green", None), ("red", 900)), threshold_style="line"),
        timeseries("Slowdown against baseline", "Median iteration time over the named baseline's median "
                   "(bitprobe_probe_baseline_ratio; above 1 is slower). Warning above 1.10, critical at 2.",
                   targets((f'bitprobe_probe_baseline_ratio{{{PROBE}}}', PROBE_LEGEND + " vs {{baseline}}")),
                   unit="suffix:×", thresholds=steps(("green", None), ("orange", 1.1), ("red", 2)),
                   threshold_style="dashed"),
    ]
    memory_row = [
        timeseries("Probe memory held", "Bytes probe buffers hold now, and the most they held at once since the "
                   "agent started (docs/memory.md).",
                   targets((f'bitprobe_memory_tracked_bytes{{{DEVICE}}}', "held {{instance}} {{device}}"),
                           (f'bitprobe_memory_tracked_peak_bytes{{{DEVICE}}}', "peak {{instance}} {{device}}")),
                   unit="bytes", w=8),
        state_timeline("Memory pressure level", "0 low, 1 medium, 2 high, 3 critical, from MemAvailable, the cgroup "
                       "v2 limit and PSI (docs/memory.md).",
                       targets((f'bitprobe_memory_pressure_level{{{DEVICE}}}', "{{instance}} {{device}}")),
                       PRESSURE_MAPPINGS, steps(("green", None), ("yellow", 1), ("orange", 2), ("red", 3)), w=8, h=8),
        timeseries("Memory events", "Probe memory events per second: allocate, release, free, pool_hit, pool_miss, "
                   "allocation_failure, transfer_h2d, transfer_d2h.",
                   targets((f'sum by (instance, device, event) (rate(bitprobe_memory_events_total{{{DEVICE}}}[$__rate_interval]))',
                            "{{event}} {{instance}} {{device}}")),
                   unit="suffix: /s", w=8, min_interval="2m",
                   overrides=[by_name_regex("^allocation_failure .*", [{"id": "color", "value": {"mode": "fixed", "fixedColor": "red"}}])]),
        timeseries("Device memory", "Free and total memory of each device (MemAvailable and MemTotal for the CPU).",
                   targets((f'bitprobe_device_memory_free_bytes{{{DEVICE}}}', "free {{instance}} {{device}}"),
                           (f'bitprobe_device_memory_total_bytes{{{DEVICE}}}', "total {{instance}} {{device}}")),
                   unit="bytes", w=8),
        bargauge("Device memory used", "Share of each device's memory in use (1 - free / total).",
                 targets((f'1 - bitprobe_device_memory_free_bytes{{{DEVICE}}} / bitprobe_device_memory_total_bytes{{{DEVICE}}}',
                          "{{instance}} {{device}}"), instant=True),
                 unit="percentunit", w=8, minimum=0, maximum=1,
                 thresholds=steps(("green", None), ("orange", 0.8), ("red", 0.9))),
        stat("Leaked probe runs", "Probe runs in the selected time range that ended still holding memory they "
             "allocated (bitprobe_memory_leaks_total); the agent log names them.",
             targets((f'sum by (instance, device) (increase(bitprobe_memory_leaks_total{{{DEVICE}}}[$__range]))',
                      "{{instance}} {{device}}")),
             w=8, h=8, decimals=0, thresholds=steps(("green", None), ("orange", 0.5))),
    ]
    alerts_row = [
        table("Prometheus alerts", "Pending and firing alerts of alerts/bitprobe.rules.yml (ALERTS). "
              "Runbooks: docs/dashboards.md.",
              targets((f'ALERTS{{alertname=~"Bitprobe.*", {AGENT}}} or ALERTS{{alertname="BitprobeAgentAbsent"}}', ""),
                      instant=True, fmt="table"),
              hide=("Time", "__name__", "Value", "job")),
        table("Agent's in-process alerts", "Pending and firing alerts of the agent's own rule engine "
              "(bitprobe_alerts, like ALERTS).",
              targets((f'bitprobe_alerts{{{AGENT}}}', ""), instant=True, fmt="table"),
              hide=("Time", "__name__", "Value", "job")),
        timeseries("Alerts over time", "Number of pending and firing bitprobe alerts by name, from Prometheus "
                   "(ALERTS) and from the agent (bitprobe_alerts).",
                   targets((f'count by (alertname, alertstate) (ALERTS{{alertname=~"Bitprobe.*", {AGENT}}})',
                            "Prometheus {{alertname}} {{alertstate}}"),
                           (f'count by (alertname, alertstate) (bitprobe_alerts{{{AGENT}}})',
                            "agent {{alertname}} {{alertstate}}")),
                   bars=True, stack=True, w=24, h=7, decimals=0),
    ]
    health_row = [
        state_timeline("Agent up", "Whether Prometheus could scrape the agent (up).",
                       targets((f'up{{{AGENT_UP}}}', "{{instance}}")), UP_MAPPINGS,
                       steps(("red", None), ("green", 1)), w=8, h=6),
        timeseries("Scrape duration", "How long Prometheus's scrape of /metrics took.",
                   targets((f'scrape_duration_seconds{{{AGENT_UP}}}', "{{instance}}")), unit="s", w=8, h=6),
        stat("Uptime", "Time since the agent process started.",
             targets((f'time() - process_start_time_seconds{{{AGENT}}}', "{{instance}}")), unit="s", w=8, h=6),
        timeseries("Probe cycle duration", "Wall time of the latest probe cycle.",
                   targets((f'bitprobe_cycle_duration_seconds{{{AGENT}}}', "{{instance}}")), unit="s", w=8),
        timeseries("Probe cycles per minute", "Completed probe cycles per minute, and those the regression rules skipped "
                   "because other work contended for the CPUs (Linux CPU pressure above a rule's max_cpu_pressure).",
                   targets((f'60 * rate(bitprobe_cycles_total{{{AGENT}}}[$__rate_interval])', "{{instance}}"),
                           (f'60 * rate(bitprobe_cycles_contended_total{{{AGENT}}}[$__rate_interval])', "contended {{instance}}")),
                   unit="short", w=8, min_interval="2m"),
        timeseries("Duty cycle and budget", "Share of wall time spent probing since the agent started, against the "
                   "configured duty_cycle_budget (dashed).",
                   targets((f'bitprobe_duty_cycle_ratio{{{AGENT}}}', "duty cycle {{instance}}"),
                           (f'bitprobe_duty_cycle_budget_ratio{{{AGENT}}}', "budget {{instance}}")),
                   unit="percentunit", w=8,
                   overrides=[by_name_regex("^budget .*", [{"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}},
                                                           {"id": "custom.fillOpacity", "value": 0}])]),
        stat("Configuration", "Whether the latest configuration (re)load succeeded (A), and when the last successful "
             "one was (B). A failed SIGHUP reload keeps the previous configuration running.",
             targets((f'bitprobe_config_last_reload_successful{{{AGENT}}}', "{{instance}} reload"),
                     (f'bitprobe_config_last_reload_success_timestamp_seconds{{{AGENT}}} * 1000', "{{instance}} loaded")),
             w=8, h=6,
             mappings=[{"type": "value", "options": {"0": {"text": "FAILED", "color": "red", "index": 0},
                                                     "1": {"text": "OK", "color": "green", "index": 1}}}],
             thresholds=steps(("red", None), ("green", 1)),
             overrides=[by_ref("B", [{"id": "unit", "value": "dateTimeFromNow"}, {"id": "mappings", "value": []},
                                     {"id": "color", "value": {"mode": "fixed", "fixedColor": "text"}}])]),
        state_timeline("Fault injection", "1 while a testing-only slowdown is injected "
                       "(bitprobe_fault_injection_active; the injection label says which probes and how much): "
                       "that agent's timings are not real.",
                       targets((f'bitprobe_fault_injection_active{{{AGENT}}}', "{{instance}} {{injection}}")),
                       [{"type": "value", "options": {"0": {"text": "off", "color": "green", "index": 0},
                                                      "1": {"text": "INJECTING", "color": "purple", "index": 1}}}],
                       steps(("green", None), ("purple", 1)), w=8, h=6),
        timeseries("HTTP requests", "Requests per second served by the agent, by handler and status code.",
                   targets((f'sum by (instance, handler, code) (rate(bitprobe_http_requests_total{{{AGENT}}}[$__rate_interval]))',
                            "{{handler}} {{code}} {{instance}}")),
                   unit="reqps", w=8, h=6),
        timeseries("Process CPU", "CPU time the agent process uses per second (1 = one core), probes included.",
                   targets((f'rate(process_cpu_seconds_total{{{AGENT}}}[$__rate_interval])', "{{instance}}")),
                   unit="percentunit", w=8),
        timeseries("Process memory", "Resident and virtual memory of the agent process (probe buffers included).",
                   targets((f'process_resident_memory_bytes{{{AGENT}}}', "resident {{instance}}"),
                           (f'process_virtual_memory_bytes{{{AGENT}}}', "virtual {{instance}}")),
                   unit="bytes", w=8),
        timeseries("Open file descriptors", "Open file descriptors of the agent process, as a share of its limit.",
                   targets((f'process_open_fds{{{AGENT}}} / process_max_fds{{{AGENT}}}', "{{instance}}")),
                   unit="percentunit", w=8),
        table("Build", "Version and git revision of each agent (bitprobe_build_info).",
              targets((f'bitprobe_build_info{{{AGENT}}}', ""), instant=True, fmt="table"),
              hide=("Time", "__name__", "Value"), w=8),
        table("Devices", "Each device the agent probes: name, SIMD path or architecture, threads, and why its "
              "backend is down when it is (bitprobe_device_info).",
              targets((f'bitprobe_device_info{{{DEVICE}}}', ""), instant=True, fmt="table"),
              hide=("Time", "__name__", "Value", "job"), w=16),
    ]
    variables = [
        query_variable("instance", "Instance", "label_values(bitprobe_build_info, instance)"),
        query_variable("device", "Device", 'label_values(bitprobe_backend_up{instance=~"$instance"}, device)', all_value=".*"),
        query_variable("op", "Op", 'label_values(bitprobe_probe_runs_total{instance=~"$instance", device=~"$device"}, op)',
                       all_value=".*"),
    ]
    links = [{"title": "bitprobe dashboards", "type": "dashboards", "tags": ["bitprobe"], "asDropdown": True,
              "includeVars": True, "keepTime": True, "icon": "external link", "targetBlank": False, "tooltip": "",
              "url": ""}]
    return dashboard(
        "bitprobe-overview", "bitprobe / Overview",
        "bitprobe agents: verified probe throughput and latency, wrong results, memory, alerts and agent health. "
        "docs/dashboards.md describes every panel.",
        variables,
        [("Overview", overview_row), ("Throughput", throughput_row), ("Iteration time", latency_row),
         ("Verification and regressions", verification_row), ("Memory", memory_row), ("Alerts", alerts_row),
         ("Agent health", health_row)],
        links)


def fleet():
    relative = (f'bitprobe_probe_bytes_per_second{{{FLEET_PROBE}}} / on (backend, op, dtype, shape) group_left () '
                f'quantile by (backend, op, dtype, shape) (0.5, bitprobe_probe_bytes_per_second{{{FLEET_PROBE}}})')
    health_row = [
        stat("Agents up", "bitprobe targets that answered the latest scrape, of all selected ones.",
             targets((f'sum(up{{{FLEET}}})', "up"), (f'count(up{{{FLEET}}})', "scraped")),
             thresholds=steps(("red", None), ("green", 1)), w=6),
        stat("Agents with firing alerts", "Agents with at least one firing bitprobe alert in Prometheus (ALERTS).",
             targets((f'count(count by (instance) (ALERTS{{alertname=~"Bitprobe.*", alertstate="firing", {FLEET}}})) or vector(0)', "agents")),
             thresholds=steps(("green", None), ("red", 1)), w=6),
        stat("Wrong results", "Probe runs across the selected agents that computed a wrong result in the selected "
             "time range.",
             targets((f'sum(increase(bitprobe_probe_runs_total{{{FLEET}, result="mismatch"}}[$__range]))', "mismatches")),
             thresholds=steps(("green", None), ("red", 0.5)), decimals=0, color_mode="background", w=6),
        bargauge("Versions", "Agents per version and revision.",
                 targets((f'count by (version, revision) (bitprobe_build_info{{{FLEET}}})', "{{version}} {{revision}}"),
                         instant=True), w=6, h=5),
        table("Agents", "One row per agent: highest memory pressure, age of its stalest verified probe, runs that did "
              "not verify in the time range, whether every backend is up, and its duty cycle.",
              targets((f'max by (instance) (bitprobe_memory_pressure_level{{{FLEET}}})', ""),
                      (f'max by (instance) (time() - bitprobe_probe_last_success_timestamp_seconds{{{FLEET}}})', ""),
                      (f'sum by (instance) (increase(bitprobe_probe_runs_total{{{FLEET}, result=~"failed|timeout|mismatch"}}[$__range]))', ""),
                      (f'min by (instance) (bitprobe_backend_up{{{FLEET}}})', ""),
                      (f'max by (instance) (bitprobe_duty_cycle_ratio{{{FLEET}}})', ""),
                      instant=True, fmt="table"),
              merge=True, w=24, h=8, hide=("Time",),
              rename={"Value #A": "memory pressure", "Value #B": "stalest verified probe (s)",
                      "Value #C": "runs not verified", "Value #D": "all backends up", "Value #E": "duty cycle"},
              overrides=[{"matcher": {"id": "byName", "options": "memory pressure"},
                          "properties": [{"id": "mappings", "value": PRESSURE_MAPPINGS},
                                         {"id": "custom.cellOptions", "value": {"type": "color-text"}}]},
                         {"matcher": {"id": "byName", "options": "stalest verified probe (s)"},
                          "properties": [{"id": "unit", "value": "s"}]},
                         {"matcher": {"id": "byName", "options": "all backends up"},
                          "properties": [{"id": "mappings", "value": UP_MAPPINGS},
                                         {"id": "custom.cellOptions", "value": {"type": "color-text"}}]},
                         {"matcher": {"id": "byName", "options": "duty cycle"},
                          "properties": [{"id": "unit", "value": "percentunit"}]}]),
    ]
    throughput_row = [
        timeseries("Throughput against the fleet median", "Each probe's bytes per second over the median of the same "
                   "probe (backend, op, dtype, shape) across the selected agents: below 1 is slower than its peers.",
                   targets((relative, "{{instance}} {{device}} {{op}} {{dtype}} {{shape}}")),
                   unit="suffix:×", thresholds=steps(("red", None), ("orange", 0.8), ("green", 0.9)),
                   threshold_style="dashed"),
        bargauge("Slowest probes against the fleet median", "The ten probe series furthest below their fleet median.",
                 targets((f'bottomk(10, {relative})', "{{instance}} {{device}} {{op}} {{dtype}} {{shape}}"), instant=True),
                 unit="suffix:×", thresholds=steps(("red", None), ("orange", 0.8), ("green", 0.9)), minimum=0),
        timeseries("Operations per second", "Counted operations per second of the latest verified run of each probe, "
                   "by agent.",
                   targets((f'bitprobe_probe_ops_per_second{{{FLEET_PROBE}}}', "{{instance}} {{device}} {{op}} {{dtype}} {{shape}}")),
                   unit="ops", log=True),
        timeseries("p90 iteration time", "90th percentile of single measured iterations, by agent.",
                   targets((f'histogram_quantile(0.9, sum by (instance, device, op, dtype, shape, le) '
                            f'(rate(bitprobe_probe_duration_seconds_bucket{{{FLEET_PROBE}}}[$__rate_interval])))',
                            "{{instance}} {{device}} {{op}} {{dtype}} {{shape}}")),
                   unit="s", log=True, min_interval="2m"),
        timeseries("Slower than the hardware class (recorded)", "instance:bitprobe_probe_fleet_slowdown:ratio from "
                   "alerts/bitprobe-fleet.rules.yml: the median over the nodes of the same hardware class (CPU model "
                   "and threads, or GPU name) of each probe's 10-minute median bytes/s, over this node's own; above 1 "
                   "is slower than its peers, and BitprobeNodeBelowFleet fires above 1.2 for 15 minutes.",
                   targets((f'instance:bitprobe_probe_fleet_slowdown:ratio{{{FLEET_PROBE}}}',
                            "{{instance}} {{device}} {{op}} {{dtype}} {{shape}}")),
                   unit="suffix:×", thresholds=steps(("green", None), ("orange", 1.1), ("red", 1.2)),
                   threshold_style="dashed", w=24),
    ]
    other_row = [
        timeseries("Worst slowdown against baseline", "Highest bitprobe_probe_baseline_ratio of each agent.",
                   targets((f'max by (instance) (bitprobe_probe_baseline_ratio{{{FLEET_PROBE}}})', "{{instance}}")),
                   unit="suffix:×", thresholds=steps(("green", None), ("orange", 1.1), ("red", 2)),
                   threshold_style="dashed", w=8),
        state_timeline("Memory pressure", "Highest memory pressure level of each agent.",
                       targets((f'max by (instance) (bitprobe_memory_pressure_level{{{FLEET}}})', "{{instance}}")),
                       PRESSURE_MAPPINGS, steps(("green", None), ("yellow", 1), ("orange", 2), ("red", 3)), w=8, h=8),
        timeseries("Device memory used", "Share of each device's memory in use.",
                   targets((f'1 - bitprobe_device_memory_free_bytes{{{FLEET}, backend=~"$backend"}} / '
                            f'bitprobe_device_memory_total_bytes{{{FLEET}, backend=~"$backend"}}', "{{instance}} {{device}}")),
                   unit="percentunit", w=8, thresholds=steps(("green", None), ("orange", 0.8), ("red", 0.9)),
                   threshold_style="dashed"),
        timeseries("Alerts by name", "Pending and firing bitprobe alerts by name: Prometheus's (ALERTS) and the "
                   "agents' own (bitprobe_alerts).",
                   targets((f'count by (alertname, alertstate) (ALERTS{{alertname=~"Bitprobe.*", {FLEET}}})',
                            "Prometheus {{alertname}} {{alertstate}}"),
                           (f'count by (alertname, alertstate) (bitprobe_alerts{{{FLEET}}})', "agent {{alertname}} {{alertstate}}")),
                   bars=True, stack=True, w=12, decimals=0),
        timeseries("Agent CPU", "CPU time each agent process uses per second (1 = one core).",
                   targets((f'rate(process_cpu_seconds_total{{{FLEET}}}[$__rate_interval])', "{{instance}}")),
                   unit="percentunit", w=12),
        state_timeline("Fault injection", "Agents injecting a testing-only slowdown (their timings are not real).",
                       targets((f'bitprobe_fault_injection_active{{{FLEET}}}', "{{instance}} {{injection}}")),
                       [{"type": "value", "options": {"0": {"text": "off", "color": "green", "index": 0},
                                                      "1": {"text": "INJECTING", "color": "purple", "index": 1}}}],
                       steps(("green", None), ("purple", 1)), w=24, h=5),
    ]
    variables = [
        query_variable("job", "Job", "label_values(bitprobe_build_info, job)"),
        query_variable("instance", "Instance", 'label_values(bitprobe_build_info{job=~"$job"}, instance)'),
        query_variable("backend", "Backend", 'label_values(bitprobe_backend_up{job=~"$job", instance=~"$instance"}, backend)',
                       all_value=".*"),
        query_variable("op", "Op", 'label_values(bitprobe_probe_runs_total{job=~"$job", instance=~"$instance"}, op)',
                       all_value=".*"),
    ]
    links = [{"title": "bitprobe dashboards", "type": "dashboards", "tags": ["bitprobe"], "asDropdown": True,
              "includeVars": False, "keepTime": True, "icon": "external link", "targetBlank": False, "tooltip": "",
              "url": ""}]
    return dashboard(
        "bitprobe-fleet", "bitprobe / Fleet",
        "bitprobe across many agents: who is slower than its peers, wrong results, memory pressure, alerts, versions. "
        "docs/dashboards.md describes every panel.",
        variables,
        [("Fleet health", health_row), ("Throughput across the fleet", throughput_row),
         ("Regressions, memory and alerts", other_row)],
        links)


DASHBOARDS = {"bitprobe-overview.json": overview, "bitprobe-fleet.json": fleet}


def render(build):
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def main(argv):
    check = argv[1:] == ["--check"]
    if argv[1:] and not check:
        print(__doc__.strip(), file=sys.stderr)
        return 64
    stale = []
    for name, build in DASHBOARDS.items():
        path = os.path.join(HERE, name)
        text = render(build)
        if check:
            try:
                with open(path, encoding="utf-8") as f:
                    if f.read() != text:
                        stale.append(name)
            except FileNotFoundError:
                stale.append(name)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    if stale:
        print("dashboards out of date (run dashboards/generate.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
