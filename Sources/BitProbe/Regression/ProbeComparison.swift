/// One probe's baseline and current rounds side by side, and what the criteria make of them.
public struct ProbeComparison: Codable, Sendable {
    public enum Verdict: String, Codable, Sendable {
        /// No difference beyond noise and the threshold.
        case unchanged
        case improvement
        case regression
        /// The current run did not end `ok` (failed, timeout, mismatch, skipped).
        case failed
        /// In the baseline, not in the current run.
        case missingInCurrent = "missing_in_current"
        /// In the current run, not in the baseline.
        case newProbe = "new_probe"
        /// The baseline's run of this probe did not end `ok`, so there is nothing to compare with.
        case baselineNotOK = "baseline_not_ok"
    }

    public var spec: ProbeSpec
    public var verdict: Verdict
    /// Set for regressions only.
    public var severity: RegressionSeverity?
    /// Why the verdict is what it is, in one sentence with the numbers that decided it.
    public var decision: String?
    public var baselineOutcome: ProbeOutcome?
    public var currentOutcome: ProbeOutcome?
    /// Why the current run did not end `ok`.
    public var detail: String?
    /// Samples over all rounds of each side.
    public var baselineSamples: Int?
    public var currentSamples: Int?
    /// Every round's median, in the order measured; the current side includes confirmations.
    public var baselineRoundMedians: [Double]?
    public var currentRoundMedians: [Double]?
    /// Median of each side's round medians.
    public var baselineMedianSeconds: Double?
    public var currentMedianSeconds: Double?
    /// Current / baseline over all rounds (`RoundRatio`): above 1 is slower.
    public var medianRatio: Double?
    /// The (1 - alpha) interval of `medianRatio`; absent when the rounds are too few for one.
    public var medianRatioInterval: RatioInterval?
    /// The Mann-Whitney U test of the round medians.
    public var mannWhitney: MannWhitneyU?
    /// Wall time of the current runs of the probe, confirmations included, seconds.
    public var currentWallSeconds: Double?
    /// The ratio of each measurement on its own: the first run's, then each confirmation's
    /// (`RegressionAnalysis.confirm`); one entry when nothing needed confirming.
    public var measuredRatios: [Double] = []

    public init(spec: ProbeSpec, verdict: Verdict) {
        self.spec = spec
        self.verdict = verdict
    }
}

/// Matches current probe results with a baseline's by spec and applies `RegressionCriteria` to
/// their round medians.
public enum RegressionAnalysis {
    /// Comparisons in the current run's order, then the baseline probes the current run lacks.
    public static func compare(baseline: [ProbeResult], current: [ProbeResult], criteria: RegressionCriteria) -> [ProbeComparison] {
        var baselineBySpec: [ProbeSpec: ProbeResult] = [:]
        for result in baseline { baselineBySpec[result.spec] = result }
        let currentSpecs = Set(current.map(\.spec))
        var comparisons = current.map { result in
            compare(baseline: baselineBySpec[result.spec], current: result, criteria: criteria)
        }
        for result in baseline where !currentSpecs.contains(result.spec) {
            var comparison = ProbeComparison(spec: result.spec, verdict: .missingInCurrent)
            record(result, in: &comparison)
            comparisons.append(comparison)
        }
        return comparisons
    }

    /// One probe, one measurement: a regression when the interval's lower bound clears the limit.
    static func compare(baseline: ProbeResult?, current: ProbeResult, criteria: RegressionCriteria) -> ProbeComparison {
        var comparison = ProbeComparison(spec: current.spec, verdict: .unchanged)
        comparison.currentOutcome = current.outcome
        comparison.currentWallSeconds = current.wallSeconds
        comparison.detail = current.detail
        guard current.outcome == .ok else {
            comparison.verdict = .failed
            comparison.decision = "failed: the current run ended \(current.outcome.rawValue)"
            if let baseline { record(baseline, in: &comparison) }
            return comparison
        }
        comparison.currentSamples = current.rounds.map { $0.reduce(0) { $0 + $1.sampleCount } } ?? current.samples.count
        comparison.currentRoundMedians = current.roundMedians
        comparison.currentMedianSeconds = SampleStatistics(current.roundMedians)?.median
        guard let baseline else {
            comparison.verdict = .newProbe
            return comparison
        }
        record(baseline, in: &comparison)
        guard baseline.outcome == .ok, let ratio = RoundRatio(current: current.roundMedians, baseline: baseline.roundMedians, alpha: criteria.alpha) else {
            comparison.verdict = .baselineNotOK
            return comparison
        }
        judge(ratio, in: &comparison, criteria: criteria)
        comparison.measuredRatios = [ratio.ratio]
        return comparison
    }

    /// Sets ratio, interval, test, verdict, severity and decision from `ratio`, for a single
    /// measurement (or all of them pooled, after confirmations).
    static func judge(_ ratio: RoundRatio, in comparison: inout ProbeComparison, criteria: RegressionCriteria) {
        comparison.medianRatio = ratio.ratio
        comparison.medianRatioInterval = ratio.interval
        comparison.mannWhitney = ratio.test
        comparison.severity = nil
        let rounds = "\(comparison.currentRoundMedians?.count ?? 0) current and \(comparison.baselineRoundMedians?.count ?? 0) baseline rounds"
        let confidence = formatNumber((1 - criteria.alpha) * 100) + "%"
        guard let interval = ratio.interval else {
            comparison.verdict = .unchanged
            comparison.decision = "unchanged: \(rounds) are too few for a \(confidence) interval; measure more rounds (--rounds)"
            return
        }
        let limit = criteria.limit
        let stated = "ratio \(formatFixed(ratio.ratio, decimals: 3)), \(confidence) interval \(formatInterval(interval)) over \(rounds)"
        if interval.lower > limit {
            comparison.verdict = .regression
            comparison.severity = .classify(slowdownPercent: (ratio.ratio - 1) * 100, criticalThresholdPercent: criteria.criticalThresholdPercent)
            comparison.decision = "regression: \(stated); its lower bound is above \(formatFixed(limit, decimals: 3))"
        } else if interval.upper < 1 / limit {
            comparison.verdict = .improvement
            comparison.decision = "improvement: \(stated); its upper bound is below 1/\(formatFixed(limit, decimals: 3))"
        } else if ratio.ratio > limit {
            comparison.verdict = .unchanged
            comparison.decision = "unchanged: \(stated); slower than \(formatFixed(limit, decimals: 3)) but not with \(confidence) confidence"
        } else {
            comparison.verdict = .unchanged
            comparison.decision = "unchanged: \(stated)"
        }
    }

    /// A first measurement worth confirming: it reads beyond the limit and significantly above 1.
    static func isSuspect(_ comparison: ProbeComparison, criteria: RegressionCriteria) -> Bool {
        guard comparison.verdict == .regression || comparison.verdict == .unchanged,
              let ratio = comparison.medianRatio, let interval = comparison.medianRatioInterval else { return false }
        return ratio > criteria.limit && interval.lower > 1
    }

    /// Measures again, up to `criteria.confirmations` times, the probes whose first measurement
    /// reads beyond the limit and significantly above 1, and decides them on every round measured.
    /// A spell of load on a shared machine can outlast one measurement, but rarely several with
    /// pauses between them, while a real slowdown shows every time: a suspect whose own ratio in a
    /// confirmation is within the limit is cleared at once. One that reads beyond it every time is
    /// judged on all its current rounds together (`judge`): a regression when the interval's lower
    /// bound clears the limit. A probe that fails while being confirmed is a failure.
    ///
    /// `measure` runs the given probes (in rounds) and returns one result per spec, in order.
    public static func confirm(_ comparisons: [ProbeComparison], baseline: [ProbeResult], criteria: RegressionCriteria,
                               measure: ([ProbeSpec]) throws -> [ProbeResult]) rethrows -> [ProbeComparison] {
        guard criteria.confirmations > 0 else { return comparisons }
        var baselineBySpec: [ProbeSpec: ProbeResult] = [:]
        for result in baseline { baselineBySpec[result.spec] = result }
        var confirmed = comparisons
        var pending = confirmed.indices.filter { isSuspect(confirmed[$0], criteria: criteria) }
        for attempt in 1...criteria.confirmations {
            guard !pending.isEmpty else { break }
            let results = try measure(pending.map { confirmed[$0].spec })
            var stillPending: [Int] = []
            for (index, result) in zip(pending, results) {
                var comparison = confirmed[index]
                comparison.currentWallSeconds = (comparison.currentWallSeconds ?? 0) + result.wallSeconds
                guard result.outcome == .ok else {
                    comparison.verdict = .failed
                    comparison.severity = nil
                    comparison.currentOutcome = result.outcome
                    comparison.detail = result.detail
                    comparison.decision = "failed: confirmation \(attempt) ended \(result.outcome.rawValue)"
                    confirmed[index] = comparison
                    continue
                }
                // The first measurement compared against this baseline result, so both exist here.
                guard let reference = baselineBySpec[result.spec],
                      let own = RoundRatio(current: result.roundMedians, baseline: reference.roundMedians, alpha: criteria.alpha) else {
                    confirmed[index] = comparison
                    continue
                }
                comparison.measuredRatios.append(own.ratio)
                comparison.currentRoundMedians = (comparison.currentRoundMedians ?? []) + result.roundMedians
                comparison.currentSamples = (comparison.currentSamples ?? 0) + (result.rounds.map { $0.reduce(0) { $0 + $1.sampleCount } } ?? result.samples.count)
                comparison.currentMedianSeconds = SampleStatistics(comparison.currentRoundMedians!)?.median
                if let pooled = RoundRatio(current: comparison.currentRoundMedians!, baseline: reference.roundMedians, alpha: criteria.alpha) {
                    judge(pooled, in: &comparison, criteria: criteria)
                }
                if own.ratio <= criteria.limit {
                    comparison.verdict = .unchanged
                    comparison.severity = nil
                    comparison.decision = "unchanged: cleared by confirmation \(attempt), which read \(formatFixed(own.ratio, decimals: 3)) "
                        + "(measurements: \(ratiosText(comparison.measuredRatios)); limit \(formatFixed(criteria.limit, decimals: 3)))"
                } else if attempt < criteria.confirmations {
                    stillPending.append(index)
                } else if let decision = comparison.decision {
                    comparison.decision = decision + "; every measurement read above the limit: \(ratiosText(comparison.measuredRatios))"
                }
                confirmed[index] = comparison
            }
            pending = stillPending
        }
        return confirmed
    }

    private static func record(_ baseline: ProbeResult, in comparison: inout ProbeComparison) {
        comparison.baselineOutcome = baseline.outcome
        guard baseline.outcome == .ok else { return }
        comparison.baselineSamples = baseline.rounds.map { $0.reduce(0) { $0 + $1.sampleCount } } ?? baseline.samples.count
        comparison.baselineRoundMedians = baseline.roundMedians
        comparison.baselineMedianSeconds = SampleStatistics(baseline.roundMedians)?.median
    }

    static func formatInterval(_ interval: RatioInterval) -> String {
        formatFixed(interval.lower, decimals: 3) + "-" + formatFixed(interval.upper, decimals: 3)
    }

    static func ratiosText(_ ratios: [Double]) -> String {
        ratios.map { formatFixed($0, decimals: 3) }.joined(separator: ", ")
    }
}
