import Logging
import OTLPExport

/// Logs trace export failures as they happen, once per cycle that saw new ones: the exporter
/// counts them on its own thread, and without this a collector refusing every export (401, 503)
/// was visible only to someone reading /metrics.
struct ExportFailureLog {
    private var failedSpans: UInt64 = 0
    private var failedRequests: UInt64 = 0

    mutating func report(_ statistics: OTLPExportStatistics, to logger: Logger) {
        let requests = statistics.failedRequestsByCode.values.reduce(0, +)
        defer { (failedSpans, failedRequests) = (statistics.spansFailed, requests) }
        guard statistics.spansFailed > failedSpans || requests > failedRequests else { return }
        logger.warning(
            "trace export failed",
            metadata: [
                "failed_spans": "\(statistics.spansFailed - failedSpans)", "failed_requests": "\(requests - failedRequests)",
                "reason": "\(statistics.lastFailure ?? "unknown")",
            ])
    }
}
