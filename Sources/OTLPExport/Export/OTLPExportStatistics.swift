/// Counters since the exporter was created, for the agent's `/metrics`.
///
/// Every span handed to `export` ends as exactly one of exported, dropped or failed (once it has
/// left the queue), so `bitprobe_otlp_spans_total{result}` partitions them.
public struct OTLPExportStatistics: Sendable, Equatable {
    /// Upper bounds, in seconds, of the export-duration histogram buckets (`+Inf` implied).
    /// An export spans the first request to the last answer, retries and their waits included.
    public static let exportDurationUpperBounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    /// Spans the collector accepted.
    public var spansExported: UInt64 = 0
    /// Spans refused because the queue was full (or the exporter shut down).
    public var spansDropped: UInt64 = 0
    /// Spans that left the queue but were not accepted: a non-retryable answer, retries exhausted,
    /// the export or shutdown deadline, or refused by the collector in a partial success.
    public var spansFailed: UInt64 = 0
    /// The part of `spansFailed` that a collector refused in a partial success.
    public var spansRejected: UInt64 = 0
    /// Spans waiting in the queue now.
    public var queuedSpans = 0
    /// Batches sent (or attempted).
    public var exports: UInt64 = 0
    /// HTTP requests, retries included.
    public var exportRequests: UInt64 = 0
    /// HTTP requests that were retries.
    public var retries: UInt64 = 0
    /// Requests that failed, by the HTTP status of the answer, or "none" when no answer came.
    public var failedRequestsByCode: [String: UInt64] = [:]
    /// The latest export's duration, retries included; nil before the first.
    public var lastExportDuration: Duration?
    /// Per bucket of `exportDurationUpperBounds`, the last for `+Inf`; not cumulative.
    public var exportDurationBucketCounts = [UInt64](repeating: 0, count: exportDurationUpperBounds.count + 1)
    /// Sum of all export durations, in seconds.
    public var exportDurationSum = 0.0
    /// The latest reason spans failed (or a collector's partial-success message), for the log.
    public var lastFailure: String?

    public init() {}

    mutating func observeExport(duration nanoseconds: UInt64) {
        let seconds = Double(nanoseconds) / 1e9
        lastExportDuration = .nanoseconds(Int64(clamping: nanoseconds))
        let bucket = Self.exportDurationUpperBounds.firstIndex { seconds <= $0 } ?? Self.exportDurationUpperBounds.count
        exportDurationBucketCounts[bucket] += 1
        exportDurationSum += seconds
        exports += 1
    }
}
