/// Runs one kind of device's probes in a probe cycle (`ProbeCycle`): the CPU, or the GPUs with
/// their fault and recovery policy. A runner owns its backends across cycles; the cycle calls it
/// on one thread, except `cancel()`, which stop calls from another.
public protocol DeviceRunner: AnyObject {
    /// This cycle's probes, in order, each profiled as a child of `context.span`; between probes
    /// the runner checks `context.isStopping` and ends early once it says so.
    func run(_ context: CycleContext) -> [ProbeResult]
    /// After every runner has run: release what the next cycle does not need and read the
    /// devices' memory, with the host as the cycle read it.
    func finishCycle(host: HostMemoryStatus)
    /// The devices as they are after the cycle.
    var statuses: [DeviceStatus] { get }
    /// Cancels the probe in flight (called from another thread).
    func cancel()
}

/// What a runner is given for one cycle.
public struct CycleContext {
    /// The cycle's root span; every probe span is its child.
    public var span: ProfileSpan
    public var isStopping: () -> Bool
    /// Whether probes are profiled under `span`. A one-shot CLI command turns it off: its results
    /// should not name a trace that nobody exports.
    public var profilesProbes: Bool
    /// Told before each probe runs (a CLI command's progress line).
    public var willRun: (ProbeSpec) -> Void

    public init(
        span: ProfileSpan, isStopping: @escaping () -> Bool, profilesProbes: Bool = true,
        willRun: @escaping (ProbeSpec) -> Void = { _ in }
    ) {
        self.span = span
        self.isStopping = isStopping
        self.profilesProbes = profilesProbes
        self.willRun = willRun
    }

    /// The span a probe's own span goes under, nil when probes are not profiled.
    public var probeParent: ProfileSpan? { profilesProbes ? span : nil }
}
