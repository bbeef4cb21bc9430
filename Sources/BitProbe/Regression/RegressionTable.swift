#if canImport(Glibc)
import Glibc
#endif

/// Renders a regression report as text for people: context, warnings, one row per probe, status.
public enum RegressionTable {
    static func headers(_ criteria: RegressionCriteria) -> [String] {
        [
            "DEVICE", "OP", "DTYPE", "SHAPE", "ROUNDS", "BASELINE", "CURRENT", "RATIO", formatNumber((1 - criteria.alpha) * 100) + "% CI", "P", "VS PEERS",
            "VERDICT",
        ]
    }

    /// With `explain`, each compared probe's round medians on both sides and the rule that decided
    /// follow the table.
    public static func text(_ report: RegressionReport, explain: Bool = false) -> String {
        var lines = [
            "baseline '\(report.baseline.name)' (created \(UTCTime.format(report.baseline.createdAt)); \(report.baseline.fingerprint.summary))",
            "current: \(report.current.summary)",
            "criteria: " + criteriaText(report.criteria),
        ]
        lines += report.warnings.map { "WARNING: " + $0 }
        lines.append("")
        let rows = report.comparisons.map { c -> [String] in
            [
                c.spec.device, c.spec.op.rawValue, c.spec.dtype.rawValue, c.spec.shape.description,
                roundsText(c),
                c.baselineMedianSeconds.map(formatDuration) ?? "-",
                c.currentMedianSeconds.map(formatDuration) ?? "-",
                c.medianRatio.map { formatFixed($0, decimals: 3) + "x" } ?? "-",
                c.medianRatioInterval.map { formatFixed($0.lower, decimals: 3) + "-" + formatFixed($0.upper, decimals: 3) } ?? "-",
                c.mannWhitney.map { formatPValue($0.pValue) } ?? "-",
                c.peerRelativeRatio.map { formatFixed($0, decimals: 3) + "x" } ?? "-",
                verdictText(c),
            ]
        }
        let all = [headers(report.criteria)] + rows
        lines += alignedColumns(all)
        if explain {
            for c in report.comparisons {
                lines.append("")
                lines += explanation(c)
            }
        }
        lines.append("")
        lines.append("status: \(report.status.rawValue) (\(countsText(report.counts)))")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The decision rule in one line, with the settings in force.
    static func criteriaText(_ criteria: RegressionCriteria) -> String {
        let confidence = formatNumber((1 - criteria.alpha) * 100) + "%"
        let limit = formatFixed(criteria.limit, decimals: 3)
        return "ratio of round medians (Hodges-Lehmann) with its \(confidence) interval, plainly and against the probe's peers; "
            + "regression when an interval's lower bound exceeds \(limit)"
            + (criteria.confirmations > 0
                ? ", confirmed up to \(criteria.confirmations) times (a confirmation back within \(formatFixed(criteria.clearingLimit, decimals: 3)) clears it)"
                : "")
            + "; critical from \(formatNumber(criteria.criticalThresholdPercent))%"
    }

    /// "5/40": current rounds (confirmations included) / baseline rounds.
    static func roundsText(_ c: ProbeComparison) -> String {
        guard c.baselineRoundMedians != nil || c.currentRoundMedians != nil else { return "-" }
        return "\(c.currentRoundMedians.map { String($0.count) } ?? "-")/\(c.baselineRoundMedians.map { String($0.count) } ?? "-")"
    }

    /// "cpu0 matmul f32 256x256x256", then the round medians of each side, the measurements, and
    /// the decision.
    static func explanation(_ c: ProbeComparison) -> [String] {
        var lines = ["\(c.spec):"]
        if let medians = c.baselineRoundMedians { lines.append("  baseline rounds (\(medians.count)): " + mediansText(medians)) }
        if let medians = c.currentRoundMedians { lines.append("  current rounds (\(medians.count)): " + mediansText(medians)) }
        if let factors = c.currentPeerFactors {
            lines.append(
                "  peers' speed in each current round (their medians over their baselines'): "
                    + factors.map { formatFixed($0, decimals: 3) }.joined(separator: " "))
        }
        if c.measuredRatios.count > 1 {
            lines.append(
                "  measurements: " + c.measuredRatios.map { formatFixed($0, decimals: 3) }.joined(separator: ", ")
                    + (c.measuredPeerRelativeRatios.isEmpty
                        ? "" : "; against peers: " + c.measuredPeerRelativeRatios.map { formatFixed($0, decimals: 3) }.joined(separator: ", ")))
        }
        lines.append("  " + (c.decision ?? verdictText(c)))
        return lines
    }

    /// Round medians in one unit for the row, in the order measured: "181.2 182.0 260.4 µs".
    static func mediansText(_ medians: [Double]) -> String {
        let typical = SampleStatistics(medians)?.median ?? 0
        let (scale, unit): (Double, String) = typical >= 1 ? (1, "s") : typical >= 1e-3 ? (1e3, "ms") : typical >= 1e-6 ? (1e6, "µs") : (1e9, "ns")
        return medians.map { formatFixed($0 * scale, decimals: 2) }.joined(separator: " ") + " " + unit
    }

    /// "regression (major)", "failed: mismatch: 3 of 4096 checked values wrong; ...", "new probe".
    static func verdictText(_ comparison: ProbeComparison) -> String {
        switch comparison.verdict {
        case .unchanged: "unchanged"
        case .improvement: "improvement"
        case .regression: "regression (\(comparison.severity?.rawValue ?? "?"))"
        case .failed:
            "failed: \(comparison.currentOutcome?.rawValue ?? "?")" + (comparison.detail.map { ": " + $0 } ?? "")
        case .missingInCurrent: "missing in current run"
        case .newProbe: "new probe (not in baseline)"
        case .baselineNotOK: "not compared: baseline run ended \(comparison.baselineOutcome?.rawValue ?? "?")"
        }
    }

    /// The counts that matter always, the rest only when not zero.
    static func countsText(_ counts: RegressionReport.Counts) -> String {
        var parts: [String] = []
        var regressions = "\(counts.regressions) regression\(counts.regressions == 1 ? "" : "s")"
        if counts.regressions > 0 {
            let tiers = [("minor", counts.minor), ("moderate", counts.moderate), ("major", counts.major), ("critical", counts.critical)]
            regressions += " [" + tiers.filter { $0.1 > 0 }.map { "\($0.1) \($0.0)" }.joined(separator: ", ") + "]"
        }
        parts.append(regressions)
        parts.append("\(counts.improvements) improvement\(counts.improvements == 1 ? "" : "s")")
        parts.append("\(counts.unchanged) unchanged")
        parts.append("\(counts.failed) failed")
        if counts.newProbes > 0 { parts.append("\(counts.newProbes) new") }
        if counts.missingInCurrent > 0 { parts.append("\(counts.missingInCurrent) missing in current") }
        if counts.baselineNotOK > 0 { parts.append("\(counts.baselineNotOK) not ok in baseline") }
        return parts.joined(separator: ", ")
    }
}

/// p-values: four decimals down to 0.001, then scientific ("3.2e-12"), "<1e-300" below what the
/// normal tail in double precision resolves.
public func formatPValue(_ p: Double) -> String {
    if p >= 0.001 { return formatFixed(p, decimals: 4) }
    if p < 1e-300 { return "<1e-300" }
    var exponent = Int(log10(p).rounded(.down))
    var mantissa = formatFixed(p / pow(10, Double(exponent)), decimals: 1)
    if mantissa == "10.0" {
        exponent += 1
        mantissa = "1.0"
    }
    return "\(mantissa)e\(exponent)"
}

/// Short decimal text of a setting: "0.01", "10", "2.5".
public func formatNumber(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
    return "\(value)"
}
