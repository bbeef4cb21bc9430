/// One probe cycle over a list of device runners (the CPU, the GPUs): runs each in order, reads
/// the host's memory and CPU pressure once, and returns the `CycleReport`. It publishes nothing
/// and knows nothing of metrics, rules or HTTP; whoever runs it hands the report on.
///
/// ```swift
/// let cycle = ProbeCycle(runners: [cpuRunner, gpuRunner])
/// let report = cycle.run(number: 1, isStopping: { false })
/// ```
public struct ProbeCycle {
    public var runners: [any DeviceRunner]
    /// The readings, injected so tests can fake the host.
    public var readHostMemory: () -> HostMemoryStatus
    /// Microseconds some task has waited for a CPU since boot (PSI `some total`), nil without PSI.
    public var readCPUStall: () -> UInt64?
    public var monotonicSeconds: () -> Double
    public var wallSeconds: () -> Double
    /// Whether each probe is a child span of the cycle's (the agent); see `CycleContext.profilesProbes`.
    public var profilesProbes = true

    public init(
        runners: [any DeviceRunner], readHostMemory: @escaping () -> HostMemoryStatus = { HostMemoryStatus.read() },
        readCPUStall: @escaping () -> UInt64? = ProbeCycle.ownCPUStall(),
        monotonicSeconds: @escaping () -> Double = MonotonicClock.seconds, wallSeconds: @escaping () -> Double = WallClock.unixSeconds
    ) {
        self.runners = runners
        self.readHostMemory = readHostMemory
        self.readCPUStall = readCPUStall
        self.monotonicSeconds = monotonicSeconds
        self.wallSeconds = wallSeconds
    }

    /// The stall reading of this process's own cgroup where cgroup v2 gives one, else the machine's.
    public static func ownCPUStall() -> () -> UInt64? {
        let path = CPUPressure.ownPath()
        return { CPUPressure.someTotalMicroseconds(path: path) }
    }

    /// Runs every runner in order, each after the previous one finished; once `isStopping` says so
    /// the runners still to come are not started.
    /// `willRun` is told before each probe runs.
    public func run(number: Int, isStopping: @escaping () -> Bool, willRun: @escaping (ProbeSpec) -> Void = { _ in }) -> CycleReport {
        let startedAt = wallSeconds()
        let start = monotonicSeconds()
        let stallBefore = readCPUStall()
        let span = ProfileSpan.root("cycle", attributes: [("bitprobe.cycle", .int(Int64(number)))])
        let context = CycleContext(span: span, isStopping: isStopping, profilesProbes: profilesProbes, willRun: willRun)
        var results: [ProbeResult] = []
        for runner in runners {
            if isStopping() { break }
            results += runner.run(context)
        }
        // Other work waiting for the CPUs while the probes ran (PSI): such a cycle's timings are
        // kept out of the regression rules (AlertRule.maxCPUPressure).
        let probeSeconds = max(monotonicSeconds() - start, 1e-6)
        let cpuPressureShare = stallBefore.flatMap { before in
            readCPUStall().map { min(1, Double($0 &- before) / 1e6 / probeSeconds) }
        }
        let host = readHostMemory()
        for runner in runners { runner.finishCycle(host: host) }
        let devices = runners.flatMap(\.statuses)
        var pressure = ["cpu0": MemoryPressureLevel.assess(host)]
        for device in devices where device.backend != .cpu && device.up && device.memoryFreeBytes != nil {
            pressure[device.device] = .assessDevice(freeBytes: device.memoryFreeBytes, totalBytes: device.memoryTotalBytes)
        }
        span.setAttribute("bitprobe.probes", .int(Int64(results.count)))
        if let cpuPressureShare { span.setAttribute("bitprobe.cpu_pressure", .double(cpuPressureShare)) }
        span.end()
        return CycleReport(
            number: number, results: results, span: span, devices: devices, hostMemory: host, memoryPressure: pressure,
            cpuPressureShare: cpuPressureShare, startedAt: startedAt, probeSeconds: probeSeconds, stopped: isStopping())
    }
}
