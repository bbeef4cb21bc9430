/// One probe's baseline and current runs side by side, and what the criteria make of them.
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
    public var baselineOutcome: ProbeOutcome?
    public var currentOutcome: ProbeOutcome?
    /// Why the current run did not end `ok`.
    public var detail: String?
    public var baselineSamples: Int?
    public var currentSamples: Int?
    public var baselineMedianSeconds: Double?
    public var currentMedianSeconds: Double?
    /// Current median / baseline median: above 1 is slower.
    public var medianRatio: Double?
    /// Bootstrap confidence interval of `medianRatio`.
    public var medianRatioInterval: MedianRatioBootstrap.Interval?
    public var mannWhitney: MannWhitneyU?
    /// Wall time of the current runs of the probe, confirmations included, seconds.
    public var currentWallSeconds: Double?
    /// The median ratio of every measurement made, the first run's and then each confirmation's
    /// (`RegressionAnalysis.confirm`); one entry when nothing needed confirming.
    public var measuredRatios: [Double] = []

    public init(spec: ProbeSpec, verdict: Verdict) {
        self.spec = spec
        self.verdict = verdict
    }
}

/// Matches current probe results with a baseline's by spec and applies `RegressionCriteria`.
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
            comparison.baselineOutcome = result.outcome
            comparison.baselineSamples = result.samples.count
            comparison.baselineMedianSeconds = result.statistics?.median
            comparisons.append(comparison)
        }
        return comparisons
    }

    static func compare(baseline: ProbeResult?, current: ProbeResult, criteria: RegressionCriteria) -> ProbeComparison {
        var comparison = ProbeComparison(spec: current.spec, verdict: .unchanged)
        comparison.currentOutcome = current.outcome
        comparison.currentSamples = current.samples.count
        comparison.currentMedianSeconds = current.statistics?.median
        comparison.currentWallSeconds = current.wallSeconds
        comparison.detail = current.detail
        guard current.outcome == .ok else {
            comparison.verdict = .failed
            if let baseline { record(baseline, in: &comparison) }
            return comparison
        }
        guard let baseline else {
            comparison.verdict = .newProbe
            return comparison
        }
        record(baseline, in: &comparison)
        guard baseline.outcome == .ok, let baselineMedian = baseline.statistics?.median, baselineMedian > 0,
              let currentMedian = current.statistics?.median,
              let test = MannWhitneyU(current.samples, baseline.samples),
              // A stream per probe, so one probe's interval does not depend on which others ran.
              let interval = MedianRatioBootstrap.interval(
                  current: current.samples, baseline: baseline.samples, resamples: criteria.resamples,
                  confidence: criteria.confidence, seed: Benchmarker.probeSeed(base: criteria.seed, spec: current.spec))
        else {
            comparison.verdict = .baselineNotOK
            return comparison
        }
        let ratio = currentMedian / baselineMedian
        comparison.medianRatio = ratio
        comparison.measuredRatios = [ratio]
        comparison.medianRatioInterval = interval
        comparison.mannWhitney = test

        let significant = test.pValue < criteria.alpha
        let limit = 1 + criteria.thresholdPercent / 100
        if significant, ratio > limit, interval.lower > 1 {
            comparison.verdict = .regression
            comparison.severity = .classify(slowdownPercent: (ratio - 1) * 100, criticalThresholdPercent: criteria.criticalThresholdPercent)
        } else if significant, 1 / ratio > limit, interval.upper < 1 {
            comparison.verdict = .improvement
        }
        return comparison
    }

    /// Measures again the probes that look regressed, up to `criteria.confirmations` times, and keeps a
    /// regression only if every measurement shows it. A spell of load on a shared machine can outlast
    /// all rounds of one run, but rarely several runs with pauses between them, while a real slowdown
    /// shows every time. A confirmed regression reports its mildest measurement (lowest ratio, so the
    /// severity is not overstated); one that did not persist reports the measurement that cleared it,
    /// and a probe that fails while being confirmed is a failure.
    ///
    /// `measure` runs the given probes and returns one result per spec, in order.
    public static func confirm(_ comparisons: [ProbeComparison], baseline: [ProbeResult], criteria: RegressionCriteria,
                               measure: ([ProbeSpec]) throws -> [ProbeResult]) rethrows -> [ProbeComparison] {
        var baselineBySpec: [ProbeSpec: ProbeResult] = [:]
        for result in baseline { baselineBySpec[result.spec] = result }
        var confirmed = comparisons
        for _ in 0..<criteria.confirmations {
            let pending = confirmed.indices.filter { confirmed[$0].verdict == .regression }
            guard !pending.isEmpty else { break }
            let results = try measure(pending.map { confirmed[$0].spec })
            for (index, result) in zip(pending, results) {
                let previous = confirmed[index]
                var again = compare(baseline: baselineBySpec[result.spec], current: result, criteria: criteria)
                again.measuredRatios = previous.measuredRatios + again.measuredRatios
                again.currentWallSeconds = (previous.currentWallSeconds ?? 0) + (again.currentWallSeconds ?? 0)
                if again.verdict == .regression, let before = previous.medianRatio, let now = again.medianRatio, before < now {
                    var mildest = previous
                    mildest.measuredRatios = again.measuredRatios
                    mildest.currentWallSeconds = again.currentWallSeconds
                    confirmed[index] = mildest
                } else {
                    confirmed[index] = again
                }
            }
        }
        return confirmed
    }

    private static func record(_ baseline: ProbeResult, in comparison: inout ProbeComparison) {
        comparison.baselineOutcome = baseline.outcome
        comparison.baselineSamples = baseline.samples.count
        comparison.baselineMedianSeconds = baseline.statistics?.median
    }
}
