/// Renders a regression report as JUnit XML for CI systems (GitLab, Jenkins, GitHub test reporters):
/// one `testcase` per probe; a `failure` for a regression or a failed probe, with the numbers; a
/// `skipped` for a probe that could not be compared; the status, criteria and warnings as suite
/// `properties`, warnings also in `system-err`, where most viewers show them.
public enum JUnitReport {
    public static func xml(_ report: RegressionReport) -> String {
        let failures = report.comparisons.filter { $0.verdict == .regression || $0.verdict == .failed }.count
        let skipped = report.comparisons.filter { [.missingInCurrent, .newProbe, .baselineNotOK].contains($0.verdict) }.count
        let time = report.comparisons.reduce(0.0) { $0 + ($1.currentWallSeconds ?? 0) }
        let suiteName = "bitprobe regress vs baseline '\(report.baseline.name)'"
        let counts =
            "tests=\"\(report.comparisons.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"\(skipped)\" time=\"\(formatFixed(time, decimals: 3))\""

        var lines = [
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<testsuites name=\"bitprobe regress\" \(counts)>",
            "  <testsuite name=\"\(Markup.escape(suiteName))\" \(counts)>",
            "    <properties>",
        ]
        var properties = [
            ("status", report.status.rawValue),
            ("baseline", report.baseline.name),
            ("baseline_environment", report.baseline.fingerprint.summary),
            ("current_environment", report.current.summary),
            ("alpha", formatNumber(report.criteria.alpha)),
            ("threshold_percent", formatNumber(report.criteria.thresholdPercent)),
            ("critical_threshold_percent", formatNumber(report.criteria.criticalThresholdPercent)),
            ("confirmations", String(report.criteria.confirmations)),
        ]
        if let injection = report.faultInjection { properties.append(("fault_injection", injection.description)) }
        properties += report.warnings.map { ("warning", $0) }
        for (name, value) in properties {
            lines.append("      <property name=\"\(Markup.escape(name))\" value=\"\(Markup.escape(value))\"/>")
        }
        lines.append("    </properties>")

        for comparison in report.comparisons {
            let spec = comparison.spec
            let open =
                "    <testcase classname=\"bitprobe.\(Markup.escape(spec.backend.rawValue)).\(Markup.escape(spec.device))\" name=\"\(Markup.escape("\(spec.op.rawValue) \(spec.dtype.rawValue) \(spec.shape)"))\" time=\"\(formatFixed(comparison.currentWallSeconds ?? 0, decimals: 3))\""
            switch comparison.verdict {
            case .unchanged, .improvement:
                lines.append(open + "/>")
            case .regression:
                let severity = comparison.severity?.rawValue ?? "?"
                let message = "\(severity) regression: \(ratioText(comparison, criteria: report.criteria))"
                lines.append(open + ">")
                lines.append(
                    "      <failure message=\"\(Markup.escape(message))\" type=\"regression.\(severity)\">\(Markup.escape(numbers(comparison)))</failure>")
                lines.append("    </testcase>")
            case .failed:
                let outcome = comparison.currentOutcome?.rawValue ?? "?"
                let message = "probe ended \(outcome)" + (comparison.detail.map { ": " + $0 } ?? "")
                lines.append(open + ">")
                lines.append("      <failure message=\"\(Markup.escape(message))\" type=\"probe.\(outcome)\">\(Markup.escape(message))</failure>")
                lines.append("    </testcase>")
            case .missingInCurrent, .newProbe, .baselineNotOK:
                lines.append(open + ">")
                lines.append("      <skipped message=\"\(Markup.escape(RegressionTable.verdictText(comparison)))\"/>")
                lines.append("    </testcase>")
            }
        }
        if !report.warnings.isEmpty {
            lines.append("    <system-err>\(Markup.escape(report.warnings.map { "WARNING: " + $0 }.joined(separator: "\n")))</system-err>")
        }
        lines.append("  </testsuite>")
        lines.append("</testsuites>")
        return lines.joined(separator: "\n") + "\n"
    }

    /// "1.162x slower (99% CI 1.150-1.171, p 3.2e-12)"
    static func ratioText(_ c: ProbeComparison, criteria: RegressionCriteria) -> String {
        let ratio = c.medianRatio.map { formatFixed($0, decimals: 3) + "x slower" } ?? "?"
        let confidence = formatNumber((1 - criteria.alpha) * 100) + "%"
        let interval = c.medianRatioInterval.map { "\(confidence) CI \(formatFixed($0.lower, decimals: 3))-\(formatFixed($0.upper, decimals: 3))" } ?? "no CI"
        let p = c.mannWhitney.map { "p \(formatPValue($0.pValue))" } ?? "no p"
        return "\(ratio) (\(interval), \(p))"
    }

    /// The failure text: what an engineer needs to see why, without rerunning.
    static func numbers(_ c: ProbeComparison) -> String {
        [
            c.decision ?? RegressionTable.verdictText(c),
            "baseline round medians (s): \(c.baselineRoundMedians.map { $0.map { "\($0)" }.joined(separator: ", ") } ?? "-") (\(c.baselineSamples ?? 0) samples)",
            "current round medians (s): \(c.currentRoundMedians.map { $0.map { "\($0)" }.joined(separator: ", ") } ?? "-") (\(c.currentSamples ?? 0) samples)",
            "ratio of round medians (current/baseline): \(c.medianRatio.map { "\($0)" } ?? "-")",
            "interval of the ratio: \(c.medianRatioInterval.map { "\($0.lower) - \($0.upper)" } ?? "-")",
            "Mann-Whitney U of the round medians: \(c.mannWhitney.map { "\($0.u1)" } ?? "-"), p = \(c.mannWhitney.map { "\($0.pValue)" } ?? "-")",
            "ratio of each measurement: \(c.measuredRatios.map { "\($0)" }.joined(separator: ", "))",
            "against its peers: \(c.peerRelativeRatio.map { "\($0)" } ?? "-"), interval \(c.peerRelativeInterval.map { "\($0.lower) - \($0.upper)" } ?? "-"), peers' speed per round: \(c.currentPeerFactors.map { $0.map { "\($0)" }.joined(separator: ", ") } ?? "-")",
        ].joined(separator: "\n")
    }
}
