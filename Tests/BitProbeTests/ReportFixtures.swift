@testable import BitProbe

/// Probe results with chosen medians, built the way the runner builds them (statistics and
/// throughput from the samples), for the report and recommendation tests.
enum ReportFixtures {
    static func result(
        _ op: ProbeOp, _ dtype: DType, _ shape: [Int], median: Double, outcome: ProbeOutcome = .ok,
        spread: Double = 0, threads: Int = 2, device: String = "cpu0", backend: BackendKind = .cpu
    ) -> ProbeResult {
        let spec = try! ProbeSpec(backend: backend, device: device, op: op, dtype: dtype, shape: ProbeShape(shape))
        // Five samples around the median: median exactly, CV set by `spread`.
        let samples = outcome == .ok ? [median * (1 - spread), median * (1 - spread / 2), median, median * (1 + spread / 2), median * (1 + spread)] : []
        let statistics = SampleStatistics(samples)
        return ProbeResult(
            spec: spec, outcome: outcome, detail: outcome == .ok ? nil : "injected \(outcome.rawValue)", startedAt: 1_800_000_000, wallSeconds: 1,
            warmupIterations: 1, samples: samples, statistics: statistics,
            operationsPerSecond: outcome == .ok ? spec.operationsPerIteration.map { $0 / median } : nil,
            bytesPerSecond: outcome == .ok ? spec.bytesPerIteration / median : nil,
            verification: VerificationReport(
                checkedValues: 100, wrongValues: outcome == .mismatch ? 3 : 0, worstErrorRatio: outcome == .mismatch ? 40 : 0.1,
                tolerance: "test", firstMismatch: outcome == .mismatch ? "c[0,1] = 2 (expected 1)" : nil),
            kernelPath: "avx2", threads: threads, seed: 1)
    }

    /// A small suite: a copy ceiling of 20 GB/s, matmul f32/f16, a ternary GEMV 10x faster than f32.
    static var suite: [ProbeResult] {
        [
            result(.copy, .bytes, [1 << 26], median: Double(2 << 26) / 20e9),
            result(.matmul, .f32, [512, 512, 512], median: 2 * 512 * 512 * 512 / 100e9),
            result(.matmul, .f16, [512, 512, 512], median: 2 * 512 * 512 * 512 / 100e9 * 1.02),
            result(.matmul, .f32, [1, 4096, 4096], median: 4e-3),
            result(.ternaryMatmul, .i8Ternary, [1, 4096, 4096], median: 4e-4),
            result(.add, .f32, [1 << 22], median: 12.0 * Double(1 << 22) / 18e9),
        ]
    }
}
