/// Renders a PerformanceReport as one self-contained HTML5 page: inline CSS and SVG, no external
/// resource of any kind (it opens from disk with no network), readable without JavaScript (a few
/// inline lines add table sorting and flame-graph zoom), light and dark via prefers-color-scheme,
/// printable. Sections whose data the report lacks are left out.
public enum HTMLReport {
    public static func render(_ report: PerformanceReport) -> String {
        var body = header(report) + summary(report) + environment(report) + performance(report) + comparisons(report)
        body += memory(report) + profile(report) + regression(report) + agent(report) + recommendations(report)
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <link rel="icon" href="data:,">
            <title>\(e(report.title))</title>
            <style>\(style)</style>
            </head>
            <body>
            <main>
            \(body)
            </main>
            <script>\(script)</script>
            </body>
            </html>

            """
    }

    private static func e(_ text: String) -> String { Markup.escape(text) }

    private static func section(_ id: String, _ title: String, _ content: String) -> String {
        "<section id=\"\(id)\"><h2>\(e(title))</h2>\n\(content)</section>\n"
    }

    /// A table with header cells scoped to columns; `numeric` columns are right-aligned and sort as numbers.
    private static func table(_ caption: String, _ header: [String], _ rows: [[String]], numeric: Set<Int> = [], sortable: Bool = true) -> String {
        var html = "<table\(sortable ? " class=\"sortable\"" : "")><caption>\(e(caption))</caption><thead><tr>"
        for (i, cell) in header.enumerated() { html += "<th scope=\"col\"\(numeric.contains(i) ? " class=\"num\"" : "")>\(e(cell))</th>" }
        html += "</tr></thead><tbody>"
        for row in rows {
            html += "<tr>" + row.enumerated().map { i, cell in "<td\(numeric.contains(i) ? " class=\"num\"" : "")>\(cell)</td>" }.joined() + "</tr>"
        }
        return html + "</tbody></table>\n"
    }

    private static func figure(_ svg: String, _ caption: String) -> String {
        "<figure>\(svg)<figcaption>\(e(caption))</figcaption></figure>\n"
    }

    private static func header(_ report: PerformanceReport) -> String {
        "<header><h1>\(e(report.title))</h1><p class=\"meta\">Generated \(e(UTCTime.format(report.generatedAt))) by \(e(report.source)), bitprobe \(e(report.environment.bitprobeVersion)) (\(e(report.environment.bitprobeRevision))).</p>"
            + "<nav aria-label=\"sections\"><a href=\"#summary\">Summary</a> <a href=\"#environment\">Environment</a> <a href=\"#performance\">Performance</a>"
            + (hasComparisons(report) ? " <a href=\"#comparisons\">Comparisons</a>" : "")
            + (report.memory == nil ? "" : " <a href=\"#memory\">Memory</a>") + (report.profile == nil ? "" : " <a href=\"#profile\">Profile</a>")
            + (report.regression == nil ? "" : " <a href=\"#regression\">Regression</a>") + (report.alerts == nil ? "" : " <a href=\"#agent\">Agent</a>")
            + " <a href=\"#recommendations\">Recommendations</a></nav></header>\n"
    }

    private static func summary(_ report: PerformanceReport) -> String {
        let status = report.summary.healthy ? "<p class=\"status ok\">Healthy</p>" : "<p class=\"status bad\">Needs attention</p>"
        var html = status + "<p>" + report.summary.sentences.map(e).joined(separator: " ") + "</p>"
        let top = report.recommendations.prefix(3)
        if !top.isEmpty {
            html +=
                "<h3>Top recommendations</h3><ol>"
                + top.map {
                    "<li><strong>\(e($0.title))</strong> <span class=\"tag \($0.priority.rawValue)\">\($0.priority.rawValue)</span>: \(e($0.detail))</li>"
                }.joined() + "</ol>"
        }
        return section("summary", "Executive summary", html)
    }

    private static func environment(_ report: PerformanceReport) -> String {
        let env = report.environment
        var rows: [[String]] = []
        func add(_ name: String, _ value: String?) { if let value { rows.append([e(name), e(value)]) } }
        add("CPU", env.cpuModel)
        add("CPUs available", env.availableCPUs.map(String.init))
        add("Kernel path", env.kernelPath)
        add("Kernel threads", env.threads.map(String.init))
        add("Memory total", env.memoryTotalBytes.map(ByteCount.format))
        add("Memory available", env.memoryAvailableBytes.map(ByteCount.format))
        add("CPU pressure during the run", env.cpuPressureShare.map { formatFixed($0 * 100, decimals: 1) + "% of the time some task waited for a CPU" })
        add("GPUs", env.gpus.isEmpty ? "none" : env.gpus.joined(separator: ", "))
        add("bitprobe", "\(env.bitprobeVersion) (\(env.bitprobeRevision))")
        return section("environment", "Environment", table("Where the probes ran", ["", "value"], rows, sortable: false))
    }

    private static func performance(_ report: PerformanceReport) -> String {
        let rows = report.probes.map { p -> [String] in
            [
                e(p.probe), "<span class=\"outcome \(p.outcome.rawValue)\">\(p.outcome.rawValue)</span>" + (p.detail.map { " <small>\(e($0))</small>" } ?? ""),
                p.medianSeconds.map(formatDuration) ?? "-", p.p90Seconds.map(formatDuration) ?? "-",
                p.cv.map { formatFixed($0 * 100, decimals: 1) + "%" } ?? "-",
                p.operationsPerSecond.map { formatSI($0, unit: "op/s") } ?? "-", p.bytesPerSecond.map { formatSI($0, unit: "B/s") } ?? "-",
                String(p.samples), p.checkedValues.map { "\($0 - (p.wrongValues ?? 0))/\($0)" } ?? "-",
            ]
        }
        var html = table(
            "Every probe of the run (verified values / checked values in the last column)",
            ["probe", "result", "median", "p90", "CV", "op/s", "bytes/s", "samples", "verified"], rows, numeric: [2, 3, 4, 5, 6, 7])
        if report.probes.contains(where: { $0.medianSeconds != nil }) {
            html += figure(
                SVGChart.boxPlots(
                    title: "Latency distribution per probe: box from the first to the third quartile, whiskers from the fastest to the slowest iteration",
                    entries: report.probes), "Latency distribution per probe (log scale): box q1–q3, line at the median, whiskers min–max.")
        }
        if let roofline = report.roofline {
            if let chart = SVGChart.roofline(roofline) {
                let ceilings = [roofline.compute.map { "float compute from \($0.probe)" }, roofline.integerCompute.map { "integer compute from \($0.probe)" }]
                html += figure(
                    chart,
                    "Roofline from this machine's own ceilings: bandwidth from \(roofline.bandwidth.probe), "
                        + ceilings.compactMap { $0 }.joined(separator: ", ") + ". All measured, not datasheet peaks; points numbered as in the table below.")
            }
            var number = 0
            let boundRows = roofline.points.map { p -> [String] in
                var label = "-"
                if p.intensity != nil && p.achievedOpsPerSecond != nil { number += 1; label = String(number) }
                return [label, e(p.probe), p.intensity.map { Markup.number($0) } ?? "-", p.bound.rawValue, formatFixed(p.efficiency * 100, decimals: 0) + "%"]
            }
            html += table(
                "Each probe against the measured ceilings (efficiency = achieved / attainable; above 100% means its working set fits a cache the copy probe's does not)",
                ["#", "probe", "op/B", "bound", "efficiency"], boundRows, numeric: [2, 4])
            let bandwidthRows = roofline.points.filter { $0.intensity == nil }.map { (label: $0.probe, value: $0.efficiency) }
            if !bandwidthRows.isEmpty {
                html += figure(
                    SVGChart.bars(
                        title: "Share of the measured copy bandwidth each bandwidth probe reaches", rows: bandwidthRows, reference: 1,
                        axisLabel: "achieved bytes/s / copy bytes/s", format: { formatFixed($0 * 100, decimals: 0) + "%" }),
                    "Bandwidth probes against the copy probe's \(formatSI(roofline.bandwidth.value, unit: "B/s")).")
            }
        }
        return section("performance", "Performance analysis", html)
    }

    private static func hasComparisons(_ report: PerformanceReport) -> Bool {
        !report.dtypeComparisons.isEmpty || report.deviceComparison != nil || report.layout != nil || report.batch != nil
    }

    private static func comparisons(_ report: PerformanceReport) -> String {
        guard hasComparisons(report) else { return "" }
        var html = ""
        if !report.dtypeComparisons.isEmpty {
            html += "<h3>f16 against f32</h3>"
            let rows = report.dtypeComparisons.map { c in
                [
                    e("\(c.op.rawValue) \(c.shape) on \(c.device)"), formatDuration(c.f32MedianSeconds), formatDuration(c.f16MedianSeconds),
                    formatFixed(c.f16Speedup, decimals: 2) + "x",
                ]
            }
            html += table(
                "Same op, shape and device in both precisions (speed-up above 1: f16 is faster)", ["probe", "f32 median", "f16 median", "f16 speed-up"], rows,
                numeric: [1, 2, 3])
            html += figure(
                SVGChart.bars(
                    title: "f16 speed-up over f32 per probe",
                    rows: report.dtypeComparisons.map { (label: "\($0.op.rawValue) \($0.shape)", value: $0.f16Speedup) },
                    reference: 1, axisLabel: "f32 median / f16 median", format: { formatFixed($0, decimals: 2) + "x" }),
                "f16 against f32: bars right of 1.00x mean f16 is faster.")
        }
        if let comparison = report.deviceComparison {
            html += "<h3>Devices and sizes</h3>"
            if let note = comparison.note { html += "<p class=\"note\">\(e(note))</p>" }
            var sweeps: [(ProbeOp, DType)] = []
            for row in comparison.rows where !sweeps.contains(where: { $0 == (row.op, row.dtype) }) { sweeps.append((row.op, row.dtype)) }
            for (op, dtype) in sweeps {
                let rows = comparison.rows.filter { $0.op == op && $0.dtype == dtype }
                let guide = comparison.guide.first { $0.op == op && $0.dtype == dtype }
                let byOps = rows.first.flatMap { try? ProbeSpec(op: op, dtype: dtype, shape: $0.shape) }?.operationsPerIteration != nil
                let series = ([comparison.cpu] + comparison.gpus).map { device in
                    SVGChart.Series(
                        name: device,
                        points: rows.compactMap { row in
                            guard let cell = row.cells.first(where: { $0.device == device }), let median = cell.medianSeconds, median > 0,
                                let spec = try? ProbeSpec(op: op, dtype: dtype, shape: row.shape)
                            else { return nil }
                            return (Double(row.size), (spec.operationsPerIteration ?? spec.bytesPerIteration) / median)
                        })
                }
                let markers = guide?.crossoverSize.map { [(x: Double($0), label: "crossover \($0)")] } ?? []
                html += figure(
                    SVGChart.lines(
                        title: "\(op.rawValue) \(dtype.rawValue): throughput against size per device", series: series, xLabel: "size N (log)",
                        yLabel: byOps ? "op/s (log)" : "bytes/s (log)", logX: true, logY: true,
                        xFormat: { String(Int($0)) }, yFormat: { formatSI($0, unit: "") }, markers: markers),
                    "\(op.rawValue) \(dtype.rawValue): \(guide?.line ?? "")")
                if !comparison.gpus.isEmpty {
                    let speedups = comparison.gpus.map { gpu in
                        SVGChart.Series(name: "\(gpu) / \(comparison.cpu)", points: rows.compactMap { row in row.speedup[gpu].map { (Double(row.size), $0) } })
                    }
                    html += figure(
                        SVGChart.lines(
                            title: "\(op.rawValue) \(dtype.rawValue): GPU speed-up over the CPU against size", series: speedups, xLabel: "size N (log)",
                            yLabel: "speed-up (log)", logX: true, logY: true, xFormat: { String(Int($0)) },
                            yFormat: { Markup.number($0) + "x" }, markers: markers),
                        "GPU speed-up (CPU median / GPU median); above 1x the GPU wins.")
                }
            }
            let header = ["op", "dtype", "shape"] + ([comparison.cpu] + comparison.gpus) + comparison.gpus.map { "speed-up \($0)" } + ["fastest"]
            let rows = comparison.rows.map { row in
                [row.op.rawValue, row.dtype.rawValue, row.shape.description] + row.cells.map { $0.medianSeconds.map(formatDuration) ?? $0.outcome.rawValue }
                    + comparison.gpus.map { row.speedup[$0].map { formatFixed($0, decimals: 2) + "x" } ?? "-" } + [row.fastest ?? "-"]
            }
            html += table("Median per device and size", header, rows.map { $0.map(e) })
            html += "<h3>Selection guide</h3><ul>" + comparison.guide.map { "<li>\(e($0.line))</li>" }.joined() + "</ul>"
        }
        if let layout = report.layout {
            html += "<h3>Layouts: strided against contiguous</h3>"
            html += table(
                "strided_add f32 over \(layout.elements) elements with inputs read STRIDE elements apart; slowdown = median / stride 1's median",
                ["stride", "shape", "median", "bytes/s", "slowdown"],
                layout.rows.map { row in
                    [
                        String(row.stride), row.shape.description, row.medianSeconds.map(formatDuration) ?? row.outcome.rawValue,
                        row.bytesPerSecond.map { formatSI($0, unit: "B/s") } ?? "-", row.slowdown.map { formatFixed($0, decimals: 2) + "x" } ?? "-",
                    ].map(e)
                }, numeric: [0, 2, 3, 4])
            let bars = layout.rows.compactMap { row in row.slowdown.map { (label: "stride \(row.stride)", value: $0) } }
            if bars.count > 1 {
                html += figure(
                    SVGChart.bars(
                        title: "Slowdown of the same add when its inputs are read STRIDE elements apart", rows: bars, reference: 1,
                        axisLabel: "median / contiguous median", format: { formatFixed($0, decimals: 2) + "x" }),
                    "The cost of a non-contiguous layout on this machine: bars right of 1.00x are slower than contiguous.")
            }
        }
        if let batch = report.batch {
            html += "<h3>Batch size</h3>"
            let series = batch.series.map { s in
                SVGChart.Series(
                    name: "\(s.op.rawValue) \(s.dtype.rawValue) \(s.device)",
                    points: s.rows.compactMap { row in row.operationsPerSecond.map { (Double(row.batch), $0) } })
            }
            let markers = batch.series.compactMap { s in s.saturationBatch.map { (x: Double($0), label: "\(s.op.rawValue) stops at \($0)") } }
            html += figure(
                SVGChart.lines(
                    title: "Throughput against batch size, weights \(batch.n)x\(batch.k)", series: series, xLabel: "batch M (log)",
                    yLabel: "op/s (log)", logX: true, logY: true, xFormat: { String(Int($0)) }, yFormat: { formatSI($0, unit: "") }, markers: markers),
                "Where a line flattens, a larger batch adds latency, not throughput.")
            html += table(
                "Each batch against the previous one (growth = op/s / previous op/s)", ["device", "op", "dtype", "batch", "median", "op/s", "growth"],
                batch.series.flatMap { s in
                    s.rows.map { row in
                        [
                            s.device, s.op.rawValue, s.dtype.rawValue, String(row.batch), row.medianSeconds.map(formatDuration) ?? row.outcome.rawValue,
                            row.operationsPerSecond.map { formatSI($0, unit: "op/s") } ?? "-", row.growth.map { formatFixed($0, decimals: 2) + "x" } ?? "-",
                        ].map(e)
                    }
                }, numeric: [3, 4, 5, 6])
        }
        return section("comparisons", "Comparisons", html)
    }

    private static func memory(_ report: PerformanceReport) -> String {
        guard let memory = report.memory else { return "" }
        let host = memory.host
        var html = table(
            "Host memory signals read for this report", ["signal", "value"],
            [
                ["pressure", memory.devices.first { $0.device == "cpu0" }?.pressure ?? "-"],
                ["total", host.totalBytes.map(ByteCount.format) ?? "-"], ["available", host.availableBytes.map(ByteCount.format) ?? "-"],
                ["cgroup limit", host.cgroupLimitBytes.map(ByteCount.format) ?? "none"], ["usable", host.usableBytes.map(ByteCount.format) ?? "-"],
                ["PSI some / full avg10", "\(host.pressureSomeAvg10.map { String($0) } ?? "-") / \(host.pressureFullAvg10.map { String($0) } ?? "-")"],
            ].map { $0.map(e) }, sortable: false)
        let kinds = MemoryEventKind.allCases.map(\.rawValue)
        let rows = memory.devices.map { d in
            [
                d.device, ByteCount.format(d.peakBytes), ByteCount.format(d.trackedBytes),
                d.poolHitRate.map { formatFixed($0 * 100, decimals: 1) + "%" } ?? "-",
                ByteCount.format(d.retainedBytes), d.retainedToPeakRatio.map { formatFixed($0, decimals: 2) } ?? "-",
            ]
                + kinds.map { kind in d.events[kind].map { "\($0) (\(ByteCount.format(d.eventBytes[kind] ?? 0)))" } ?? "0" }
        }
        html += table(
            "Probe memory per device: events counted, with the bytes they named",
            ["device", "peak held", "held now", "pool hit rate", "retained from system", "retained / peak"] + kinds, rows.map { $0.map(e) },
            numeric: [1, 2, 3, 4, 5])
        let events = memory.events ?? []
        if let start = events.map(\.unixSeconds).min(), events.count > 1 {
            let byDevice = Dictionary(grouping: events, by: \.device)
            let series = byDevice.keys.sorted().map { device in
                SVGChart.Series(name: device, points: byDevice[device]!.map { ($0.unixSeconds - start, Double($0.heldBytesAfter) / 1_048_576) })
            }
            html += figure(
                SVGChart.lines(
                    title: "Memory held by probes over the run", series: series, xLabel: "seconds since the first event", yLabel: "MiB held",
                    logX: false, logY: false, xFormat: { Markup.number($0) }, yFormat: { Markup.number($0) }, steps: true),
                "Memory held by probes after each of the last \(events.count) tracked events.")
        }
        if !memory.leaks.isEmpty {
            html += table(
                "Allocations a probe still held when it ended", ["device", "probe", "bytes", "allocations"],
                memory.leaks.map { [$0.device, $0.probe, ByteCount.format($0.bytes), String($0.allocations)].map(e) })
        }
        return section("memory", "Memory analysis", html)
    }

    private static func profile(_ report: PerformanceReport) -> String {
        guard let profile = report.profile else { return "" }
        var html = table(
            "Hotspots: span names by self time", ["span", "self", "share", "calls", "total"],
            profile.hotspots.map { n in
                [
                    e(n.path[0]), formatDuration(Double(n.selfNanos) / 1e9), formatFixed(n.shareOfTotal * 100, decimals: 1) + "%", String(n.calls),
                    formatDuration(Double(n.totalNanos) / 1e9),
                ]
            }, numeric: [1, 2, 3, 4])
        html += figure(
            FlameGraph.svg(nodes: profile.nodes, rootNanos: profile.rootNanos, title: "Flame graph of the profiled cycle", interactive: false),
            "Flame graph: width is time, one row per call depth; click a frame to zoom in, the title to reset.")
        let tree = profile.nodes.map { n in
            String(repeating: "  ", count: n.path.count - 1) + n.path.last! + "  " + formatDuration(Double(n.totalNanos) / 1e9)
                + " total, " + formatDuration(Double(n.selfNanos) / 1e9) + " self, \(n.calls) call(s)"
        }.joined(separator: "\n")
        html += "<details><summary>Call tree</summary><pre>\(e(tree))</pre></details>"
        return section("profile", "Profile", html)
    }

    private static func regression(_ report: PerformanceReport) -> String {
        guard let regression = report.regression else { return "" }
        var html =
            "<p>Baseline '\(e(regression.baseline.name))' created \(e(UTCTime.format(regression.baseline.createdAt))); status <strong>\(e(regression.status.rawValue))</strong>.</p>"
        html += table(
            "Each probe against the baseline", ["probe", "verdict", "baseline median", "current median", "ratio", "95% interval"],
            regression.comparisons.map { c in
                [
                    c.spec.description, c.verdict.rawValue + (c.severity.map { " (\($0.rawValue))" } ?? ""), c.baselineMedianSeconds.map(formatDuration) ?? "-",
                    c.currentMedianSeconds.map(formatDuration) ?? "-", c.medianRatio.map { formatFixed($0, decimals: 3) } ?? "-",
                    c.medianRatioInterval.map { "\(formatFixed($0.lower, decimals: 3))–\(formatFixed($0.upper, decimals: 3))" } ?? "-",
                ].map(e)
            }, numeric: [2, 3, 4])
        if !regression.warnings.isEmpty { html += "<ul>" + regression.warnings.map { "<li>\(e($0))</li>" }.joined() + "</ul>" }
        return section("regression", "Regression against a baseline", html)
    }

    private static func agent(_ report: PerformanceReport) -> String {
        guard let alerts = report.alerts else { return "" }
        var html =
            alerts.isEmpty
            ? "<p>No alert is pending or firing.</p>"
            : table(
                "Alerts of the in-process rules", ["alert", "severity", "state", "probe", "active since", "value"],
                alerts.map { a in
                    [a.name, a.severity, a.state, a.probe ?? "-", UTCTime.format(a.activeAt), Markup.number(a.value)].map(e)
                })
        if let history = report.history, !history.isEmpty {
            html += table(
                "Each probe's median over recent cycles, oldest left", ["probe", "recent medians", "latest", "cycles"],
                history.map { h in
                    [
                        e(h.probe), SVGChart.sparkline(h.medianSeconds, label: "\(h.probe): median of the last \(h.medianSeconds.count) cycles"),
                        h.medianSeconds.last.map(formatDuration) ?? "-", String(h.medianSeconds.count),
                    ]
                }, numeric: [2, 3])
        }
        return section("agent", "Agent: alerts and recent cycles", html)
    }

    private static func recommendations(_ report: PerformanceReport) -> String {
        guard !report.recommendations.isEmpty else {
            return section("recommendations", "Recommendations", "<p>No rule found anything to change in these measurements.</p>")
        }
        let rows = report.recommendations.map { r in
            [
                "<span class=\"tag \(r.priority.rawValue)\">\(r.priority.rawValue)</span>", e(r.category.rawValue),
                "<strong>\(e(r.title))</strong><br>\(e(r.detail))",
                e(r.evidence.map { "\($0.name) = \(evidenceValue($0))" }.joined(separator: "; ")),
                e(
                    [r.potentialSpeedup.map { formatFixed($0, decimals: 2) + "x faster" }, r.potentialSavingsBytes.map { ByteCount.format($0) + " saved" }]
                        .compactMap { $0 }.joined(separator: ", ")),
            ]
        }
        return section(
            "recommendations", "Recommendations",
            table("Prioritised, each from a rule over the measurements above", ["priority", "category", "recommendation", "evidence", "potential"], rows))
    }

    static func evidenceValue(_ evidence: Recommendation.Evidence) -> String {
        switch evidence.unit {
        case "s": formatDuration(evidence.value)
        case "B": ByteCount.format(Int(evidence.value))
        case "B/s", "op/s": formatSI(evidence.value, unit: evidence.unit)
        case "ratio": formatFixed(evidence.value, decimals: 3)
        default: Markup.number(evidence.value)
        }
    }

    static let style = """
        :root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#5a6270;--grid:#d8dde3;--card:#f5f7f9;--good:#1a7f37;--bad:#c62828;--s0:#2f6fdf;--s1:#e07b00;--s2:#1a9e5c;--s3:#b0369b;--s4:#6d4c41;--s5:#00838f}
        @media (prefers-color-scheme:dark){:root{--fg:#e6e9ed;--bg:#14171b;--muted:#9aa4b1;--grid:#333a43;--card:#1d2228;--good:#4cc46f;--bad:#ff6b6b;--s0:#6ea0ff;--s1:#ffad4d;--s2:#4fd18b;--s3:#e36fd0;--s4:#c9a18f;--s5:#4dd0e1}}
        body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
        main{max-width:1240px;margin:0 auto;padding:16px 24px}
        h1{font-size:24px;margin:8px 0}h2{font-size:19px;border-bottom:1px solid var(--grid);padding-bottom:4px;margin-top:28px}h3{font-size:15px}
        .meta,.note,figcaption,caption{color:var(--muted)}caption{text-align:left;padding:4px 0;font-size:13px}
        nav a{margin-right:10px}a{color:var(--s0)}
        table{border-collapse:collapse;margin:8px 0 16px;width:100%;font-size:13px}th,td{border-bottom:1px solid var(--grid);padding:3px 8px;text-align:left;vertical-align:top}
        th{background:var(--card)}.num{text-align:right;font-variant-numeric:tabular-nums}table.sortable th{cursor:pointer}
        .status{display:inline-block;padding:2px 10px;border-radius:10px;font-weight:600}.status.ok{background:var(--good);color:#fff}.status.bad{background:var(--bad);color:#fff}
        .tag{border-radius:8px;padding:0 6px;font-size:12px;border:1px solid var(--grid)}.tag.high{background:var(--bad);color:#fff}.tag.medium{background:var(--s1);color:#000}
        .outcome.ok{color:var(--good)}.outcome.mismatch,.outcome.failed,.outcome.timeout{color:var(--bad);font-weight:600}
        figure{margin:12px 0}svg.chart{width:100%;max-width:960px;height:auto;display:block}svg.flamegraph{width:100%;height:auto;display:block}svg.spark{vertical-align:middle}
        svg.chart text{fill:var(--fg);font-size:11px}svg.chart .axis line{stroke:var(--fg)}svg.chart .grid{stroke:var(--grid)}
        svg.chart .marker{stroke:var(--bad);stroke-dasharray:4 3}svg.chart .marker-label{fill:var(--bad)}
        svg .s0{stroke:var(--s0);fill:var(--s0)}svg .s1{stroke:var(--s1);fill:var(--s1)}svg .s2{stroke:var(--s2);fill:var(--s2)}svg .s3{stroke:var(--s3);fill:var(--s3)}svg .s4{stroke:var(--s4);fill:var(--s4)}svg .s5{stroke:var(--s5);fill:var(--s5)}
        svg .s0 polyline,svg .s1 polyline,svg .s2 polyline,svg .s3 polyline,svg .s4 polyline,svg .s5 polyline{fill:none;stroke-width:2}svg g text{stroke:none}
        svg .box rect{fill:var(--s0);fill-opacity:.35;stroke:var(--s0)}svg .box .whisker{stroke:var(--muted)}svg .box .median{stroke:var(--fg);stroke-width:2}
        svg .bar-good rect{fill:var(--good)}svg .bar-bad rect{fill:var(--bad)}svg .roof polyline{stroke:var(--fg);stroke-width:2.5;fill:none}svg .roof text{fill:var(--fg)}
        svg.spark polyline{stroke:var(--s0);stroke-width:1.5}
        svg.flamegraph .frame rect{stroke:var(--bg);stroke-width:.5}svg.flamegraph .frame text{fill:#000;font-size:11px;pointer-events:none}svg.flamegraph .frame{cursor:pointer}svg.flamegraph>text{fill:var(--fg);cursor:pointer}
        pre{background:var(--card);padding:8px;overflow:auto;font-size:12px}
        @media print{nav,script{display:none}main{max-width:none}section{break-inside:avoid-page}}
        """

    /// Column sorting and flame-graph zoom; the page reads fully without them.
    static let script = """
        document.querySelectorAll('table.sortable th').forEach(function(th,col){th.addEventListener('click',function(){var tb=th.closest('table').tBodies[0];var rows=Array.from(tb.rows);var dir=th.dataset.dir==='asc'?-1:1;th.dataset.dir=dir===1?'asc':'desc';function key(r){var t=r.cells[col]?r.cells[col].textContent:'';var n=parseFloat(t.replace(/[^0-9.eE+-]/g,''));var u={'ns':1e-9,'µs':1e-6,'ms':1e-3,' s':1,'k':1e3,'M':1e6,'G':1e9,'T':1e12,'KiB':1024,'MiB':1048576,'GiB':1073741824};for(var k in u){if(t.indexOf(k)>=0){n*=u[k];break;}}return isNaN(n)?t:n;}rows.sort(function(a,b){var x=key(a),y=key(b);return (x>y?1:x<y?-1:0)*dir;});rows.forEach(function(r){tb.appendChild(r);});});});
        document.querySelectorAll('svg.flamegraph').forEach(function(svg){var W=+svg.viewBox.baseVal.width;var fs=svg.querySelectorAll('.frame');function zoom(x0,w0){fs.forEach(function(f){var x=+f.dataset.x,w=+f.dataset.w;var nx=(x-x0)*W/w0,nw=w*W/w0;var out=nx+nw<=0.01||nx>=W-0.01;var r=f.querySelector('rect'),t=f.querySelector('text');r.setAttribute('x',Math.max(nx,0));r.setAttribute('width',out?0:Math.max(Math.min(nw,W-Math.max(nx,0)),0.1));if(t){t.setAttribute('x',Math.max(nx,0)+3);t.style.display=(out||nw<26)?'none':'';}});}fs.forEach(function(f){f.addEventListener('click',function(){zoom(+f.dataset.x,+f.dataset.w);});});var title=svg.querySelector(':scope>text');if(title)title.addEventListener('click',function(){zoom(0,W);});});
        """
}
