/// Counts every export request that failed, by HTTP status or `none` when no answer came, into the
/// exporter's statistics (`bitprobe_otlp_export_request_failures_total{code}`). Span counts alone
/// showed a collector's 401 or 503 only once retries ran out, and not at all when one succeeded.
final class FailureCountingTransport: HTTPTransport {
    private let inner: any HTTPTransport
    private let pipeline: ExportPipeline

    init(_ inner: any HTTPTransport, pipeline: ExportPipeline) {
        self.inner = inner
        self.pipeline = pipeline
    }

    func post(_ body: [UInt8], timeoutNanoseconds: UInt64) -> AttemptResult {
        let result = inner.post(body, timeoutNanoseconds: timeoutNanoseconds)
        let code: String? =
            switch result {
            case .response(let status, _, _): (200..<300).contains(status) ? nil : String(status)
            case .failed: "none"
            case .aborted: nil
            }
        if let code { pipeline.statistics.withLock { $0.failedRequestsByCode[code, default: 0] += 1 } }
        return result
    }
}
