import Synchronization

/// One GPU in a probe cycle (docs/cuda.md), with its own fault and recovery policy: the GPU's
/// `CUDABackend`, its probes every cycle, and what takes it down or brings it back. It goes down
/// (its context reset and released, its remaining probes skipped) on a sticky error, a kernel that
/// never completes (its probe times out), kernels the driver cannot load, or CUDA_ERROR_UNKNOWN /
/// CUDA_ERROR_DEVICE_UNAVAILABLE failing `lostDeviceStreak` probes in a row (or every probe of a
/// shorter cycle); while down its probes are skipped with the reason until a recovery attempt
/// (CUDARecoveryBackoff: 1 s, 2 s, 4 s, … up to 5 min) resets it and loads the kernels again,
/// successfully. Before each probe its buffers are checked against the GPU's free memory
/// (cuMemGetInfo), as the CPU's are against the host's: a probe that cannot fit is skipped.
///
/// The platform (driver, contexts) is shared by every GPU's runner (`CUDARunners` in the agent,
/// `DeviceSet` in the CLI); each runner touches only its own device of it. Owned by the thread that
/// runs the cycle; only `cancel()` is called from elsewhere (stop).
public final class CUDAProbeRunner: DeviceRunner, @unchecked Sendable {
    // @unchecked: everything but `active` is touched by the cycle's thread only.
    public static let lostDeviceStreak = 3
    private let platform: CUDAPlatform
    /// The GPU's index in `platform.devices`.
    public let index: Int
    public private(set) var backend: CUDABackend?
    /// Probes in a row that failed with an error that `suggestsLostDevice`.
    private var lostDeviceErrors = 0
    private let active = Mutex<CUDABackend?>(nil)
    private let log: RunnerLog
    private let memory: MemoryTracker
    private var suite: () throws(ProbeInputError) -> [ProbeSpec] = { [] }
    private var config = BenchmarkConfig()

    public init(platform: CUDAPlatform, index: Int, log: RunnerLog = .discard, memory: MemoryTracker = MemoryTracker()) {
        self.platform = platform
        self.index = index
        self.log = log
        self.memory = memory
    }

    /// cuda0, cuda1, …
    public var device: String { platform.devices[index].info.device }

    /// Takes the settings of the next cycle: the GPU's probes (a suite that can be invalid, as a
    /// config's can) and the run settings.
    public func configure(suite: @escaping () throws(ProbeInputError) -> [ProbeSpec], config: BenchmarkConfig) {
        self.suite = suite
        self.config = config
    }

    /// Loads the kernels now rather than at the first probe, for a command that must refuse to
    /// start on a GPU that cannot run them. Throws why not.
    public func loadBackend() throws(CUDAUnavailable) {
        guard backend == nil else { return }
        let gpu = platform.devices[index]
        guard gpu.up, let context = gpu.context else { throw CUDAUnavailable(reason: "\(device) is down: \(gpu.reason)") }
        do { backend = try CUDABackend(info: gpu.info, context: context, tracker: memory) } catch {
            throw CUDAUnavailable(reason: "\(device): \(error)")
        }
    }

    public func run(_ context: CycleContext) -> [ProbeResult] {
        recoverIfDue()
        let name = device
        let specs: [ProbeSpec]
        do { specs = try suite() } catch {
            log.error("CUDA probe suite invalid", [("device", name), ("reason", error.description)])
            return []
        }
        guard !specs.isEmpty else { return [] }
        let gpu = platform.devices[index]
        guard gpu.up, let gpuContext = gpu.context else {
            backend = nil
            return specs.map { .notRun($0, reason: "device down: \(gpu.reason)") }
        }
        let backend: CUDABackend
        if let existing = self.backend {
            backend = existing
        } else {
            // Whatever stops the backend (kernels the driver cannot load, a broken context)
            // stops every probe on this GPU: down, and retried with backoff by recovery.
            do { backend = try CUDABackend(info: gpu.info, context: gpuContext, tracker: memory) } catch {
                takeDown(reason: error.description)
                return specs.map { .notRun($0, reason: "device down: \(error.description)") }
            }
            self.backend = backend
        }
        active.withLock { $0 = backend }
        defer { active.withLock { $0 = nil } }
        let benchmarker = Benchmarker(config: config, backend: backend)
        var results: [ProbeResult] = []
        for (position, spec) in specs.enumerated() {
            if context.isStopping() { break }
            context.willRun(spec)
            // A free-memory reading that fails leaves the probe to run: its own allocation then
            // says what is wrong, and the fault policy below acts on it.
            do { try spec.requireMemory(availableBytes: try? gpuContext.memoryInfo().free) } catch {
                log.warning("probe skipped", [("probe", "\(spec)"), ("reason", error.description)])
                results.append(.notRun(spec, reason: error.description, kernelPath: backend.kernelPath, threads: backend.threads))
                continue
            }
            results.append(runAccounted(spec, on: benchmarker, context: context, memory: memory, log: log))
            var downReason = backend.faultReason
            if let error = backend.takeLastError(), error.suggestsLostDevice {
                lostDeviceErrors += 1
                let streak = lostDeviceErrors
                if streak >= min(Self.lostDeviceStreak, specs.count), downReason == nil {
                    downReason = "\(error) (" + (streak >= Self.lostDeviceStreak ? "\(streak) probes in a row" : "every probe of the cycle") + ")"
                }
            } else {
                lostDeviceErrors = 0
            }
            if let reason = downReason {
                takeDown(reason: reason)
                results += specs[(position + 1)...].map { .notRun($0, reason: "device down: \(reason)") }
                break
            }
        }
        return results
    }

    /// A down GPU whose recovery attempt is due is reset and its kernels loaded again.
    private func recoverIfDue() {
        let attempts = platform.recoverDue(only: index) { (gpu: CUDAPlatform.Device, context: CUDAContext) throws in
            backend = try CUDABackend(info: gpu.info, context: context, tracker: memory)
            lostDeviceErrors = 0
        }
        for attempt in attempts {
            if let error = attempt.error {
                let delay = platform.devices[index].recovery?.delay ?? 0
                log.warning(
                    "CUDA device recovery failed",
                    [
                        ("device", attempt.device), ("reason", error),
                        ("next_attempt_in_seconds", formatSecondsShort(delay)),
                    ])
            } else {
                log.info("CUDA device recovered", [("device", attempt.device)])
            }
        }
    }

    /// Resets and releases the context, schedules recovery, then drops the backend: after a hung
    /// kernel the context must be reset before the backend's module and stream are let go.
    private func takeDown(reason: String) {
        platform.markDown(index, reason: reason)
        backend = nil
        lostDeviceErrors = 0
        let delay = platform.devices[index].recovery?.delay ?? CUDARecoveryBackoff.firstDelay
        log.error("CUDA device down", [("device", device), ("reason", reason), ("next_attempt_in_seconds", formatSecondsShort(delay))])
    }

    /// Reads the GPU's memory; a sticky error there takes it down.
    public func finishCycle(host: HostMemoryStatus) {
        for gpu in platform.refreshMemory(only: index) {
            backend = nil
            log.error("CUDA device down", [("device", gpu.info.device), ("reason", gpu.reason)])
        }
    }

    public var statuses: [DeviceStatus] { [platform.deviceStatus(index)] }

    public func cancel() { active.withLock { $0?.cancel() } }

    /// Drops the backend (module, stream) before the platform releases the context it lives in.
    func release() { backend = nil }
}
