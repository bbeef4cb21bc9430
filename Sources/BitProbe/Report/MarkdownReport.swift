/// Renders a PerformanceReport as Markdown (GitHub-flavoured tables), for pull requests and wikis.
/// Charts are left to the HTML page; every number in them is in these tables too.
public enum MarkdownReport {
    public static func render(_ report: PerformanceReport) -> String {
        var md =
            "# \(report.title)\n\nGenerated \(UTCTime.format(report.generatedAt)) by \(report.source), bitprobe \(report.environment.bitprobeVersion) (\(report.environment.bitprobeRevision)).\n\n"
        md +=
            "## Executive summary\n\n**\(report.summary.healthy ? "Healthy" : "Needs attention")**. " + report.summary.sentences.joined(separator: " ") + "\n\n"
        for (index, r) in report.recommendations.prefix(3).enumerated() { md += "\(index + 1). **\(r.title)** (\(r.priority.rawValue)): \(r.detail)\n" }
        let env = report.environment
        md +=
            "\n## Environment\n\n"
            + table(
                ["", "value"],
                [
                    ["CPU", env.cpuModel ?? "-"], ["CPUs available", env.availableCPUs.map(String.init) ?? "-"], ["kernel path", env.kernelPath ?? "-"],
                    ["threads", env.threads.map(String.init) ?? "-"], ["memory total", env.memoryTotalBytes.map(ByteCount.format) ?? "-"],
                    ["CPU pressure during the run", env.cpuPressureShare.map { formatFixed($0 * 100, decimals: 1) + "%" } ?? "-"],
                    ["GPUs", env.gpus.isEmpty ? "none" : env.gpus.joined(separator: ", ")],
                ])
        md +=
            "\n## Performance analysis\n\n"
            + table(
                ["probe", "result", "median", "p90", "CV", "op/s", "bytes/s", "samples"],
                report.probes.map { p in
                    [
                        p.probe, p.outcome.rawValue, p.medianSeconds.map(formatDuration) ?? "-", p.p90Seconds.map(formatDuration) ?? "-",
                        p.cv.map { formatFixed($0 * 100, decimals: 1) + "%" } ?? "-", p.operationsPerSecond.map { formatSI($0, unit: "op/s") } ?? "-",
                        p.bytesPerSecond.map { formatSI($0, unit: "B/s") } ?? "-", String(p.samples),
                    ]
                })
        if let roofline = report.roofline {
            md +=
                "\nCeilings measured here: \(formatSI(roofline.bandwidth.value, unit: "B/s")) (\(roofline.bandwidth.probe))"
                + (roofline.compute.map { ", float \(formatSI($0.value, unit: "op/s")) (\($0.probe))" } ?? "")
                + (roofline.integerCompute.map { ", integer \(formatSI($0.value, unit: "op/s")) (\($0.probe))" } ?? "") + ".\n\n"
            md += table(
                ["probe", "op/B", "bound", "efficiency"],
                roofline.points.map { p in
                    [p.probe, p.intensity.map { Markup.number($0) } ?? "-", p.bound.rawValue, formatFixed(p.efficiency * 100, decimals: 0) + "%"]
                })
        }
        if !report.dtypeComparisons.isEmpty {
            md +=
                "\n## f16 against f32\n\n"
                + table(
                    ["probe", "f32 median", "f16 median", "f16 speed-up"],
                    report.dtypeComparisons.map { c in
                        [
                            "\(c.op.rawValue) \(c.shape) on \(c.device)", formatDuration(c.f32MedianSeconds), formatDuration(c.f16MedianSeconds),
                            formatFixed(c.f16Speedup, decimals: 2) + "x",
                        ]
                    })
        }
        if let comparison = report.deviceComparison {
            md += "\n## Devices and sizes\n\n" + (comparison.note.map { "Note: \($0)\n\n" } ?? "")
            md += table(
                ["op", "dtype", "shape"] + ([comparison.cpu] + comparison.gpus) + ["fastest"],
                comparison.rows.map { row in
                    [row.op.rawValue, row.dtype.rawValue, row.shape.description] + row.cells.map { $0.medianSeconds.map(formatDuration) ?? $0.outcome.rawValue }
                        + [row.fastest ?? "-"]
                })
            md += "\nSelection guide:\n\n" + comparison.guide.map { "- \($0.line)\n" }.joined()
        }
        if let layout = report.layout {
            md +=
                "\n## Layouts: strided against contiguous\n\n"
                + table(
                    ["stride", "median", "bytes/s", "slowdown"],
                    layout.rows.map { row in
                        [
                            String(row.stride), row.medianSeconds.map(formatDuration) ?? row.outcome.rawValue,
                            row.bytesPerSecond.map { formatSI($0, unit: "B/s") } ?? "-",
                            row.slowdown.map { formatFixed($0, decimals: 2) + "x" } ?? "-",
                        ]
                    })
        }
        if let batch = report.batch {
            md +=
                "\n## Batch size (weights \(batch.n)x\(batch.k))\n\n"
                + table(
                    ["device", "op", "dtype", "batch", "op/s", "growth"],
                    batch.series.flatMap { s in
                        s.rows.map { row in
                            [
                                s.device, s.op.rawValue, s.dtype.rawValue, String(row.batch),
                                row.operationsPerSecond.map { formatSI($0, unit: "op/s") } ?? row.outcome.rawValue,
                                row.growth.map { formatFixed($0, decimals: 2) + "x" } ?? "-",
                            ]
                        }
                    })
        }
        if let memory = report.memory {
            md +=
                "\n## Memory analysis\n\n"
                + table(
                    ["device", "peak held", "pool hit rate", "retained from system", "events"],
                    memory.devices.map { d in
                        [
                            d.device, ByteCount.format(d.peakBytes), d.poolHitRate.map { formatFixed($0 * 100, decimals: 1) + "%" } ?? "-",
                            ByteCount.format(d.retainedBytes),
                            d.events.keys.sorted().map { "\($0) \(d.events[$0]!)" }.joined(separator: ", "),
                        ]
                    })
        }
        if let profile = report.profile {
            md +=
                "\n## Profile hotspots\n\n"
                + table(
                    ["span", "self", "share", "calls"],
                    profile.hotspots.map { n in
                        [n.path[0], formatDuration(Double(n.selfNanos) / 1e9), formatFixed(n.shareOfTotal * 100, decimals: 1) + "%", String(n.calls)]
                    })
        }
        if let regression = report.regression {
            md += "\n## Regression against '\(regression.baseline.name)': \(regression.status.rawValue)\n\n"
            md += table(
                ["probe", "verdict", "ratio"],
                regression.comparisons.map { c in
                    [c.spec.description, c.verdict.rawValue, c.medianRatio.map { formatFixed($0, decimals: 3) } ?? "-"]
                })
        }
        if let alerts = report.alerts {
            md +=
                "\n## Alerts\n\n"
                + (alerts.isEmpty ? "None pending or firing.\n" : table(["alert", "state", "probe"], alerts.map { [$0.name, $0.state, $0.probe ?? "-"] }))
        }
        md += "\n## Recommendations\n\n"
        md +=
            report.recommendations.isEmpty
            ? "No rule found anything to change in these measurements.\n"
            : table(
                ["priority", "category", "recommendation", "evidence"],
                report.recommendations.map { r in
                    [
                        r.priority.rawValue, r.category.rawValue, "**\(r.title)**: \(r.detail)",
                        r.evidence.map { "\($0.name) = \(HTMLReport.evidenceValue($0))" }.joined(separator: "; "),
                    ]
                })
        return md
    }

    private static func table(_ header: [String], _ rows: [[String]]) -> String {
        func row(_ cells: [String]) -> String {
            "| " + cells.map { $0.replacingAll("|", with: "\\|").replacingAll("\n", with: " ") }.joined(separator: " | ") + " |\n"
        }
        return row(header) + "|" + header.map { _ in " --- |" }.joined() + "\n" + rows.map(row).joined()
    }
}
