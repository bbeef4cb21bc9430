import BitProbe
import Exposition
import OTLPExport
import Synchronization

/// What one finished probe cycle published: the values HTTP handlers read. Published whole under a
/// lock, so a scrape sees one cycle or the next, never half of one.
struct CycleSnapshot: Sendable {
    var cycle: Int
    var completedAt: Double
    var results: [ProbeResult]
    /// Families that change once per cycle, rendered once in both formats for many scrapes and
    /// merged at scrape time with the few families that change per scrape.
    var rendered: [RenderedFamily]
    var backendUp: Bool
    /// Idle bytes in the CPU buffer pool and the suite's largest probe, for memory recommendations.
    var poolIdleBytes: Int
    var largestProbe: (name: String, bytes: Int)?
    /// Pending and firing alerts of the in-process rules after this cycle.
    var alerts: [RuleEngine.Alert]
    /// The host as read at the end of the cycle, and the share of the cycle its probes waited for a CPU.
    var host: HostInfo?
    var cpuPressureShare: Double?
    /// The host's memory as the cycle read it and the pressure per device it assessed from that
    /// reading: what /api/v1/memory and /report show, without assessing it again.
    var hostMemory: HostMemoryStatus?
    var memoryPressure: [String: MemoryPressureLevel] = [:]

    static let empty = CycleSnapshot(
        cycle: 0, completedAt: 0, results: [], rendered: [], backendUp: false, poolIdleBytes: 0,
        largestProbe: nil, alerts: [], host: nil, cpuPressureShare: nil)

    /// The memory view of this cycle (before the first one: the host read now).
    func memoryReport(tracker: MemoryTracker, recentEvents: Int?) -> MemoryReport {
        let reading = hostMemory ?? HostMemoryStatus.read()
        return MemoryReport(
            host: reading, pressure: hostMemory == nil ? nil : memoryPressure, tracker: tracker, largestProbe: largestProbe,
            poolIdleBytes: poolIdleBytes, recentEvents: recentEvents)
    }
}

/// Shared between the scheduler (writer), the HTTP threads (readers) and the signal handlers.
final class AgentState: Sendable {
    /// Probe memory accounting, written by the probe thread, read by HTTP threads.
    let memory = MemoryTracker()
    /// The Alertmanager notifier and the trace exporter, when configured (their counters are exported).
    let alertmanager: AlertmanagerNotifier?
    let tracing: OTLPTraceExporter?
    private let snapshot = Mutex(CycleSnapshot.empty)
    private let reloadStatus: Mutex<AgentFamilies.ReloadStatus>

    init(configLoadedAt: Double, alertmanager: AlertmanagerNotifier? = nil, tracing: OTLPTraceExporter? = nil) {
        self.alertmanager = alertmanager
        self.tracing = tracing
        reloadStatus = Mutex(AgentFamilies.ReloadStatus(successful: true, lastSuccessTimestamp: configLoadedAt))
    }

    /// The profiles of the latest cycles, newest last, for /debug/profile.
    private let profiles = Mutex<[ProfileSpan]>([])
    static let profilesKept = 10

    /// Each probe's verified median of the latest cycles, oldest first, for /report's sparklines.
    private let histories = Mutex<[ProbeSpec: [Double]]>([:])
    static let historyKept = 60

    func publish(_ cycle: CycleSnapshot) {
        histories.withLock { histories in
            for result in cycle.results {
                guard result.outcome == .ok, let median = result.statistics?.median else { continue }
                histories[result.spec, default: []].append(median)
                if histories[result.spec]!.count > Self.historyKept { histories[result.spec]!.removeFirst() }
            }
        }
        snapshot.withLock { $0 = cycle }
    }

    /// The recent medians of `specs`, in their order (probes without a verified cycle are left out).
    func recentMedians(of specs: [ProbeSpec]) -> [(spec: ProbeSpec, medians: [Double])] {
        let copy = histories.withLock { $0 }
        return specs.compactMap { spec in copy[spec].map { (spec, $0) } }
    }

    func recordProfile(_ cycle: ProfileSpan) {
        profiles.withLock {
            $0.append(cycle)
            if $0.count > Self.profilesKept { $0.removeFirst($0.count - Self.profilesKept) }
        }
    }

    func recentProfiles() -> [ProfileSpan] { profiles.withLock { $0 } }
    func current() -> CycleSnapshot { snapshot.withLock { $0 } }

    func recordReload(successful: Bool, at time: Double) {
        reloadStatus.withLock {
            $0.successful = successful
            if successful { $0.lastSuccessTimestamp = time }
        }
    }

    func reload() -> AgentFamilies.ReloadStatus { reloadStatus.withLock { $0 } }

    /// Ready once a cycle has finished and a backend is up.
    var isReady: Bool { snapshot.withLock { $0.cycle > 0 && $0.backendUp } }
}
