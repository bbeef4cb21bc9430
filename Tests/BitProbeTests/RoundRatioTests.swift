import Testing

@testable import BitProbe

/// Known answers from SciPy 1.17.1. Critical counts: the largest c with
/// `scipy.stats.mannwhitneyu(x, y, alternative="less", method="exact").pvalue` <= alpha / 2 for samples
/// built to have U = c (they agree with the published tables: 8 for 5 against 10 at 0.05, 23 for
/// 10 against 10). Intervals: numpy's sorted log ratios indexed by those counts, and checked by
/// duality, the two-sided exact SciPy p-value of (log current - shift) against log baseline being
/// 0.00967 just below the lower bound (outside the interval) and 0.01357 just above it.
@Suite struct RoundRatioTests {
    @Test(
        arguments: [
            (5, 10, 0.01, 4), (5, 10, 0.05, 8), (10, 10, 0.05, 23), (5, 20, 0.01, 13), (3, 3, 0.1, 0),
            (2, 20, 0.01, 0), (6, 40, 0.01, 43), (20, 40, 0.01, 237),
        ] as [(Int, Int, Double, Int)])
    func criticalCountsMatchSciPy(m: Int, n: Int, alpha: Double, c: Int) {
        #expect(RoundRatio.criticalCount(m: m, n: n, alpha: alpha) == c)
        #expect(RoundRatio.criticalCount(m: n, n: m, alpha: alpha) == c)
    }

    @Test(arguments: [(3, 3, 0.05), (1, 20, 0.01), (1, 1, 0.5)] as [(Int, Int, Double)])
    func tooFewRoundsHaveNoInterval(m: Int, n: Int, alpha: Double) {
        #expect(RoundRatio.criticalCount(m: m, n: n, alpha: alpha) == nil)
    }

    @Test func theNormalApproximationTakesOverSmoothly() {
        // 40 against 100 pairs is beyond the exact limit; the approximation lands within a few
        // counts of the exact value 1530 for these sizes (exact from the same recurrence, slowly).
        let approximate = RoundRatio.criticalCount(m: 40, n: 100, alpha: 0.01)!
        #expect(40 * 100 > RoundRatio.exactPairLimit)
        let exact = { () -> Int in
            let distribution = MannWhitneyU.exactDistribution(m: 40, n: 100)
            var cumulative = 0.0
            for (k, p) in distribution.enumerated() {
                cumulative += p
                if cumulative > 0.005 { return k - 1 }
            }
            return -1
        }()
        #expect(abs(approximate - exact) <= 3, "approximate \(approximate), exact \(exact)")
    }

    @Test func intervalAndEstimateMatchSciPy() throws {
        let current = [1.162, 1.148, 1.171, 1.153, 1.166, 1.139, 1.158]
        let baseline = [1.003, 1.012, 0.991, 0.998, 1.021, 1.007, 0.985, 1.016, 1.001, 0.994]
        let at99 = try #require(RoundRatio(current: current, baseline: baseline, alpha: 0.01))
        #expect(abs(at99.ratio - 1.1542294257085008) < 1e-12)
        #expect(abs(at99.interval!.lower - 1.1348425196850394) < 1e-12)
        #expect(abs(at99.interval!.upper - 1.17255297679112) < 1e-12)
        let at95 = try #require(RoundRatio(current: current, baseline: baseline, alpha: 0.05))
        #expect(abs(at95.interval!.lower - 1.139763779527559) < 1e-12)
        #expect(abs(at95.interval!.upper - 1.1683366733466933) < 1e-12)
        #expect(abs(at99.test.pValue - 0.00010283833813245579) < 1e-15)
    }

    @Test func theRatioIsScaleFreeAndAntisymmetric() throws {
        let a = [2.0, 2.2, 1.9, 2.1, 2.05]
        let b = [1.0, 1.1, 0.95, 1.02, 1.07, 0.99]
        let forward = try #require(RoundRatio(current: a, baseline: b, alpha: 0.05))
        let backward = try #require(RoundRatio(current: b, baseline: a, alpha: 0.05))
        let scaled = try #require(RoundRatio(current: a.map { $0 * 1e-6 }, baseline: b.map { $0 * 1e-6 }, alpha: 0.05))
        #expect(abs(forward.ratio * backward.ratio - 1) < 1e-12)
        #expect(abs(forward.interval!.lower * backward.interval!.upper - 1) < 1e-12)
        #expect(abs(scaled.ratio - forward.ratio) < 1e-12)
    }

    @Test func emptyOrNonPositiveRoundsHaveNoRatio() {
        #expect(RoundRatio(current: [], baseline: [1], alpha: 0.01) == nil)
        #expect(RoundRatio(current: [1], baseline: [0, 1], alpha: 0.01) == nil)
        #expect(RoundRatio(current: [.nan], baseline: [1], alpha: 0.01) == nil)
    }

    @Test func minimumRoundsAgainstABaseline() {
        #expect(RoundRatio.minimumRounds(baselineRounds: 20, alpha: 0.01) == 2)
        #expect(RoundRatio.minimumRounds(baselineRounds: 10, alpha: 0.01) == 3)
        #expect(RoundRatio.minimumRounds(baselineRounds: 3, alpha: 0.01) == 9)
    }

    @Test func upperNormalQuantile() {
        #expect(abs(RoundRatio.upperNormalQuantile(0.025) - 1.959963984540054) < 1e-9)
        #expect(abs(RoundRatio.upperNormalQuantile(0.005) - 2.5758293035489004) < 1e-9)
    }
}
