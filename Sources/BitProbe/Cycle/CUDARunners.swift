import Synchronization

/// The agent's GPUs (docs/cuda.md): the platform opened as `backends.cuda` says and one
/// `CUDAProbeRunner` per GPU on it, each with its own fault and recovery policy. A platform that
/// is down as a whole is one status row (`device="cuda"`) and no probes; one that is off, nothing.
///
/// Owned by the thread that runs the cycle; only `cancel()` is called from elsewhere (stop).
public final class CUDARunners: @unchecked Sendable {
    // @unchecked: everything but `gpus` is touched by the cycle's thread only; `gpus` is what
    // `cancel()` reaches from another thread.
    public private(set) var platform: CUDAPlatform?
    /// What the cycle runs for the GPUs: one runner per GPU, or the down platform's status row.
    public private(set) var runners: [any DeviceRunner] = []
    private let gpus = Mutex<[CUDAProbeRunner]>([])
    private let log: RunnerLog
    private let memory: MemoryTracker

    public init(log: RunnerLog = .discard, memory: MemoryTracker = MemoryTracker()) {
        self.log = log
        self.memory = memory
    }

    public var mode: CUDAMode? { platform?.mode }

    /// Opens the GPUs as `backends.cuda` says, releasing the previous mode's contexts, and logs
    /// the outcome once: a node without a driver in auto mode only at info.
    public func open(mode: CUDAMode, library: String = CUDADriver.configuredLibrary) {
        close()
        let platform = CUDAPlatform.open(mode: mode, library: library)
        self.platform = platform
        var opened: [CUDAProbeRunner] = []
        switch platform.status {
        case .off(let reason):
            log.info("CUDA backend off", [("mode", platform.mode.rawValue), ("reason", reason)])
            runners = []
        case .down(let reason):
            log.error("CUDA backend down", [("mode", platform.mode.rawValue), ("library", platform.library), ("reason", reason)])
            runners = [PlatformDown(platform: platform)]
        case .up:
            for (index, device) in platform.devices.enumerated() {
                if device.up {
                    log.info(
                        "CUDA device found",
                        [
                            ("device", device.info.device), ("name", device.info.name), ("uuid", device.info.uuid),
                            ("compute_capability", device.info.computeCapability),
                            ("driver", platform.driverVersion ?? ""),
                        ])
                } else {
                    log.error("CUDA device down", [("device", device.info.device), ("reason", device.reason)])
                }
                opened.append(CUDAProbeRunner(platform: platform, index: index, log: log, memory: memory))
            }
            runners = opened
        }
        gpus.withLock { $0 = opened }
    }

    /// Each GPU's suite (by device name) and the run settings, for the next cycle.
    public func configure(suite: @escaping (String) throws(ProbeInputError) -> [ProbeSpec], config: BenchmarkConfig) {
        for gpu in gpus.withLock({ $0 }) {
            let name = gpu.device
            gpu.configure(suite: { () throws(ProbeInputError) -> [ProbeSpec] in try suite(name) }, config: config)
        }
    }

    /// Drops every backend (modules, streams) before the contexts they live in.
    public func close() {
        let closing = gpus.withLock { gpus in
            defer { gpus = [] }
            return gpus
        }
        for gpu in closing { gpu.release() }
        runners = []
        platform?.close()
    }

    public func cancel() {
        for gpu in gpus.withLock({ $0 }) { gpu.cancel() }
    }

    /// The platform down as a whole: no probes, the one row that says why.
    private final class PlatformDown: DeviceRunner {
        let platform: CUDAPlatform
        init(platform: CUDAPlatform) { self.platform = platform }
        func run(_ context: CycleContext) -> [ProbeResult] { [] }
        func finishCycle(host: HostMemoryStatus) {}
        var statuses: [DeviceStatus] { platform.deviceStatuses }
        func cancel() {}
    }
}
