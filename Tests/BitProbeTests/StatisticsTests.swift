import Testing

@testable import BitProbe

@Suite struct StatisticsTests {
    @Test func summaryOfOneToTen() throws {
        let stats = try #require(SampleStatistics([5, 1, 9, 2, 8, 3, 7, 4, 6, 10].map(Double.init)))
        #expect(stats.count == 10)
        #expect(stats.min == 1)
        #expect(stats.max == 10)
        #expect(stats.mean == 5.5)
        #expect(stats.median == 5.5)
        #expect(abs(stats.p90 - 9.1) < 1e-12)
        #expect(abs(stats.p99 - 9.91) < 1e-12)
        #expect(abs(stats.stddev - (55.0 / 6.0).squareRoot()) < 1e-12)
        #expect(stats.mad == 2.5)
        #expect(abs(stats.cv - (55.0 / 6.0).squareRoot() / 5.5) < 1e-12)
    }

    @Test func singleSampleHasNoSpread() throws {
        let stats = try #require(SampleStatistics([0.25]))
        #expect(stats.median == 0.25 && stats.p99 == 0.25 && stats.stddev == 0 && stats.mad == 0 && stats.cv == 0)
    }

    @Test func noSamplesHaveNoStatistics() {
        #expect(SampleStatistics([]) == nil)
    }

    @Test func meanOfManyEqualTimingsDoesNotDrift() throws {
        let stats = try #require(SampleStatistics([Double](repeating: 0.1, count: 100_000)))
        #expect(stats.mean == 0.1)
        #expect(stats.stddev < 1e-15)
    }

    @Test func percentileInterpolatesBetweenOrderStatistics() {
        #expect(SampleStatistics.percentile(sorted: [10, 20], 0.25) == 12.5)
        #expect(SampleStatistics.percentile(sorted: [10, 20, 30], 1) == 30)
        #expect(SampleStatistics.percentile(sorted: [10, 20, 30], 0) == 10)
    }
}
