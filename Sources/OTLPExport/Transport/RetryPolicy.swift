#if canImport(Glibc)
import Glibc
#endif

/// When a failed export request is tried again, and after how long; pure, so tests drive it
/// with chosen times and random numbers.
///
/// Following the OTLP specification: only HTTP 429, 502, 503 and 504, and failures without a
/// response (refused, reset, timed out), are transient. A `Retry-After` from the server replaces
/// the backoff; otherwise the wait grows exponentially with jitter. No retry starts when its wait
/// would end past the export deadline, since the request could not finish in time anyway.
struct RetryPolicy {
    enum Decision: Equatable {
        case retry(afterNanoseconds: UInt64)
        /// Why the export ends here.
        case stop(String)
    }

    let config: OTLPExporterConfig.Retry

    static func isRetryable(status: Int) -> Bool {
        [429, 502, 503, 504].contains(status)
    }

    /// The longest wait after `attempt` (1-based) failed: the initial backoff times the
    /// multiplier per earlier retry, at most the maximum backoff.
    func backoffCeiling(afterAttempt attempt: Int) -> UInt64 {
        let initial = Double(config.initialBackoff.nanoseconds)
        let grown = initial * pow(config.multiplier, Double(max(attempt - 1, 0)))
        return UInt64(min(grown, Double(config.maxBackoff.nanoseconds)))
    }

    /// The ceiling shortened by a random fraction of up to `jitter`.
    func backoff(afterAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> UInt64 {
        let ceiling = Double(backoffCeiling(afterAttempt: attempt))
        let jitter = min(max(config.jitter, 0), 1)
        return UInt64(ceiling * (1 - jitter * Double.random(in: 0..<1, using: &generator)))
    }

    /// - Parameters:
    ///   - failure: what went wrong, for the message when the export stops.
    ///   - retryable: whether the failure is transient (see `isRetryable(status:)`).
    ///   - retryAfterSeconds: the server's `Retry-After`, already parsed.
    ///   - attempt: requests made so far, this one included.
    ///   - remainingNanoseconds: time left before the export deadline.
    func decide(
        failure: String,
        retryable: Bool,
        retryAfterSeconds: Double?,
        attempt: Int,
        remainingNanoseconds: UInt64,
        using generator: inout some RandomNumberGenerator
    ) -> Decision {
        guard retryable else { return .stop("\(failure) (not retryable)") }
        guard attempt < config.maxAttempts else {
            return .stop("\(failure); gave up after \(attempt) attempt\(attempt == 1 ? "" : "s")")
        }
        let wait: UInt64
        if let retryAfterSeconds {
            wait = retryAfterSeconds >= Double(UInt64.max / 1_000_000_000) ? .max : UInt64(retryAfterSeconds * 1e9)
            guard wait < remainingNanoseconds else {
                return .stop("\(failure); Retry-After \(Self.seconds(wait)) s is past the export deadline")
            }
        } else {
            wait = backoff(afterAttempt: attempt, using: &generator)
            guard wait < remainingNanoseconds else {
                return .stop("\(failure); no time left for a retry before the export deadline")
            }
        }
        return .retry(afterNanoseconds: wait)
    }

    private static func seconds(_ nanoseconds: UInt64) -> String {
        nanoseconds == .max ? "∞" : String(Double(nanoseconds) / 1e9)
    }
}
