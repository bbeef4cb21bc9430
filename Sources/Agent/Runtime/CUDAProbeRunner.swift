import BitProbe
import Logging
import Synchronization

/// The GPUs in the agent (docs/cuda.md): the platform opened as `backends.cuda` says, one
/// `CUDABackend` per GPU that is up, each GPU's probes every cycle, and the fault handling around
/// them. A GPU goes down (its context reset and released, its remaining probes skipped) on a
/// sticky error, a kernel that never completes (its probe times out), kernels the driver cannot
/// load, or CUDA_ERROR_UNKNOWN / CUDA_ERROR_DEVICE_UNAVAILABLE failing `lostDeviceStreak` probes
/// in a row (or every probe of a shorter cycle); a down GPU's probes are skipped with the reason
/// until a recovery attempt (CUDARecoveryBackoff: 1 s, 2 s, 4 s, … up to 5 min) resets it, and
/// loads the kernels again, successfully.
///
/// Owned by the scheduler thread; only `cancel()` is called from elsewhere (stop).
final class CUDAProbeRunner: DeviceRunner, @unchecked Sendable {
    // @unchecked: everything but `active` is touched by the scheduler thread only.
    private(set) var platform: CUDAPlatform?
    private var backends: [String: CUDABackend] = [:]
    /// Probes in a row, per GPU, that failed with an error that `suggestsLostDevice`.
    private var lostDeviceErrors: [String: Int] = [:]
    static let lostDeviceStreak = 3
    private let active = Mutex<CUDABackend?>(nil)
    private let logger: Logger
    private let memory: MemoryTracker
    private var suite: (String) throws(ProbeInputError) -> [ProbeSpec] = { _ in [] }
    private var config = BenchmarkConfig()

    init(logger: Logger, memory: MemoryTracker) {
        self.logger = logger
        self.memory = memory
    }

    var mode: CUDAMode? { platform?.mode }

    /// Opens the GPUs as `backends.cuda` says, releasing the previous mode's contexts, and logs
    /// the outcome once: a node without a driver in auto mode only at info.
    func open(mode: CUDAMode) {
        close()
        let platform = CUDAPlatform.open(mode: mode)
        self.platform = platform
        switch platform.status {
        case .off(let reason):
            logger.info("CUDA backend off", metadata: ["mode": "\(platform.mode.rawValue)", "reason": "\(reason)"])
        case .down(let reason):
            logger.error("CUDA backend down", metadata: ["mode": "\(platform.mode.rawValue)", "library": "\(platform.library)", "reason": "\(reason)"])
        case .up:
            for device in platform.devices {
                if device.up {
                    logger.info("CUDA device found", metadata: ["device": "\(device.info.device)", "name": "\(device.info.name)",
                                                               "uuid": "\(device.info.uuid)", "compute_capability": "\(device.info.computeCapability)",
                                                               "driver": "\(platform.driverVersion ?? "")"])
                } else {
                    logger.error("CUDA device down", metadata: ["device": "\(device.info.device)", "reason": "\(device.reason)"])
                }
            }
        }
    }

    /// Drops every backend (modules, streams) before the contexts they live in.
    func close() {
        backends.removeAll()
        lostDeviceErrors.removeAll()
        platform?.close()
    }

    func cancel() { active.withLock { $0?.cancel() } }

    /// Takes the settings of the next cycle: each GPU's suite (by device name) and the run settings.
    func configure(suite: @escaping (String) throws(ProbeInputError) -> [ProbeSpec], config: BenchmarkConfig) {
        self.suite = suite
        self.config = config
    }

    /// Runs every GPU's probes of this cycle, each a child of the cycle's span.
    func run(_ cycle: CycleContext) -> [ProbeResult] {
        let isStopping = cycle.isStopping
        guard let platform, platform.status == .up else { return [] }
        let recovered = platform.recoverDue { (device: CUDAPlatform.Device, context: CUDAContext) throws in
            backends[device.info.device] = try CUDABackend(info: device.info, context: context, tracker: memory)
            lostDeviceErrors[device.info.device] = 0
        }
        for attempt in recovered {
            if let error = attempt.error {
                let delay = platform.devices.first { $0.info.device == attempt.device }?.recovery?.delay ?? 0
                logger.warning("CUDA device recovery failed", metadata: ["device": "\(attempt.device)", "reason": "\(error)",
                                                                         "next_attempt_in_seconds": "\(formatSecondsShort(delay))"])
            } else {
                logger.info("CUDA device recovered", metadata: ["device": "\(attempt.device)"])
            }
        }
        var results: [ProbeResult] = []
        func add(_ result: ProbeResult) { results.append(result) }
        for index in platform.devices.indices {
            if isStopping() { break }
            let device = platform.devices[index]
            let name = device.info.device
            let specs: [ProbeSpec]
            do { specs = try suite(name) } catch {
                logger.error("CUDA probe suite invalid", metadata: ["device": "\(name)", "reason": "\(error.description)"])
                continue
            }
            guard !specs.isEmpty else { continue }
            guard device.up, let context = device.context else {
                backends[name] = nil
                for spec in specs { add(.notRun(spec, reason: "device down: \(device.reason)")) }
                continue
            }
            let backend: CUDABackend
            if let existing = backends[name] {
                backend = existing
            } else {
                // Whatever stops the backend (kernels the driver cannot load, a broken context)
                // stops every probe on this GPU: down, and retried with backoff by recovery.
                do { backend = try CUDABackend(info: device.info, context: context, tracker: memory) } catch {
                    takeDown(index, reason: error.description)
                    for spec in specs { add(.notRun(spec, reason: "device down: \(error.description)")) }
                    continue
                }
                backends[name] = backend
            }
            active.withLock { $0 = backend }
            defer { active.withLock { $0 = nil } }
            let benchmarker = Benchmarker(config: config, backend: backend)
            for (position, spec) in specs.enumerated() {
                if isStopping() { break }
                add(runLogged(spec, on: benchmarker, span: cycle.span, memory: memory, logger: logger))
                var downReason = backend.faultReason
                if let error = backend.takeLastError(), error.suggestsLostDevice {
                    let streak = lostDeviceErrors[name, default: 0] + 1
                    lostDeviceErrors[name] = streak
                    if streak >= min(Self.lostDeviceStreak, specs.count), downReason == nil {
                        downReason = "\(error) (" + (streak >= Self.lostDeviceStreak ? "\(streak) probes in a row" : "every probe of the cycle") + ")"
                    }
                } else {
                    lostDeviceErrors[name] = 0
                }
                if let reason = downReason {
                    takeDown(index, reason: reason)
                    for rest in specs[(position + 1)...] { add(.notRun(rest, reason: "device down: \(reason)")) }
                    break
                }
            }
        }
        return results
    }

    /// Resets and releases the context, schedules recovery, then drops the backend: after a hung
    /// kernel the context must be reset before the backend's module and stream are let go.
    private func takeDown(_ index: Int, reason: String) {
        guard let platform else { return }
        let name = platform.devices[index].info.device
        platform.markDown(index, reason: reason)
        backends[name] = nil
        lostDeviceErrors[name] = 0
        let delay = platform.devices[index].recovery?.delay ?? CUDARecoveryBackoff.firstDelay
        logger.error("CUDA device down", metadata: ["device": "\(name)", "reason": "\(reason)",
                                                    "next_attempt_in_seconds": "\(formatSecondsShort(delay))"])
    }

    /// Reads every up GPU's memory; one that hit a sticky error is taken down.
    func finishCycle(host: HostMemoryStatus) {
        guard let platform else { return }
        for device in platform.refreshMemory() {
            backends[device.info.device] = nil
            logger.error("CUDA device down", metadata: ["device": "\(device.info.device)", "reason": "\(device.reason)"])
        }
    }

    var statuses: [DeviceStatus] { platform?.deviceStatuses ?? [] }
}
