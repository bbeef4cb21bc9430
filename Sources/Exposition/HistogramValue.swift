/// A reference from a histogram bucket to data outside the metrics, typically the trace of one probe run:
/// `Exemplar(labels: ["trace_id": trace, "span_id": span], value: 0.067, timestamp: 1_700_000_000.123)`.
///
/// OpenMetrics limits the names and values of the labels to 128 code points together; a longer
/// exemplar is left out of the exposition rather than making the whole scrape invalid.
public struct Exemplar: Sendable, Equatable {
    public var labels: Labels
    public var value: Double
    /// Seconds since the Unix epoch.
    public var timestamp: Double?

    public init(labels: Labels, value: Double, timestamp: Double? = nil) {
        self.labels = labels
        self.value = value
        self.timestamp = timestamp
    }

    /// The most label text OpenMetrics 1.0 allows in one exemplar, in code points.
    public static let maximumLabelCodePoints = 128

    var fitsOpenMetricsLimit: Bool { labels.codePointCount <= Exemplar.maximumLabelCodePoints }
}

/// A classic histogram: finite ascending upper bounds, with the `+Inf` bucket implied.
///
/// Counts are kept per bucket (not cumulative) so that `observe` touches one counter; the renderer
/// accumulates them.
///
/// ```swift
/// var durations = HistogramValue(upperBounds: [0.001, 0.01, 0.1, 1])
/// durations.observe(0.067, exemplar: Exemplar(labels: ["trace_id": id], value: 0.067))
/// ```
public struct HistogramValue: Sendable, Equatable {
    /// Finite and strictly ascending; `+Inf` is implied and not listed.
    public var upperBounds: [Double]
    /// One count per bound plus the last for `+Inf`: values above every bound.
    public var bucketCounts: [UInt64]
    public var sum: Double
    /// One optional exemplar per bucket, `+Inf` included.
    public var exemplars: [Exemplar?]
    /// When counting started, in seconds since the Unix epoch; exposed as `_created` in OpenMetrics.
    public var created: Double?

    /// An empty histogram.
    public init(upperBounds: [Double], created: Double? = nil) {
        self.init(
            upperBounds: upperBounds,
            bucketCounts: Array(repeating: 0, count: upperBounds.count + 1),
            sum: 0,
            created: created
        )
    }

    /// A histogram from counts kept elsewhere; `exemplars` defaults to none for every bucket.
    public init(
        upperBounds: [Double],
        bucketCounts: [UInt64],
        sum: Double,
        exemplars: [Exemplar?]? = nil,
        created: Double? = nil
    ) {
        self.upperBounds = upperBounds
        self.bucketCounts = bucketCounts
        self.sum = sum
        self.exemplars = exemplars ?? Array(repeating: nil, count: bucketCounts.count)
        self.created = created
    }

    /// Number of observations.
    public var count: UInt64 { bucketCounts.reduce(0, +) }

    /// Counts `value` in the first bucket whose bound is >= it, and keeps `exemplar`, which should
    /// carry the same value, as that bucket's exemplar in place of the previous one.
    ///
    /// NaN is ignored: it fits no bucket and would make the sum NaN, which OpenMetrics forbids.
    public mutating func observe(_ value: Double, exemplar: Exemplar? = nil) {
        guard !value.isNaN else { return }
        var low = 0
        var high = upperBounds.count
        while low < high {
            let middle = (low + high) / 2
            if value <= upperBounds[middle] { high = middle } else { low = middle + 1 }
        }
        bucketCounts[low] += 1
        sum += value
        if let exemplar { exemplars[low] = exemplar }
    }
}
