import Dispatch
import FoundationEssentials
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Sends the in-process alerts to Alertmanager's API v2 (`POST /api/v2/alerts`), as Prometheus does:
/// firing alerts are re-sent every `resendInterval` with `endsAt` a few intervals ahead (so they
/// expire if the agent dies), resolved alerts once with `endsAt` = the time they resolved. Posting
/// happens on its own queue with bounded retries, so a slow or absent Alertmanager never delays probes;
/// at most `maxPending` posts wait (the oldest is dropped first: firing alerts are re-sent anyway),
/// so one that accepts connections and never answers cannot make the agent's memory grow.
final class AlertmanagerNotifier: Sendable {
    /// Sends one POST to the alerts endpoint; returns the HTTP status, or nil when no response came
    /// (connection error, timeout).
    typealias Transport = @Sendable (_ body: [UInt8], _ timeout: Double) -> Int?

    /// Where alerts go: Alertmanager's API v2 under its base URL.
    static func endpoint(baseURL: String) -> String {
        (baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL) + "/api/v2/alerts"
    }

    struct Counters: Sendable, Equatable {
        var sent = 0
        var failed = 0
        /// Posts dropped unsent: the queue was full, or the agent stopped first.
        var dropped = 0
    }

    private struct Post {
        var body: [UInt8]
    }

    private struct State {
        /// Per alert identity: when it was last sent firing, and whether its resolution was sent.
        var lastFiringSent: [[String: String]: Double] = [:]
        var resolvedSent: Set<[String: String]> = []
        var counters = Counters()
        /// Posts waiting for the queue's worker, oldest first.
        var pending: [Post] = []
        /// Whether the worker is scheduled or running (it exits when `pending` is empty).
        var sending = false
        var stopping = false
    }

    /// Posts that may wait while one is in flight. Each is a whole batch of due alerts; with the
    /// default 1-minute resend interval, 8 are several minutes of notifications.
    static let maxPending = 8

    let resendInterval: Double
    let timeout: Double
    let maxAttempts: Int
    private let transport: Transport
    private let queue = DispatchQueue(label: "bitprobe.alertmanager")
    private let state = Mutex(State())
    private let generatorURL: String

    init(resendInterval: Double, timeout: Double, generatorURL: String, maxAttempts: Int = 3, transport: @escaping Transport) {
        self.resendInterval = resendInterval
        self.timeout = timeout
        self.generatorURL = generatorURL
        self.maxAttempts = maxAttempts
        self.transport = transport
    }

    var counters: Counters { state.withLock { $0.counters } }

    /// Chooses what is due (new or re-sendable firing alerts, fresh resolutions) and posts it.
    func notify(_ alerts: [RuleEngine.Alert], now: Double) {
        let due = state.withLock { state -> [RuleEngine.Alert] in
            var due: [RuleEngine.Alert] = []
            for alert in alerts {
                if alert.state == .firing {
                    state.resolvedSent.remove(alert.labels)
                    if let last = state.lastFiringSent[alert.labels], now - last < resendInterval { continue }
                    state.lastFiringSent[alert.labels] = now
                    due.append(alert)
                } else if alert.resolvedAt != nil, !state.resolvedSent.contains(alert.labels) {
                    state.resolvedSent.insert(alert.labels)
                    state.lastFiringSent[alert.labels] = nil
                    due.append(alert)
                }
            }
            return due
        }
        guard !due.isEmpty else { return }
        let post = Post(body: Self.payload(due, now: now, resendInterval: resendInterval, generatorURL: generatorURL))
        let startWorker = state.withLock { state -> Bool in
            guard !state.stopping else {
                state.counters.dropped += 1
                return false
            }
            state.pending.append(post)
            if state.pending.count > Self.maxPending {
                state.pending.removeFirst()
                state.counters.dropped += 1
            }
            if state.sending { return false }
            state.sending = true
            return true
        }
        if startWorker { queue.async { [self] in sendPending() } }
    }

    /// Waits for queued posts (tests).
    func drain() { queue.sync {} }

    /// Stops taking alerts and gives the posts already queued until `deadline` (seconds from now);
    /// returns whether they all finished. A post still in flight then is abandoned to the process's
    /// exit, so an Alertmanager that never answers cannot hold up SIGTERM.
    func shutdown(deadline: Double) -> Bool {
        state.withLock { $0.stopping = true }
        let finished = DispatchSemaphore(value: 0)
        queue.async { finished.signal() }
        if finished.wait(timeout: .now() + .milliseconds(Int(max(0, deadline) * 1000))) == .success { return true }
        state.withLock { state in
            state.counters.dropped += state.pending.count
            state.pending.removeAll()
        }
        return false
    }

    private func sendPending() {
        while let next = state.withLock({ state -> Post? in
            guard !state.pending.isEmpty else {
                state.sending = false
                return nil
            }
            return state.pending.removeFirst()
        }) {
            post(next)
        }
    }

    private func post(_ post: Post) {
        var delay = 0.5
        for attempt in 1...maxAttempts {
            let status = transport(post.body, timeout)
            if let status, (200..<300).contains(status) {
                state.withLock { $0.counters.sent += 1 }
                return
            }
            // A 4xx other than 429 means the payload itself was refused: sending it again won't help.
            if let status, (400..<500).contains(status), status != 429 { break }
            // Once stopping, one attempt per post: shutdown has a deadline to keep.
            if attempt < maxAttempts, !state.withLock({ $0.stopping }) {
                sleepSeconds(delay)
                delay *= 2
            } else {
                break
            }
        }
        state.withLock { $0.counters.failed += 1 }
    }

    static func payload(_ alerts: [RuleEngine.Alert], now: Double, resendInterval: Double, generatorURL: String) -> [UInt8] {
        struct Posted: Encodable {
            var labels: [String: String]
            var annotations: [String: String]
            var startsAt: String
            var endsAt: String
            var generatorURL: String
        }
        let posted = alerts.map { alert in
            let end = alert.resolvedAt ?? (now + 4 * resendInterval)
            return Posted(
                labels: alert.labels, annotations: alert.annotations, startsAt: RFC3339.format(unixSeconds: alert.firedAt ?? alert.activeAt),
                endsAt: RFC3339.format(unixSeconds: end), generatorURL: generatorURL)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(posted)).map(Array.init) ?? []
    }
}

func sleepSeconds(_ seconds: Double) {
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
}
