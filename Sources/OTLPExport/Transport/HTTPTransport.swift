/// What one HTTP request came to.
enum AttemptResult: Equatable {
    /// The server answered. `body` is kept only for a protobuf answer, the only kind read.
    case response(status: Int, retryAfter: String?, protobufBody: [UInt8])
    /// No answer: `retryable` for what may pass (refused, reset, timed out), not for what will
    /// not (a malformed URL, a certificate the trust store rejects).
    case failed(message: String, retryable: Bool)
    /// Stopped because the exporter's shutdown deadline passed.
    case aborted
}

/// Sends one export request. The exporter's worker thread owns its transport, so
/// implementations need not be thread-safe.
protocol HTTPTransport: AnyObject {
    func post(_ body: [UInt8], timeoutNanoseconds: UInt64) -> AttemptResult
}
