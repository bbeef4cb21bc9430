import Synchronization

/// Counters since the server was created, across restarts. Responses that libmicrohttpd writes
/// on its own (400 for malformed requests, 431 for oversized headers) are not seen and not counted.
public struct HTTPServerStatistics: Sendable, Equatable {
    /// Responses queued, by status code, including the server's own 401, 405, 413, 500 and 503.
    public var responsesByStatus: [Int: Int] = [:]
    /// Requests answered 503 because `maxRequestsInFlight` were already running.
    public var rejectedOverInFlightLimit = 0
    /// Requests answered 401: missing, malformed or wrong credentials.
    public var authenticationFailures = 0
    /// Requests between admission and their response being queued, at the time of the snapshot.
    public var requestsInFlight = 0

    public init() {}
}

/// Shared by libmicrohttpd's threads; one lock per response keeps the counts consistent with
/// each other, and the in-flight gauge is a lock-free counter because admission reads it first.
final class StatisticsRecorder: Sendable {
    private let counts = Mutex(HTTPServerStatistics())
    let inFlight = Atomic<Int>(0)

    func responded(_ status: Int) {
        counts.withLock { $0.responsesByStatus[status, default: 0] += 1 }
    }

    func rejectedOverInFlightLimit() {
        counts.withLock {
            $0.responsesByStatus[503, default: 0] += 1
            $0.rejectedOverInFlightLimit += 1
        }
    }

    func authenticationFailed() {
        counts.withLock {
            $0.responsesByStatus[401, default: 0] += 1
            $0.authenticationFailures += 1
        }
    }

    var snapshot: HTTPServerStatistics {
        var snapshot = counts.withLock { $0 }
        snapshot.requestsInFlight = inFlight.load(ordering: .relaxed)
        return snapshot
    }
}
