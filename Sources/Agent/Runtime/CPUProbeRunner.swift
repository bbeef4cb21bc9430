import BitProbe
import Logging
import Synchronization

/// The CPU in the agent's probe cycle: one `CPUBackend`, made again when `probes.threads` or
/// `probes.simd` change, and the CPU suite run on it. Each probe is first checked against the
/// memory available then, as `bench` does: a probe that cannot fit is skipped with its reason
/// instead of driving the host into swap. A backend that cannot be made leaves cpu0 down.
///
/// Owned by the scheduler thread; only `cancel()` is called from elsewhere (stop).
final class CPUProbeRunner: DeviceRunner, @unchecked Sendable {
    // @unchecked: everything but `active` is touched by the scheduler thread only.
    private(set) var backend: CPUBackend?
    private var backendSettings: (threads: Int?, simd: SIMDPath?)?
    private var backendError = ""
    private let active = Mutex<CPUBackend?>(nil)
    private var specs: [ProbeSpec] = []
    private var config = BenchmarkConfig()
    private var host = HostMemoryStatus()
    private let cpuModel = HostInfo.read().cpuModel
    private let logger: Logger
    private let memory: MemoryTracker

    init(logger: Logger, memory: MemoryTracker) {
        self.logger = logger
        self.memory = memory
    }

    /// Takes the settings of the next cycle; the backend is made again only when they changed.
    func configure(threads: Int?, simd: SIMDPath?, specs: [ProbeSpec], config: BenchmarkConfig) {
        self.specs = specs
        self.config = config
        if let settings = backendSettings, settings == (threads, simd) { return }
        do {
            backend = try CPUBackend(threads: threads, simdPath: simd, bufferPool: BufferPool(tracker: memory))
            backendError = ""
        } catch {
            backend = nil
            backendError = error.description
            logger.error("CPU backend unavailable", metadata: ["reason": "\(error.description)"])
        }
        active.withLock { $0 = backend }
        backendSettings = (threads, simd)
    }

    func run(_ context: CycleContext) -> [ProbeResult] {
        guard let backend else { return [] }
        let benchmarker = Benchmarker(config: config, backend: backend)
        var results: [ProbeResult] = []
        for spec in specs {
            if context.isStopping() { break }
            do { try spec.requireMemory(availableBytes: HostInfo.read().memoryAvailableBytes) } catch {
                logger.warning("probe skipped", metadata: ["probe": "\(spec)", "reason": "\(error.description)"])
                results.append(.notRun(spec, reason: error.description, kernelPath: backend.kernelPath, threads: backend.threads))
                continue
            }
            results.append(runLogged(spec, on: benchmarker, span: context.span, memory: memory, logger: logger))
        }
        return results
    }

    func finishCycle(host: HostMemoryStatus) {
        backend?.releaseIdleMemory()
        self.host = host
    }

    var statuses: [DeviceStatus] {
        [DeviceStatus(backend: .cpu, device: "cpu0", name: cpuModel, up: backend != nil, reason: backendError,
                      extraInfo: [("simd_path", backend?.simdPath.rawValue ?? ""), ("threads", backend.map { String($0.threads) } ?? "")],
                      memoryFreeBytes: host.availableBytes, memoryTotalBytes: host.totalBytes)]
    }

    func cancel() { active.withLock { $0?.cancel() } }
}

/// Runs one probe with its memory accounted to it, logging what an operator should see: memory
/// the probe still held at its end, and a run that did not verify. Shared by the CPU and GPU runners.
func runLogged(_ spec: ProbeSpec, on benchmarker: Benchmarker, span: ProfileSpan, memory: MemoryTracker, logger: Logger) -> ProbeResult {
    memory.beginProbe(spec.description)
    let result = benchmarker.run(spec, profile: span)
    for leak in memory.endProbe() {
        logger.warning("probe ended holding memory", metadata: ["probe": "\(leak.probe)", "bytes": "\(leak.bytes)", "allocations": "\(leak.allocations)"])
    }
    if result.outcome != .ok {
        logger.warning("probe did not verify", metadata: ["probe": "\(spec)", "result": "\(result.outcome.rawValue)", "detail": "\(result.detail ?? "")"])
    }
    return result
}
