/// Everything one probe cycle found, as a value: what the agent's consumers (metrics, rules,
/// traces, the published snapshot) and tests read, each without measuring anything again.
public struct CycleReport: Sendable {
    /// 1 for the first cycle.
    public var number: Int
    /// Every runner's results, in runner order and, within a runner, in probe order.
    public var results: [ProbeResult]
    /// The cycle's span tree: a root `cycle` with one child per probe that ran.
    public var span: ProfileSpan
    /// The devices after the cycle, in runner order.
    public var devices: [DeviceStatus]
    /// The host's memory, read once after the probes.
    public var hostMemory: HostMemoryStatus
    /// Memory pressure per device, assessed once: cpu0 from `hostMemory`, each GPU that has a
    /// reading from its free and total memory (docs/memory.md).
    public var memoryPressure: [String: MemoryPressureLevel]
    /// The share of the probes' wall time in which some task waited for a CPU (Linux PSI); nil
    /// without PSI.
    public var cpuPressureShare: Double?
    /// Unix time the cycle started, and the seconds its probes took (runners included, up to the
    /// memory reading).
    public var startedAt: Double
    public var probeSeconds: Double
    /// Whether stop was asked for during the cycle: its results are partial.
    public var stopped: Bool
}
