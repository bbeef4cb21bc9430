/// How the runner measures each probe (the seed's `BenchmarkConfig`).
public struct BenchmarkConfig: Codable, Equatable, Sendable {
    /// Untimed iterations before measuring (caches, page faults, thread wake-up, clocks).
    public var warmupIterations: Int = 3
    /// Minimum number of timed iterations.
    public var measurementIterations: Int = 10
    /// Keep measuring until the timed iterations add up to at least this many seconds.
    public var minMeasurementSeconds: Double = 0.2
    /// A probe still running this many seconds after it started ends as `timeout`.
    public var timeoutSeconds: Double = 60
    /// Seed of the input generator; each probe derives its own stream from it and its spec.
    public var seed: UInt64 = 0x5EED_B17B
    /// Upper bound on samples per probe, so a tiny probe with a long minimum time stays bounded.
    public var maxSamples: Int = 100_000

    public init() {}

    /// The problems with these settings, each naming the flag it came from.
    public func validationErrors() -> [String] {
        var errors: [String] = []
        if warmupIterations < 0 { errors.append("--warmup must be at least 0 (got \(warmupIterations))") }
        if measurementIterations < 1 { errors.append("--iterations must be at least 1 (got \(measurementIterations))") }
        if !(minMeasurementSeconds >= 0) || !minMeasurementSeconds.isFinite {
            errors.append("--min-time must be a finite number of seconds >= 0 (got \(minMeasurementSeconds))")
        }
        if !(timeoutSeconds > 0) || !timeoutSeconds.isFinite { errors.append("--timeout must be a finite number of seconds > 0 (got \(timeoutSeconds))") }
        return errors
    }
}
