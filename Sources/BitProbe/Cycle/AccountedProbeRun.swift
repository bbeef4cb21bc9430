/// Runs one probe with its memory accounted to it, reporting what an operator should see: memory
/// the probe still held at its end, and a run that did not verify. Shared by the CPU and GPU runners.
func runAccounted(_ spec: ProbeSpec, on benchmarker: Benchmarker, context: CycleContext, memory: MemoryTracker, log: RunnerLog) -> ProbeResult {
    memory.beginProbe(spec.description)
    let result = benchmarker.run(spec, profile: context.probeParent)
    for leak in memory.endProbe() {
        log.warning("probe ended holding memory", [("probe", leak.probe), ("bytes", "\(leak.bytes)"), ("allocations", "\(leak.allocations)")])
    }
    if result.outcome != .ok {
        log.warning("probe did not verify", [("probe", "\(spec)"), ("result", result.outcome.rawValue), ("detail", result.detail ?? "")])
    }
    return result
}
