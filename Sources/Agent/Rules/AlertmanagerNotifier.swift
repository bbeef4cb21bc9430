import Dispatch
import FoundationEssentials
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Sends the in-process alerts to Alertmanager's API v2 (`POST /api/v2/alerts`), as Prometheus does:
/// firing alerts are re-sent every `resendInterval` with `endsAt` a few intervals ahead (so they
/// expire if the agent dies), resolved alerts once with `endsAt` = the time they resolved. Posting
/// happens on its own queue with bounded retries, so a slow or absent Alertmanager never delays probes.
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
        var alertsSent = 0
    }

    private struct State {
        /// Per alert identity: when it was last sent firing, and whether its resolution was sent.
        var lastFiringSent: [[String: String]: Double] = [:]
        var resolvedSent: Set<[String: String]> = []
        var counters = Counters()
    }

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
        let body = Self.payload(due, now: now, resendInterval: resendInterval, generatorURL: generatorURL)
        queue.async { [self] in post(body, count: due.count) }
    }

    /// Waits for queued posts (tests, shutdown).
    func drain() { queue.sync {} }

    private func post(_ body: [UInt8], count: Int) {
        var delay = 0.5
        for attempt in 1...maxAttempts {
            let status = transport(body, timeout)
            if let status, (200..<300).contains(status) {
                state.withLock {
                    $0.counters.sent += 1
                    $0.counters.alertsSent += count
                }
                return
            }
            // A 4xx other than 429 means the payload itself was refused: sending it again won't help.
            if let status, (400..<500).contains(status), status != 429 { break }
            if attempt < maxAttempts {
                sleepSeconds(delay)
                delay *= 2
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
            return Posted(labels: alert.labels, annotations: alert.annotations, startsAt: RFC3339.format(unixSeconds: alert.firedAt ?? alert.activeAt),
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
