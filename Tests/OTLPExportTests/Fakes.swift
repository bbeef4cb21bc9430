import Synchronization

@testable import OTLPExport

#if canImport(Glibc)
import Glibc
#endif

/// Time that passes only when a test (or a fake transport) says so.
final class FakeClock: ExportClock {
    private let now = Mutex<UInt64>(1_000_000_000)
    let unixStart = 1_700_000_000.0

    func monotonicNanoseconds() -> UInt64 { now.withLock { $0 } }

    func unixSeconds() -> Double { unixStart + Double(monotonicNanoseconds() - 1_000_000_000) / 1e9 }

    func advance(by nanoseconds: UInt64) {
        now.withLock { $0 += nanoseconds }
    }
}

/// Answers requests from a script, each taking `latency` of fake time, and records them.
final class ScriptedTransport: HTTPTransport {
    struct Post: Equatable {
        var at: UInt64
        var timeout: UInt64
        var bodySize: Int
    }

    private var script: [AttemptResult]
    private let fallback: AttemptResult
    private let clock: FakeClock
    private let latency: UInt64
    private(set) var posts: [Post] = []

    init(_ script: [AttemptResult], then fallback: AttemptResult = ok, clock: FakeClock, latency: UInt64 = 1_000_000) {
        self.script = script
        self.fallback = fallback
        self.clock = clock
        self.latency = latency
    }

    func post(_ body: [UInt8], timeoutNanoseconds: UInt64) -> AttemptResult {
        posts.append(Post(at: clock.monotonicNanoseconds(), timeout: timeoutNanoseconds, bodySize: body.count))
        clock.advance(by: min(latency, timeoutNanoseconds))
        return script.isEmpty ? fallback : script.removeFirst()
    }
}

let ok = AttemptResult.response(status: 200, retryAfter: nil, protobufBody: [])

func status(_ code: Int, retryAfter: String? = nil) -> AttemptResult {
    .response(status: code, retryAfter: retryAfter, protobufBody: [])
}

/// Answers from the exporter's worker thread with real time passing, for exporter-level tests.
final class RecordingTransport: HTTPTransport, Sendable {
    struct State {
        var bodies: [[UInt8]] = []
        var script: [AttemptResult] = []
        var fallback = ok
        var delayMicroseconds: UInt32 = 0
    }

    let state: Mutex<State>
    private let shutdown: ShutdownSignal

    init(state: State, shutdown: ShutdownSignal) {
        self.state = Mutex(state)
        self.shutdown = shutdown
    }

    func post(_ body: [UInt8], timeoutNanoseconds: UInt64) -> AttemptResult {
        let (result, delay) = state.withLock { state in
            state.bodies.append(body)
            return (state.script.isEmpty ? state.fallback : state.script.removeFirst(), state.delayMicroseconds)
        }
        // Sleeps in slices, checking the shutdown deadline as CurlTransport does.
        var slept: UInt64 = 0
        while slept < UInt64(delay) {
            if SystemClock().monotonicNanoseconds() >= shutdown.deadline { return .aborted }
            if slept * 1000 >= timeoutNanoseconds { return .failed(message: "timed out", retryable: true) }
            usleep(1000)
            slept += 1000
        }
        return result
    }
}
