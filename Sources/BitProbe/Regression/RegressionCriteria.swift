/// When a difference between baseline and current timings counts (docs/regression.md).
///
/// A probe regressed only when all three hold, in its first measurement and in every confirmation: the Mann-Whitney p-value is below `alpha`, the
/// median ratio (current / baseline) exceeds 1 + `thresholdPercent` / 100, and the lower bound of
/// the bootstrap confidence interval of that ratio exceeds 1. Improvements mirror it with the
/// speedup baseline / current. Significance alone is not enough: with hundreds of samples the test
/// flags differences of a fraction of a percent, which on a shared machine are noise, not news.
public struct RegressionCriteria: Codable, Equatable, Sendable {
    /// Significance level of the Mann-Whitney U test.
    public var alpha: Double = 0.01
    /// Smallest slowdown (or speedup) reported, in percent.
    public var thresholdPercent: Double = 10
    /// Slowdown from which a regression is critical, in percent (100 = twice as slow).
    public var criticalThresholdPercent: Double = 100
    /// Bootstrap resamples for the confidence interval of the median ratio.
    public var resamples: Int = 2000
    /// Coverage of that interval.
    public var confidence: Double = 0.95
    /// Seed of the bootstrap; each probe derives its own stream from it and its spec.
    public var seed: UInt64 = 0xB007_5742
    /// Further measurements a regression must survive (`RegressionAnalysis.confirm`). Three, after
    /// pauses of 10, 20 and 30 s: with two (a span of about 35 s) 1 to 2 unchanged runs in 20 failed
    /// on spells of load that lasted through every measurement (docs/regression.md).
    public var confirmations: Int = 3

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
