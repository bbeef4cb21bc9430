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
    /// How fast the machine as a whole ran in each current round against the baseline
    /// (`PeerFactors`); absent when the probe had too few peers.
    public var currentPeerFactors: [Double]?
    /// The ratio of the round medians divided by their round's peer factor, and its interval: the
    /// probe against its peers.
    public var peerRelativeRatio: Double?
    public var peerRelativeInterval: RatioInterval?
    /// Wall time of the current runs of the probe, confirmations included, seconds.
    public var currentWallSeconds: Double?
    /// The ratio of each measurement on its own: the first run's, then each confirmation's
    /// (`RegressionAnalysis.confirm`); one entry when nothing needed confirming.
    public var measuredRatios: [Double] = []
    /// The same against the peers, where the probe had them.
    public var measuredPeerRelativeRatios: [Double] = []

    public init(spec: ProbeSpec, verdict: Verdict) {
        self.spec = spec
        self.verdict = verdict
    }
}

/// Matches current probe results with a baseline's by spec and applies `RegressionCriteria` to
/// their round medians, plainly and against the probe's peers (`PeerFactors`).
public enum RegressionAnalysis {
    /// Comparisons in the current run's order, then the baseline probes the current run lacks.
    public static func compare(baseline: [ProbeResult], current: [ProbeResult], criteria: RegressionCriteria) -> [ProbeComparison] {
        var baselineBySpec: [ProbeSpec: ProbeResult] = [:]
        for result in baseline { baselineBySpec[result.spec] = result }
        let peers = PeerFactors(baseline: baselineBySpec, current: current)
        let currentSpecs = Set(current.map(\.spec))
        var comparisons = current.map { result in
            compare(
                baseline: baselineBySpec[result.spec], current: result,
                peerFactors: peers.factors(for: result.spec, rounds: result.roundMedians.count), criteria: criteria)
        }
        for result in baseline where !currentSpecs.contains(result.spec) {
            var comparison = ProbeComparison(spec: result.spec, verdict: .missingInCurrent)
            record(result, in: &comparison)
            comparisons.append(comparison)
        }
        return comparisons
    }

    /// One probe, one measurement: a regression when the lower bound of either reading's interval
    /// (plain, or against the peers) clears the limit.
    static func compare(
        baseline: ProbeResult?, current: ProbeResult, peerFactors: [Double]? = nil,
        criteria: RegressionCriteria
    ) -> ProbeComparison {
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
        comparison.currentSamples = sampleCount(current)
        comparison.currentRoundMedians = current.roundMedians
        comparison.currentMedianSeconds = SampleStatistics(current.roundMedians)?.median
        comparison.currentPeerFactors = peerFactors
        guard let baseline else {
            comparison.verdict = .newProbe
            return comparison
        }
        record(baseline, in: &comparison)
        guard baseline.outcome == .ok, let readings = readings(of: comparison, against: baseline, criteria: criteria) else {
            comparison.verdict = .baselineNotOK
            return comparison
        }
        judge(readings, in: &comparison, criteria: criteria)
        comparison.measuredRatios = [readings.plain.ratio]
        comparison.measuredPeerRelativeRatios = readings.relative.map { [$0.ratio] } ?? []
        return comparison
    }

    /// The plain and the peer-relative reading of a comparison's current rounds against `baseline`.
    typealias Readings = (plain: RoundRatio, relative: RoundRatio?)

    static func readings(of comparison: ProbeComparison, against baseline: ProbeResult, criteria: RegressionCriteria) -> Readings? {
        readings(current: comparison.currentRoundMedians ?? [], factors: comparison.currentPeerFactors, against: baseline, criteria: criteria)
    }

    static func readings(current: [Double], factors: [Double]?, against baseline: ProbeResult, criteria: RegressionCriteria) -> Readings? {
        guard let plain = RoundRatio(current: current, baseline: baseline.roundMedians, alpha: criteria.alpha) else { return nil }
        guard let factors, factors.count == current.count else { return (plain, nil) }
        let relative = RoundRatio(current: zip(current, factors).map { $0 / $1 }, baseline: baseline.roundMedians, alpha: criteria.alpha)
        return (plain, relative)
    }

    /// Sets ratios, intervals, test, verdict, severity and decision from `readings`, for a single
    /// measurement (or all of them pooled, after confirmations).
    static func judge(_ readings: Readings, in comparison: inout ProbeComparison, criteria: RegressionCriteria) {
        let (plain, relative) = readings
        comparison.medianRatio = plain.ratio
        comparison.medianRatioInterval = plain.interval
        comparison.mannWhitney = plain.test
        comparison.peerRelativeRatio = relative?.ratio
        comparison.peerRelativeInterval = relative?.interval
        comparison.severity = nil
        let rounds = "\(comparison.currentRoundMedians?.count ?? 0) current and \(comparison.baselineRoundMedians?.count ?? 0) baseline rounds"
        let confidence = formatNumber((1 - criteria.alpha) * 100) + "%"
        guard let interval = plain.interval else {
            comparison.verdict = .unchanged
            comparison.decision = "unchanged: \(rounds) are too few for a \(confidence) interval; measure more rounds (--rounds)"
            return
        }
        let limit = criteria.limit
        var stated = "ratio \(formatFixed(plain.ratio, decimals: 3)), \(confidence) interval \(formatInterval(interval)) over \(rounds)"
        if let relative, let relativeInterval = relative.interval, let factors = comparison.currentPeerFactors,
            let machine = SampleStatistics(factors)?.median
        {
            stated +=
                "; against its peers (which ran at \(formatFixed(machine, decimals: 3)) of their baselines) \(formatFixed(relative.ratio, decimals: 3)), "
                + "interval \(formatInterval(relativeInterval))"
        }
        let clearing = [(plain, ""), (relative, " against its peers")].compactMap { reading, name -> (RoundRatio, String)? in
            guard let reading, let lower = reading.interval?.lower, lower > limit else { return nil }
            return (reading, name)
        }
        if let (worst, name) = clearing.max(by: { $0.0.ratio < $1.0.ratio }) {
            comparison.verdict = .regression
            comparison.severity = .classify(slowdownPercent: (worst.ratio - 1) * 100, criticalThresholdPercent: criteria.criticalThresholdPercent)
            comparison.decision = "regression: \(stated); the lower bound\(name) is above \(formatFixed(limit, decimals: 3))"
        } else if interval.upper < 1 / limit {
            comparison.verdict = .improvement
            comparison.decision = "improvement: \(stated); its upper bound is below 1/\(formatFixed(limit, decimals: 3))"
        } else if max(plain.ratio, relative?.ratio ?? 0) > limit {
            comparison.verdict = .unchanged
            comparison.decision = "unchanged: \(stated); slower than \(formatFixed(limit, decimals: 3)) but not with \(confidence) confidence"
        } else {
            comparison.verdict = .unchanged
            comparison.decision = "unchanged: \(stated)"
        }
    }

    /// A first measurement worth confirming: a reading beyond the limit and significantly above 1.
    static func isSuspect(_ comparison: ProbeComparison, criteria: RegressionCriteria) -> Bool {
        guard comparison.verdict == .regression || comparison.verdict == .unchanged else { return false }
        let readings = [(comparison.medianRatio, comparison.medianRatioInterval), (comparison.peerRelativeRatio, comparison.peerRelativeInterval)]
        return readings.contains { ratio, interval in
            guard let ratio, let interval else { return false }
            return ratio > criteria.limit && interval.lower > 1
        }
    }

    /// Measures again, up to `criteria.confirmations` times, the probes whose first measurement
    /// reads beyond the limit and significantly above 1 (with up to 4 peers each, for their peer
    /// factors), and decides them on every round measured. A spell of load on a shared machine can
    /// outlast one measurement, but rarely several with pauses between them, while a real slowdown
    /// shows every time: a suspect whose own readings in a confirmation are both back within half
    /// the threshold (`clearingLimit`) is cleared at once. One that is not is judged on all its
    /// current rounds together (`judge`): a regression when an interval's lower bound clears the
    /// limit. A probe that fails while being confirmed is a failure.
    ///
    /// `measure` runs the given probes (in rounds) and returns one result per spec, in order.
    public static func confirm(
        _ comparisons: [ProbeComparison], baseline: [ProbeResult], criteria: RegressionCriteria,
        measure: ([ProbeSpec]) throws -> [ProbeResult]
    ) rethrows -> [ProbeComparison] {
        guard criteria.confirmations > 0 else { return comparisons }
        var baselineBySpec: [ProbeSpec: ProbeResult] = [:]
        for result in baseline { baselineBySpec[result.spec] = result }
        var confirmed = comparisons
        var pending = confirmed.indices.filter { isSuspect(confirmed[$0], criteria: criteria) }
        for attempt in 1...criteria.confirmations {
            guard !pending.isEmpty else { break }
            let suspects = pending.map { confirmed[$0].spec }
            let results = try measure(suspects + PeerFactors.peersToMeasure(for: suspects, among: comparisons))
            // Factors from the peers alone: another suspect may be slowed for real.
            let peers = PeerFactors(baseline: baselineBySpec, current: Array(results.dropFirst(suspects.count)))
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
                let factors = peers.factors(for: result.spec, rounds: result.roundMedians.count)
                guard let reference = baselineBySpec[result.spec],
                    let own = readings(current: result.roundMedians, factors: factors, against: reference, criteria: criteria)
                else {
                    confirmed[index] = comparison
                    continue
                }
                comparison.measuredRatios.append(own.plain.ratio)
                if let relative = own.relative { comparison.measuredPeerRelativeRatios.append(relative.ratio) }
                // Peer factors are kept only while every measurement had them.
                if let previous = comparison.currentPeerFactors, let factors {
                    comparison.currentPeerFactors = previous + factors
                } else {
                    comparison.currentPeerFactors = nil
                }
                comparison.currentRoundMedians = (comparison.currentRoundMedians ?? []) + result.roundMedians
                comparison.currentSamples = (comparison.currentSamples ?? 0) + sampleCount(result)
                comparison.currentMedianSeconds = SampleStatistics(comparison.currentRoundMedians!)?.median
                if let pooled = readings(of: comparison, against: reference, criteria: criteria) {
                    judge(pooled, in: &comparison, criteria: criteria)
                }
                let ownReading = max(own.plain.ratio, own.relative?.ratio ?? 0)
                if ownReading <= criteria.clearingLimit {
                    comparison.verdict = .unchanged
                    comparison.severity = nil
                    comparison.decision =
                        "unchanged: cleared by confirmation \(attempt), which read \(formatFixed(ownReading, decimals: 3)), "
                        + "within half the threshold (\(formatFixed(criteria.clearingLimit, decimals: 3))); measurements: \(ratiosText(comparison.measuredRatios))"
                } else if attempt < criteria.confirmations {
                    stillPending.append(index)
                } else if let decision = comparison.decision {
                    comparison.decision =
                        decision + "; measurements: \(ratiosText(comparison.measuredRatios))"
                        + (comparison.measuredPeerRelativeRatios.isEmpty ? "" : " (against peers: \(ratiosText(comparison.measuredPeerRelativeRatios)))")
                }
                confirmed[index] = comparison
            }
            pending = stillPending
        }
        return confirmed
    }

    private static func sampleCount(_ result: ProbeResult) -> Int {
        result.rounds.map { $0.reduce(0) { $0 + $1.sampleCount } } ?? result.samples.count
    }

    private static func record(_ baseline: ProbeResult, in comparison: inout ProbeComparison) {
        comparison.baselineOutcome = baseline.outcome
        guard baseline.outcome == .ok else { return }
        comparison.baselineSamples = sampleCount(baseline)
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
