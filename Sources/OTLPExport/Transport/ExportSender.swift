/// One export: a request, then retries as the policy allows, all within the export deadline.
struct ExportSender {
    struct Outcome: Equatable {
        var delivered: Bool
        /// Spans the collector refused in a partial success; 0 unless `delivered`.
        var rejectedSpans: Int
        /// HTTP requests made, the first included.
        var requests: Int
        /// Why the spans were not delivered, or the collector's partial-success message.
        var failure: String?
    }

    let transport: any HTTPTransport
    let policy: RetryPolicy
    /// Bounds each request.
    let requestTimeout: UInt64
    let endpoint: String
    let clock: any ExportClock
    /// Waits until the given monotonic time; false when the wait was cut short by shutdown.
    let sleep: (UInt64) -> Bool

    /// - Parameter deadline: read before every request and wait, since a shutdown can bring it forward.
    func send(_ body: [UInt8], spanCount: Int, deadline: () -> UInt64) -> Outcome {
        var generator = SystemRandomNumberGenerator()
        var requests = 0
        var lastFailure: String?
        while true {
            let start = clock.monotonicNanoseconds()
            let currentDeadline = deadline()
            guard start < currentDeadline else {
                return failed(lastFailure.map { "\($0); export deadline passed" } ?? "export deadline passed before the request", requests)
            }
            requests += 1
            let failure: String
            let retryable: Bool
            var retryAfterSeconds: Double?
            switch transport.post(body, timeoutNanoseconds: min(requestTimeout, currentDeadline - start)) {
            case .aborted:
                return failed("POST \(endpoint): stopped by the shutdown deadline", requests)
            case .response(let status, _, let protobufBody) where (200..<300).contains(status):
                guard let partial = ExportResponse.partialSuccess(in: protobufBody),
                    partial.rejectedSpans > 0 || !partial.errorMessage.isEmpty
                else { return Outcome(delivered: true, rejectedSpans: 0, requests: requests, failure: nil) }
                let rejected = Int(clamping: min(max(partial.rejectedSpans, 0), Int64(spanCount)))
                let message =
                    rejected == 0
                    ? "collector accepted all \(spanCount) spans with a warning: \(partial.errorMessage)"
                    : "collector rejected \(rejected) of \(spanCount) spans: \(partial.errorMessage)"
                return Outcome(delivered: true, rejectedSpans: rejected, requests: requests, failure: message)
            case .response(let status, let retryAfter, _):
                failure = "POST \(endpoint): HTTP \(status)"
                retryable = RetryPolicy.isRetryable(status: status)
                retryAfterSeconds = retryAfter.flatMap { RetryAfter.seconds(from: $0, unixNow: clock.unixSeconds()) }
            case .failed(let message, let transient):
                failure = message
                retryable = transient
            }
            lastFailure = failure
            let decision = policy.decide(
                failure: failure, retryable: retryable, retryAfterSeconds: retryAfterSeconds, attempt: requests,
                remainingNanoseconds: deadline().subtractingSaturating(clock.monotonicNanoseconds()), using: &generator
            )
            switch decision {
            case .stop(let reason):
                return failed(reason, requests)
            case .retry(let wait):
                guard sleep(clock.monotonicNanoseconds().addingSaturating(wait)) else {
                    return failed("\(failure); stopped by the shutdown deadline", requests)
                }
            }
        }
    }

    private func failed(_ reason: String, _ requests: Int) -> Outcome {
        Outcome(delivered: false, rejectedSpans: 0, requests: requests, failure: reason)
    }
}
