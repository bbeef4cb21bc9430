/// How a probe run ended. The raw values are the `result` label of `bitprobe_probe_runs_total`.
public enum ProbeOutcome: String, Codable, Sendable, CaseIterable {
    /// Ran to completion and the result verified.
    case ok
    /// The backend reported an error (allocation, kernel, device).
    case failed
    /// Did not finish within the per-probe timeout.
    case timeout
    /// Ran, but the result disagreed with the reference: no throughput is reported.
    case mismatch
    /// Not run (for example, not enough memory for its buffers).
    case skipped
}

/// What the verifier compared and what it found.
public struct VerificationReport: Codable, Equatable, Sendable {
    /// How many output values were compared with the reference.
    public var checkedValues: Int
    /// How many of them were outside the tolerance.
    public var wrongValues: Int
    /// Largest |got - expected| / allowed over the checked values (<= 1 passes).
    public var worstErrorRatio: Double
    /// The tolerance rule, e.g. "|c - ref| <= (K + 2) * 2^-24 * sum|a*b|".
    public var tolerance: String
    /// The first wrong value, when there is one: where, what it was, what it should have been.
    public var firstMismatch: String?

    public var passed: Bool { wrongValues == 0 }
}

/// The outcome of one probe: per-iteration samples, their statistics and derived throughput.
/// Throughput is present only for `ok` runs.
public struct ProbeResult: Codable, Sendable {
    public var spec: ProbeSpec
    public var outcome: ProbeOutcome
    /// Why the probe did not end `ok`.
    public var detail: String?
    /// Unix time (seconds) the probe started.
    public var startedAt: Double
    /// Wall time of the whole probe run: allocation, inputs, warmup, measurement, verification.
    public var wallSeconds: Double
    public var warmupIterations: Int
    /// Seconds per measured iteration, in the order measured.
    public var samples: [Double]
    /// When each sample is the mean of several back-to-back iterations timed as one span (GPU
    /// kernel probes whose single iteration is too short to time alone), how many; nil: one.
    public var iterationsPerSample: Int? = nil
    public var statistics: SampleStatistics?
    /// Counted operations per second at the median iteration time (matrix products only).
    public var operationsPerSecond: Double?
    /// Counted bytes per second at the median iteration time.
    public var bytesPerSecond: Double?
    public var verification: VerificationReport?
    /// The SIMD path (CPU) or device architecture the kernels ran on.
    public var kernelPath: String
    public var threads: Int
    public var seed: UInt64
    /// The trace and span of this run when it was profiled (hex), for exemplars and trace links.
    public var traceID: String?
    public var spanID: String?
    /// Every round, when the probe was measured in rounds (`baseline create`, `regress`): what the
    /// regression gate compares. The samples and statistics above are then those of the typical
    /// round (`RoundMeasurement`). Absent from bench results.
    public var rounds: [RoundSummary]? = nil
}
