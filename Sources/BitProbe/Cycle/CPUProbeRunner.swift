import Synchronization

/// The CPU in a probe cycle: one `CPUBackend`, made again when the threads or the SIMD path
/// change, and the CPU's probes run on it. Each probe is first checked against the memory
/// available then (`ProbeSpec.requireMemory`, as `bench` does): a probe that cannot fit is skipped
/// with its reason instead of driving the host into swap. A backend that cannot be made leaves
/// cpu0 down, with the reason in `backendError`.
///
/// ```swift
/// let cpu = CPUProbeRunner()
/// cpu.configure(threads: 2, simd: nil, specs: specs, config: BenchmarkConfig())
/// let report = ProbeCycle(runners: [cpu]).run(number: 1, isStopping: { false })
/// ```
///
/// Owned by the thread that runs the cycle; only `cancel()` is called from elsewhere (stop).
public final class CPUProbeRunner: DeviceRunner, @unchecked Sendable {
    // @unchecked: everything but `active` is touched by the cycle's thread only.
    public private(set) var backend: CPUBackend?
    /// Why `backend` could not be made; empty when it was.
    public private(set) var backendError = ""
    private var backendSettings: (threads: Int?, simd: SIMDPath?)?
    private let active = Mutex<CPUBackend?>(nil)
    private var specs: [ProbeSpec] = []
    private var config = BenchmarkConfig()
    private var host = HostMemoryStatus()
    private let cpuModel = HostInfo.read().cpuModel
    private let log: RunnerLog
    private let memory: MemoryTracker
    private let availableMemory: () -> Int?

    /// `availableMemory` is read before each probe (the host's MemAvailable by default).
    public init(
        log: RunnerLog = .discard, memory: MemoryTracker = MemoryTracker(),
        availableMemory: @escaping () -> Int? = { HostInfo.read().memoryAvailableBytes }
    ) {
        self.log = log
        self.memory = memory
        self.availableMemory = availableMemory
    }

    /// Takes the settings of the next cycle; the backend is made again only when they changed.
    public func configure(threads: Int?, simd: SIMDPath?, specs: [ProbeSpec], config: BenchmarkConfig) {
        self.specs = specs
        self.config = config
        if let settings = backendSettings, settings == (threads, simd) { return }
        do {
            backend = try CPUBackend(threads: threads, simdPath: simd, bufferPool: BufferPool(tracker: memory))
            backendError = ""
        } catch {
            backend = nil
            backendError = error.description
            log.error("CPU backend unavailable", [("reason", error.description)])
        }
        active.withLock { $0 = backend }
        backendSettings = (threads, simd)
    }

    public func run(_ context: CycleContext) -> [ProbeResult] {
        guard let backend else { return [] }
        let benchmarker = Benchmarker(config: config, backend: backend)
        var results: [ProbeResult] = []
        for spec in specs {
            if context.isStopping() { break }
            context.willRun(spec)
            do { try spec.requireMemory(availableBytes: availableMemory()) } catch {
                log.warning("probe skipped", [("probe", "\(spec)"), ("reason", error.description)])
                results.append(.notRun(spec, reason: error.description, kernelPath: backend.kernelPath, threads: backend.threads))
                continue
            }
            results.append(runAccounted(spec, on: benchmarker, context: context, memory: memory, log: log))
        }
        return results
    }

    public func finishCycle(host: HostMemoryStatus) {
        backend?.releaseIdleMemory()
        self.host = host
    }

    public var statuses: [DeviceStatus] {
        [
            DeviceStatus(
                backend: .cpu, device: "cpu0", name: cpuModel, up: backend != nil, reason: backendError,
                extraInfo: [("simd_path", backend?.simdPath.rawValue ?? ""), ("threads", backend.map { String($0.threads) } ?? "")],
                memoryFreeBytes: host.availableBytes, memoryTotalBytes: host.totalBytes)
        ]
    }

    public func cancel() { active.withLock { $0?.cancel() } }
}
