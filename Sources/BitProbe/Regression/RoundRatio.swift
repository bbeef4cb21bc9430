#if canImport(Glibc)
import Glibc
#endif

/// How much slower the current rounds of a probe are than its baseline rounds: the unit of evidence
/// of `bitprobe regress` (docs/regression.md, "When a probe regressed").
///
/// A round is one process measuring the probe (`RoundMeasurement`), and its median is one value:
/// processes differ in level (memory placement, the machine's load while they ran), while the
/// samples inside one process share its level and are not independent evidence. So everything here
/// works on round medians, the same way on both sides, with no selection of rounds.
///
/// The ratio is the Hodges-Lehmann estimate on the log scale: the median, over every pair of a
/// current and a baseline round, of current / baseline. Its interval is the distribution-free one
/// that inverts the Mann-Whitney test (Moses; Hollander & Wolfe, "Nonparametric Statistical
/// Methods", 3rd ed., §4.3): with D the m·n sorted log ratios and c the largest count with
/// P(U <= c) <= alpha / 2 under the null, the interval is [D(c + 1), D(m·n - c)], of coverage at
/// least 1 - alpha whatever the rounds' distribution, as long as a slowdown multiplies every round
/// alike. P(U <= c) is exact (the null distribution of U counted over all orderings) up to
/// `exactPairLimit` pairs, the normal approximation with continuity correction beyond. A
/// bootstrap was the alternative; with 5 rounds a percentile bootstrap of a median can only return
/// one of 5 values and its coverage is not known, where this one is exact.
///
/// ```swift
/// let r = RoundRatio(current: [1.16, 1.15, 1.17, 1.15, 1.16], baseline: [1.0, 1.01, 0.99, 1.0, 1.02, 1.0], alpha: 0.01)!
/// // r.ratio ≈ 1.155; r.interval!.lower > 1.1: slower by more than 10 % with 99 % confidence
/// ```
public struct RoundRatio: Equatable, Sendable {
    /// Current / baseline: above 1 is slower.
    public var ratio: Double
    /// Nil when so few rounds cannot reach the confidence at all (3 against 3 at alpha 0.01).
    public var interval: RatioInterval?
    /// The Mann-Whitney U test of the round medians, for the p-value.
    public var test: MannWhitneyU

    /// Up to this many pairs (m·n) P(U <= c) is counted exactly, at a cost of about m·n·(m·n) additions.
    public static let exactPairLimit = 2500

    /// nil when either side is empty or a round median is not positive.
    public init?(current: [Double], baseline: [Double], alpha: Double) {
        precondition(alpha > 0 && alpha < 1)
        guard !current.isEmpty, !baseline.isEmpty, current.allSatisfy({ $0 > 0 && $0.isFinite }),
            baseline.allSatisfy({ $0 > 0 && $0.isFinite }), let test = MannWhitneyU(current, baseline)
        else { return nil }
        var differences: [Double] = []
        differences.reserveCapacity(current.count * baseline.count)
        for x in current {
            for y in baseline { differences.append(log(x) - log(y)) }
        }
        differences.sort()
        self.ratio = exp(SampleStatistics.percentile(sorted: differences, 0.5))
        self.test = test
        if let c = Self.criticalCount(m: current.count, n: baseline.count, alpha: alpha) {
            interval = RatioInterval(lower: exp(differences[c]), upper: exp(differences[differences.count - 1 - c]))
        } else {
            interval = nil
        }
    }

    /// The largest c with P(U <= c) <= alpha / 2 for samples of m and n values without ties, or nil
    /// when even P(U = 0) exceeds it: then no interval of that confidence exists.
    public static func criticalCount(m: Int, n: Int, alpha: Double) -> Int? {
        precondition(m > 0 && n > 0 && alpha > 0 && alpha < 1)
        let pairs = m * n
        if pairs <= exactPairLimit {
            let distribution = MannWhitneyU.exactDistribution(m: m, n: n)
            var cumulative = 0.0
            var c = -1
            for probability in distribution {
                cumulative += probability
                // A relative tolerance, so that a tail equal to alpha / 2 (P(U = 0) = 1/20 for 3 against
                // 3 at alpha 0.1) counts as within it despite rounding in the sum.
                guard cumulative <= alpha / 2 * (1 + 1e-12) else { break }
                c += 1
            }
            return c >= 0 ? c : nil
        }
        // P(U <= c) ~ Phi((c + 0.5 - mn/2) / sigma) <= alpha / 2.
        let sigma = (Double(pairs) * Double(m + n + 1) / 12).squareRoot()
        let c = Int((Double(pairs) / 2 - 0.5 - upperNormalQuantile(alpha / 2) * sigma).rounded(.down))
        return c >= 0 ? c : nil
    }

    /// The smallest number of current rounds that can show a difference at `alpha` against `n`
    /// baseline rounds (an interval exists), up to `limit`; nil if none up to it does.
    public static func minimumRounds(baselineRounds n: Int, alpha: Double, limit: Int = 1000) -> Int? {
        (1...limit).first { criticalCount(m: $0, n: n, alpha: alpha) != nil }
    }

    /// z with P(Z > z) = p for a standard normal Z, 0 < p < 1/2, by bisection on erfc to 1e-12.
    static func upperNormalQuantile(_ p: Double) -> Double {
        var low = 0.0
        var high = 40.0
        while high - low > 1e-12 {
            let middle = (low + high) / 2
            if erfc(middle / 2.0.squareRoot()) / 2 > p { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }
}

/// A confidence interval of a ratio of timings.
public struct RatioInterval: Codable, Equatable, Sendable {
    public var lower: Double
    public var upper: Double

    public init(lower: Double, upper: Double) {
        self.lower = lower
        self.upper = upper
    }
}
