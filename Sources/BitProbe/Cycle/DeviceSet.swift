/// The devices a one-shot command probes (`bench`, `compare`, `report`), as runners of one probe
/// cycle: the CPU and the chosen GPUs. The same runners as the agent's, so a probe that does not
/// fit a device's memory is skipped and a GPU that faults goes down the same way; what differs is
/// that a command refuses to start where the agent would carry on (a backend that cannot be made,
/// a named GPU that is not there, a probe too big for the host).
///
/// ```swift
/// let devices = try DeviceSet.open(threads: nil, gpus: .every)
/// defer { devices.close() }
/// let results = try devices.run(specs, config: BenchmarkConfig())
/// ```
public final class DeviceSet {
    /// Which GPUs to probe.
    public enum GPUs: Equatable, Sendable {
        /// None: the driver is not opened.
        case none
        /// Every GPU that is up, or the named one; no GPU at all is a `note`, a named one that is
        /// not there an error.
        case every(device: String?)
        /// The named GPU or the first that is up; no GPU is an error.
        case one(device: String?)
    }

    /// Why a command cannot start: a bad selection (usage) or a machine that cannot run it.
    public enum Refusal: Error, Sendable, CustomStringConvertible {
        case usage(String)
        case couldNotRun(String)

        public var description: String {
            switch self {
            case .usage(let message), .couldNotRun(let message): message
            }
        }
    }

    public let cpu: CPUProbeRunner?
    public let gpus: [CUDAProbeRunner]
    /// Why there is no GPU, when `.every` found none.
    public let note: String?
    private let platform: CUDAPlatform?
    /// The CPU backend's settings, given again with each run's probes (the same settings keep the backend).
    private var cpuSettings: (threads: Int?, simd: SIMDPath?) = (nil, nil)

    private init(cpu: CPUProbeRunner?, gpus: [CUDAProbeRunner], note: String?, platform: CUDAPlatform?) {
        self.cpu = cpu
        self.gpus = gpus
        self.note = note
        self.platform = platform
    }

    /// `cpu` false leaves the CPU out (bench on a GPU). The GPUs' kernels are loaded here, so a
    /// driver that cannot load them refuses the command before anything runs.
    public static func open(
        cpu: Bool = true, threads: Int?, simd: SIMDPath? = nil, gpus selection: GPUs,
        memory: MemoryTracker = MemoryTracker()
    ) throws(Refusal) -> DeviceSet {
        var cpuRunner: CPUProbeRunner?
        if cpu {
            let runner = CPUProbeRunner(memory: memory)
            runner.configure(threads: threads, simd: simd, specs: [], config: BenchmarkConfig())
            guard runner.backend != nil else { throw .couldNotRun(runner.backendError) }
            cpuRunner = runner
        }
        let set = try openGPUs(selection, memory: memory, cpu: cpuRunner)
        set.cpuSettings = (threads, simd)
        return set
    }

    private static func openGPUs(_ selection: GPUs, memory: MemoryTracker, cpu cpuRunner: CPUProbeRunner?) throws(Refusal) -> DeviceSet {
        let device: String?
        switch selection {
        case .none: return DeviceSet(cpu: cpuRunner, gpus: [], note: nil, platform: nil)
        case .every(let named), .one(let named): device = named
        }
        let unavailable = { (reason: String) in ProbeInputError.backendUnavailable(.cuda, reason: reason).description }
        let choice: CUDADeviceChoice
        switch CUDADeviceChoice.open(device: device) {
        case .success(let opened): choice = opened
        case .failure(let error):
            // A named GPU that is not there is a mistake; no GPU at all is what this node is.
            if selection == .every(device: nil) { return DeviceSet(cpu: cpuRunner, gpus: [], note: "no CUDA device: \(error.reason)", platform: nil) }
            throw .couldNotRun(unavailable(error.reason))
        }
        let indices = if case .one = selection { Array(choice.indices.prefix(1)) } else { choice.indices }
        let set = DeviceSet(
            cpu: cpuRunner, gpus: indices.map { CUDAProbeRunner(platform: choice.platform, index: $0, memory: memory) },
            note: nil, platform: choice.platform)
        for gpu in set.gpus {
            do { try gpu.loadBackend() } catch {
                set.close()
                throw .couldNotRun(unavailable(error.reason))
            }
        }
        return set
    }

    /// Every device probed, CPU first.
    public var runners: [any DeviceRunner] { (cpu.map { [$0] } ?? []) + gpus }

    /// Runs each probe on its device (`spec.device`) in one probe cycle, devices in order and each
    /// device's probes in the order given. A probe whose buffers exceed the host's available memory
    /// refuses the whole run before anything allocates; `progress(done, total, spec)` is told before
    /// each probe runs.
    public func run(_ specs: [ProbeSpec], config: BenchmarkConfig, progress: @escaping (Int, Int, ProbeSpec) -> Void = { _, _, _ in })
        throws(Refusal) -> [ProbeResult]
    {
        let available = HostInfo.read().memoryAvailableBytes
        for spec in specs {
            do { try spec.requireMemory(availableBytes: available) } catch { throw .couldNotRun(error.description) }
        }
        let known = Set(runners.flatMap { $0.statuses.map(\.device) })
        if let stray = specs.first(where: { !known.contains($0.device) }) {
            throw .usage("no device \(stray.device) to run \(stray) on")
        }
        cpu?.configure(threads: cpuSettings.threads, simd: cpuSettings.simd, specs: specs.filter { $0.device == "cpu0" }, config: config)
        for gpu in gpus {
            let own = specs.filter { $0.device == gpu.device }
            gpu.configure(suite: { own }, config: config)
        }
        var cycle = ProbeCycle(runners: runners)
        cycle.profilesProbes = false
        var done = 0
        let report = cycle.run(number: 1, isStopping: { false }) { spec in
            done += 1
            progress(done, specs.count, spec)
        }
        return report.results
    }

    /// Releases the GPUs' backends, then their contexts and the driver.
    public func close() {
        for gpu in gpus { gpu.release() }
        platform?.close()
    }
}
