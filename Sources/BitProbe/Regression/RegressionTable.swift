#if canImport(Glibc)
import Glibc
#endif

/// Renders a regression report as text for people: context, warnings, one row per probe, status.
public enum RegressionTable {
    static let headers = ["DEVICE", "OP", "DTYPE", "SHAPE", "BASELINE", "CURRENT", "RATIO", "95% CI", "P", "VERDICT"]

    public static func text(_ report: RegressionReport) -> String {
        let criteria = report.criteria
        var lines = [
            "baseline '\(report.baseline.name)' (created \(UTCTime.format(report.baseline.createdAt)); \(report.baseline.fingerprint.summary))",
            "current: \(report.current.summary)",
            "criteria: Mann-Whitney p < \(formatNumber(criteria.alpha)), median ratio beyond \(formatNumber(criteria.thresholdPercent))% "
                + "and its \(formatNumber(criteria.confidence * 100))% bootstrap interval (\(criteria.resamples) resamples) excluding 1"
                + (criteria.confirmations > 0 ? ", in every one of up to \(criteria.confirmations + 1) measurements" : "")
                + "; critical from \(formatNumber(criteria.criticalThresholdPercent))%",
        ]
        lines += report.warnings.map { "WARNING: " + $0 }
        lines.append("")
        let rows = report.comparisons.map { c -> [String] in
            [
                c.spec.device, c.spec.op.rawValue, c.spec.dtype.rawValue, c.spec.shape.description,
                c.baselineMedianSeconds.map(formatDuration) ?? "-",
                c.currentMedianSeconds.map(formatDuration) ?? "-",
                c.medianRatio.map { formatFixed($0, decimals: 3) + "x" } ?? "-",
                c.medianRatioInterval.map { formatFixed($0.lower, decimals: 3) + "-" + formatFixed($0.upper, decimals: 3) } ?? "-",
                c.mannWhitney.map { formatPValue($0.pValue) } ?? "-",
                verdictText(c),
            ]
        }
        let all = [headers] + rows
        lines += alignedColumns(all)
        lines.append("")
        lines.append("status: \(report.status.rawValue) (\(countsText(report.counts)))")
        return lines.joined(separator: "\n") + "\n"
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
func formatNumber(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
    return "\(value)"
}
