#if canImport(Glibc)
import Glibc
#endif

/// The two-sided Mann-Whitney U test (Wilcoxon rank-sum) of two independent samples.
///
/// It asks whether a value drawn from one sample tends to be larger than one from the other,
/// without assuming a distribution: probe timings are skewed with long right tails, where a t-test's
/// normality assumption fails. Ties get midranks.
///
/// The p-value is exact (the null distribution of U counted over all orderings) when there are no
/// ties and neither sample has more than `exactLimit` values, or one has at most
/// `exactSmallSampleLimit` and the other at most `exactLargeSampleLimit`; otherwise it is the normal approximation
/// with tie correction and continuity correction. Both agree with `scipy.stats.mannwhitneyu(x, y,
/// alternative="two-sided")` with `method="exact"` and `method="asymptotic"` respectively.
///
/// ```swift
/// let test = MannWhitneyU([1.0, 2, 3], [4.0, 5, 6])!
/// // test.u1 == 0, test.pValue == 0.1 (exact)
/// ```
public struct MannWhitneyU: Codable, Equatable, Sendable {
    public enum Method: String, Codable, Sendable {
        case exact
        case asymptotic
    }

    /// Samples up to this size without ties get the exact p-value.
    public static let exactLimit = 20
    /// A small sample against a larger one gets it too: the agent's rolling rule compares 4 cycle
    /// medians with 60, where the normal approximation cannot even reach p < 0.001 (z tops out
    /// near 3.4), while the exact distribution costs m·n·(m·n) additions (about 60,000 here).
    public static let exactSmallSampleLimit = 8
    public static let exactLargeSampleLimit = 200

    static func exactIsAffordable(_ m: Int, _ n: Int) -> Bool {
        (m <= exactLimit && n <= exactLimit) || (min(m, n) <= exactSmallSampleLimit && max(m, n) <= exactLargeSampleLimit)
    }

    /// U of the first sample: the pairs (x, y) with x > y, a tie counting one half.
    public var u1: Double
    /// U of the second sample; u1 + u2 = n1 · n2.
    public var u2: Double
    /// Two-sided p-value.
    public var pValue: Double
    public var method: Method

    /// nil when either sample is empty.
    public init?(_ x: [Double], _ y: [Double]) {
        guard !x.isEmpty, !y.isEmpty else { return nil }
        let n1 = Double(x.count)
        let n2 = Double(y.count)
        let (ranks, tieTerm) = Self.midranks(x + y)
        var rankSum = 0.0
        for i in 0..<x.count { rankSum += ranks[i] }
        u1 = rankSum - n1 * (n1 + 1) / 2
        u2 = n1 * n2 - u1
        let u = max(u1, u2)
        if tieTerm == 0, Self.exactIsAffordable(x.count, y.count) {
            method = .exact
            pValue = min(1, 2 * Self.exactUpperTail(u: Int(u), m: x.count, n: y.count))
        } else {
            method = .asymptotic
            let n = n1 + n2
            let variance = n1 * n2 / 12 * ((n + 1) - tieTerm / (n * (n - 1)))
            if variance > 0 {
                let z = (u - n1 * n2 / 2 - 0.5) / variance.squareRoot()
                pValue = min(1, max(0, erfc(z / 2.0.squareRoot())))
            } else {
                // Every value equal: nothing tells the samples apart.
                pValue = 1
            }
        }
    }

    /// Midranks (1-based) of `values` in their original order, and Σ (t³ - t) over groups of t ties.
    static func midranks(_ values: [Double]) -> (ranks: [Double], tieTerm: Double) {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var tieTerm = 0.0
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count, values[order[end]] == values[order[start]] { end += 1 }
            let rank = Double(start + end + 1) / 2
            for i in start..<end { ranks[order[i]] = rank }
            let t = Double(end - start)
            tieTerm += t * t * t - t
            start = end
        }
        return (ranks, tieTerm)
    }

    /// P(U >= u) under the null hypothesis for samples of sizes m and n without ties.
    static func exactUpperTail(u: Int, m: Int, n: Int) -> Double {
        let distribution = exactDistribution(m: m, n: n)
        var tail = 0.0
        for k in max(0, u)..<distribution.count { tail += distribution[k] }
        return tail
    }

    /// P(U = k) for k = 0 ... m·n under the null hypothesis, for samples of sizes m and n without
    /// ties. The number of orderings with U = k obeys c(k; m, n) = c(k - n; m - 1, n) + c(k; m, n - 1):
    /// the largest value belongs either to the first sample (beating all n of the second) or to the second.
    static func exactDistribution(m: Int, n: Int) -> [Double] {
        // counts[j][k]: orderings of i first-sample and j second-sample values with U = k, for the
        // current i; Double holds C(40, 20) and every partial count exactly, and larger counts to
        // 16 significant digits (additions only, so no cancellation).
        var counts = [[Double]](repeating: [1], count: n + 1)
        if m > 0 {
            for i in 1...m {
                var next = [[Double]](repeating: [], count: n + 1)
                for j in 0...n {
                    var row = [Double](repeating: 0, count: i * j + 1)
                    for k in 0...(i * j) {
                        if k >= j, k - j < counts[j].count { row[k] += counts[j][k - j] }
                        if j > 0, k < next[j - 1].count { row[k] += next[j - 1][k] }
                    }
                    next[j] = row
                }
                counts = next
            }
        }
        let total = counts[n].reduce(0, +)
        return counts[n].map { $0 / total }
    }
}
