/// When a difference between baseline and current round medians counts (docs/regression.md).
///
/// Each side is a set of round medians (`RoundRatio`). With L = 1 + `thresholdPercent` / 100, a
/// probe regressed when the lower bound of the (1 - `alpha`) interval of its ratio, over every
/// current round, exceeds L: the slowdown is beyond the threshold with that confidence, not just
/// beyond 1. With `confirmations`, a probe whose first measurement reads above L (and significantly
/// above 1) is measured again that many times, after pauses; one that reads back within half the
/// threshold (`clearingLimit`) is cleared, and the others are decided by the interval over all their
/// current rounds. Improvements mirror it: the interval's upper bound below 1 / L.
public struct RegressionCriteria: Codable, Equatable, Sendable {
    /// 1 - the confidence of the ratio's interval (two-sided).
    public var alpha: Double = 0.01
    /// Smallest slowdown (or speedup) reported, in percent.
    public var thresholdPercent: Double = 10
    /// Slowdown from which a regression is critical, in percent (100 = twice as slow).
    public var criticalThresholdPercent: Double = 100
    /// Further measurements a suspect must survive (`RegressionAnalysis.confirm`). Three, after
    /// pauses of 10, 20 and 30 s: spells of load from elsewhere lasted up to about 35 s on the
    /// development VMs (docs/regression.md).
    public var confirmations: Int = 3

    /// The ratio a slowdown must exceed: 1 + threshold / 100.
    public var limit: Double { 1 + thresholdPercent / 100 }

    /// A confirmation at or below this ratio, 1 + threshold / 200, clears a suspect: the probe is
    /// back within half the threshold of its baseline, as a probe is when a spell of load ends.
    /// Not the limit itself: the whole machine's level wanders by a few percent between runs (0.94-1.02
    /// in unchanged runs on the Zen 5 development VM), so a real 1.15x slowdown can read 1.10 in one measurement.
    public var clearingLimit: Double { 1 + thresholdPercent / 200 }

    public init() {}

    /// The problems with the settings `bitprobe regress` takes as flags, each naming its flag.
    /// (`resamples` and `confidence` are library settings; out-of-range values there are programmer errors.)
    public func validationErrors() -> [String] {
        var errors: [String] = []
        if !(alpha > 0 && alpha < 1) { errors.append("--alpha must be between 0 and 1, exclusive (got \(alpha))") }
        if !(thresholdPercent > 0) || !thresholdPercent.isFinite {
            errors.append("--threshold must be a finite percentage > 0 (got \(thresholdPercent))")
        }
        if !(criticalThresholdPercent > thresholdPercent) || !criticalThresholdPercent.isFinite {
            errors.append("--critical-threshold must be a finite percentage above --threshold (got \(criticalThresholdPercent), threshold \(thresholdPercent))")
        }
        if confirmations < 0 { errors.append("--confirm must be at least 0 (got \(confirmations))") }
        return errors
    }
}

/// How much slower a regressed probe got. The tiers by slowdown s = median ratio - 1:
/// minor: threshold <= s < 25 %; moderate: 25 % <= s < 50 %; major: 50 % <= s < critical threshold;
/// critical: s >= critical threshold (default 100 %, twice as slow). A critical threshold at or below a
/// tier's lower bound empties that tier.
public enum RegressionSeverity: String, Codable, Sendable, Comparable, CaseIterable {
    case minor
    case moderate
    case major
    case critical

    public static func classify(slowdownPercent: Double, criticalThresholdPercent: Double) -> RegressionSeverity {
        if slowdownPercent >= criticalThresholdPercent { return .critical }
        if slowdownPercent >= 50 { return .major }
        if slowdownPercent >= 25 { return .moderate }
        return .minor
    }

    public static func < (lhs: RegressionSeverity, rhs: RegressionSeverity) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
