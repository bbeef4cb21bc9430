/// Summary of a probe's per-iteration samples (seconds).
///
/// Percentiles interpolate linearly between order statistics (Hyndman & Fan type 7, the default of
/// numpy and R). `stddev` is the sample standard deviation (n - 1). `mad` is the unscaled median
/// absolute deviation from the median. `cv` is stddev / mean.
public struct SampleStatistics: Codable, Equatable, Sendable {
    public var count: Int
    public var min: Double
    public var max: Double
    public var mean: Double
    public var median: Double
    public var p90: Double
    public var p99: Double
    public var stddev: Double
    public var mad: Double
    public var cv: Double

    /// nil for no samples.
    public init?(_ samples: [Double]) {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        count = sorted.count
        min = sorted[0]
        max = sorted[sorted.count - 1]
        mean = Self.compensatedSum(sorted) / Double(sorted.count)
        median = Self.percentile(sorted: sorted, 0.5)
        p90 = Self.percentile(sorted: sorted, 0.9)
        p99 = Self.percentile(sorted: sorted, 0.99)
        if sorted.count > 1 {
            let m = mean
            stddev = (Self.compensatedSum(sorted.map { ($0 - m) * ($0 - m) }) / Double(sorted.count - 1)).squareRoot()
        } else {
            stddev = 0
        }
        let med = median
        mad = Self.percentile(sorted: sorted.map { abs($0 - med) }.sorted(), 0.5)
        cv = mean > 0 ? stddev / mean : 0
    }

    /// Type-7 percentile of ascending `sorted`, q in [0, 1].
    public static func percentile(sorted: [Double], _ q: Double) -> Double {
        precondition(!sorted.isEmpty && (0...1).contains(q))
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = Swift.min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
    }

    /// Kahan-Babuska summation, so means of many near-equal timings do not drift.
    static func compensatedSum(_ values: [Double]) -> Double {
        var sum = 0.0
        var compensation = 0.0
        for value in values {
            let t = sum + value
            if abs(sum) >= abs(value) {
                compensation += (sum - t) + value
            } else {
                compensation += (value - t) + sum
            }
            sum = t
        }
        return sum + compensation
    }
}
