import Testing

@testable import BitProbe

/// Reference values from SciPy 1.17.1, computed once with
/// `scipy.stats.mannwhitneyu(x, y, alternative="two-sided", method=M)` for M = "exact" / "asymptotic"
/// (`.statistic` is U of x, `.pvalue` the two-sided p-value).
@Suite struct MannWhitneyUTests {
    @Test(
        arguments: [
            // (x, y, U1, p, method)
            ([1.0, 2, 3], [4.0, 5, 6], 0.0, 0.1, MannWhitneyU.Method.exact),
            ([1.1, 2.4, 3.9, 5.2, 0.3], [2.0, 4.5, 6.1, 7.7, 8.8, 3.3], 6.0, 0.12554112554112554, .exact),
            (
                [0.31, 0.77, 1.21, 1.85, 2.02, 2.44, 3.05, 3.33, 4.12, 4.40, 5.01, 5.96],
                [1.02, 1.47, 2.21, 2.90, 3.71, 3.95, 4.66, 4.87, 5.35, 5.52, 6.08, 6.41, 6.93, 7.25, 7.80], 46.0, 0.0321122006274786, .exact
            ),
            ((1...20).map(Double.init), (10..<30).map { Double($0) + 0.5 }, 55.0, 3.364318303622844e-05, .exact),
            // A few cycle medians against a long window (the agent's rolling rule): still exact.
            ([2.0, 2.1, 2.2, 2.3], (0..<60).map { 1 + 0.01 * Double($0) }, 240.0, 3.1477424391226612e-06, .exact),
            ([1.105, 1.215, 1.335, 0.955], (0..<60).map { 1 + 0.01 * Double($0) }, 67.0, 0.15033303115005917, .exact),
            (
                [1.7025, 1.7125, 1.7225, 1.6925, 1.7325, 1.7425, 1.7525, 1.7625], (0..<150).map { 1 + 0.005 * Double($0) }, 1164.0,
                1.0074600181673432e-08, .exact
            ),
            // Ties: tie-corrected normal approximation with continuity correction.
            ([1.0, 2, 2, 3, 3, 3, 4], [2.0, 3, 3, 4, 4, 5, 5, 6], 11.0, 0.04988443697992588, .asymptotic),
            ([1.0, 1, 1], [1.0, 1, 1], 4.5, 1.0, .asymptotic),
        ] as [([Double], [Double], Double, Double, MannWhitneyU.Method)])
    func matchesSciPy(x: [Double], y: [Double], u1: Double, p: Double, method: MannWhitneyU.Method) throws {
        let test = try #require(MannWhitneyU(x, y))
        #expect(test.method == method)
        #expect(test.u1 == u1)
        #expect(test.u1 + test.u2 == Double(x.count * y.count))
        #expect(abs(test.pValue - p) <= 1e-12 * max(1, p) + 1e-15, "p \(test.pValue), SciPy \(p)")
    }

    @Test func largeSamplesUseTheNormalApproximation() throws {
        // rng = numpy.random.default_rng(7); x = normal(1.0, 0.05, 40), y = normal(1.06, 0.05, 50),
        // rounded to 6 decimals; SciPy asymptotic: U = 168.0, p = 1.460594335025824e-11.
        let x = [
            1.000062, 1.014937, 0.986293, 0.95547, 0.977266, 0.950418, 1.003007, 1.067011, 0.97539, 0.968976,
            1.024492, 1.017844, 1.005271, 0.953477, 0.998537, 1.034765, 0.932789, 0.977119, 0.904939, 0.935523,
            0.907913, 0.988245, 0.936628, 1.013563, 1.007838, 0.990653, 0.874162, 0.973065, 0.997575, 1.005665,
            0.923493, 0.976112, 0.951074, 0.959558, 1.053045, 0.959623, 0.998374, 1.044219, 0.97082, 0.994415,
        ]
        let y = [
            1.065523, 1.063189, 0.998747, 1.063807, 1.127941, 0.982643, 1.102969, 1.065968, 1.027926, 1.160021,
            1.098113, 1.000036, 1.063726, 1.088834, 1.050561, 1.094146, 1.056674, 1.093362, 1.131926, 1.026217,
            1.070157, 1.036835, 1.066363, 1.00064, 1.031035, 1.05019, 1.104938, 1.117261, 0.993824, 1.020268,
            1.092345, 0.960379, 1.036842, 1.055136, 1.122851, 1.09447, 1.043639, 1.041571, 1.04749, 1.136176,
            1.038599, 1.044816, 1.077629, 1.053961, 1.050136, 1.004297, 1.059424, 1.037821, 1.118306, 1.092654,
        ]
        let test = try #require(MannWhitneyU(x, y))
        #expect(test.method == .asymptotic)
        #expect(test.u1 == 168)
        #expect(abs(test.pValue - 1.460594335025824e-11) <= 1e-9 * 1.460594335025824e-11)
    }

    @Test func emptySampleHasNoTest() {
        #expect(MannWhitneyU([], [1.0]) == nil)
        #expect(MannWhitneyU([1.0], []) == nil)
    }

    @Test func midranksAverageTies() {
        let (ranks, tieTerm) = MannWhitneyU.midranks([3.0, 1, 3, 2, 3])
        #expect(ranks == [4, 1, 4, 2, 4])
        #expect(tieTerm == 24)
    }
}
