extension ProbeResult {
    /// A probe that was not run, with why (a GPU that is down): counted as `skipped`, no samples.
    public static func notRun(
        _ spec: ProbeSpec, outcome: ProbeOutcome = .skipped, reason: String, kernelPath: String = "",
        threads: Int = 0, seed: UInt64 = BenchmarkConfig().seed
    ) -> ProbeResult {
        ProbeResult(
            spec: spec, outcome: outcome, detail: reason, startedAt: WallClock.unixSeconds(), wallSeconds: 0,
            warmupIterations: 0, samples: [], statistics: nil, operationsPerSecond: nil, bytesPerSecond: nil,
            verification: nil, kernelPath: kernelPath, threads: threads, seed: seed)
    }
}
