/// The executive summary: a few sentences, each computed from the report's data. A sentence whose
/// data was not measured is left out, never replaced by a generic one.
enum ExecutiveSummary {
    static func make(
        results: [ProbeResult], roofline: Roofline?, comparison: DeviceComparison?, memory: MemoryReport?,
        regression: RegressionReport?, alerts: [PerformanceReport.AlertEntry]?,
        recommendations: [Recommendation]
    ) -> PerformanceReport.Summary {
        var sentences: [String] = []
        let verified = results.filter { $0.outcome == .ok }
        sentences.append(verifiedSentence(results, verified: verified.count))

        if let best = verified.filter({ $0.spec.op == .matmul && $0.operationsPerSecond != nil }).max(by: { $0.operationsPerSecond! < $1.operationsPerSecond! })
        {
            var text = "The fastest matrix product, \(best.spec), reached \(formatSI(best.operationsPerSecond!, unit: "FLOP/s"))"
            if let roofline {
                text += "; the copy probe moved \(formatSI(roofline.bandwidth.value, unit: "B/s"))"
            }
            sentences.append(text + ".")
        } else if let roofline {
            sentences.append("The copy probe moved \(formatSI(roofline.bandwidth.value, unit: "B/s")).")
        }

        if let pair = RecommendationRules.ternaryPairs(results).max(by: { $0.speedup < $1.speedup }) {
            let shape = "\(pair.ternary.spec.shape) on \(pair.ternary.spec.device)"
            sentences.append(
                pair.speedup > 1
                    ? "Ternary W1.58A8 is \(formatFixed(pair.speedup, decimals: 1))x faster than the best float matmul at \(shape)."
                    : "Ternary W1.58A8 is \(formatFixed(1 / pair.speedup, decimals: 1))x slower than matmul \(pair.float.spec.dtype.rawValue) at \(shape).")
        }

        if let comparison {
            let wins = comparison.guide.filter { $0.device != nil }
            if comparison.gpus.isEmpty {
                sentences.append("Devices compared: \(comparison.cpu) only" + (comparison.note.map { " (\($0))." } ?? "."))
            } else if wins.isEmpty {
                sentences.append("\(comparison.cpu) beat every GPU at the largest size of each sweep.")
            } else {
                sentences.append("GPUs win: " + wins.map(\.line).joined(separator: "; ") + ".")
            }
        }

        if let regression {
            let regressed = regression.comparisons.filter { $0.verdict == .regression }
            if let worst = regressed.max(by: { ($0.medianRatio ?? 0) < ($1.medianRatio ?? 0) }), let ratio = worst.medianRatio {
                sentences.append(
                    "\(regressed.count) probe\(regressed.count == 1 ? "" : "s") regressed against baseline '\(regression.baseline.name)' (worst: \(worst.spec), \(formatFixed(ratio, decimals: 2))x slower)."
                )
            } else {
                sentences.append("No regression against baseline '\(regression.baseline.name)' (\(regression.comparisons.count) probes compared).")
            }
        }

        if let memory, let host = memory.devices.first(where: { $0.device == "cpu0" }) {
            var text = "Memory pressure: \(host.pressure)"
            if host.peakBytes > 0 { text += "; probes held at most \(ByteCount.format(host.peakBytes)) on cpu0" }
            if !memory.leaks.isEmpty { text += "; \(memory.leaks.count) leak(s)" }
            sentences.append(text + ".")
        }

        if let alerts {
            let firing = alerts.filter { $0.state == "firing" }
            sentences.append(
                firing.isEmpty
                    ? "No alert is firing (\(alerts.count) pending)."
                    : "\(firing.count) alert\(firing.count == 1 ? "" : "s") firing: "
                        + firing.map { $0.name + ($0.probe.map { " (\($0))" } ?? "") }.joined(separator: ", ") + ".")
        }

        let regressed = regression?.comparisons.contains { $0.verdict == .regression || $0.verdict == .failed } ?? false
        let firing = alerts?.contains { $0.state == "firing" } ?? false
        return PerformanceReport.Summary(
            verified: verified.count, total: results.count,
            healthy: verified.count == results.count && !results.isEmpty && !regressed && !firing,
            sentences: sentences)
    }

    private static func verifiedSentence(_ results: [ProbeResult], verified: Int) -> String {
        let text = "\(verified) of \(results.count) probes verified"
        var problems: [String] = []
        for outcome in [ProbeOutcome.mismatch, .failed, .timeout, .skipped] {
            let names = results.filter { $0.outcome == outcome }.map(\.spec.description)
            guard !names.isEmpty else { continue }
            let verb =
                switch outcome {
                case .mismatch: "computed a wrong result"
                case .failed: "failed"
                case .timeout: "timed out"
                default: "skipped"
                }
            problems.append("\(names.count) \(verb) (\(names.prefix(3).joined(separator: ", "))\(names.count > 3 ? ", ..." : ""))")
        }
        return text + (problems.isEmpty ? "." : "; " + problems.joined(separator: "; ") + ".")
    }
}
