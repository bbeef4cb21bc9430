import ArgumentParser
import BitProbe

/// The probe selection of `bench` and the measurement flags of a round, shared by `baseline create`
/// and `regress`. Measurement flags are optional here because each command has its own defaults.
struct ProbeOptions: ParsableArguments {
    @Option(help: "Backend to probe (cpu; rounds run on the CPU only).")
    var backend: Choice<BackendKind>?

    @OptionGroup var selection: ProbeSelectionOptions

    @Option(
        help:
            "Rounds per probe (at least), round-robin over the suite, each in a process of its own; every round is kept and compared (create: 10; regress: 5).")
    var rounds: Int?

    @Option(help: "Untimed warmup iterations per probe and round (create: 3; regress: the baseline's).")
    var warmup: Int?

    @Option(help: "Minimum timed iterations per probe and round (create: 10; regress: the baseline's).")
    var iterations: Int?

    @Option(
        name: .customLong("min-time"), help: "Keep timing each round until the iterations add up to this many seconds (create: 0.2; regress: the baseline's).")
    var minTime: Double?

    @Option(help: "Seconds after which a probe ends as 'timeout' (create: 60; regress: the baseline's).")
    var timeout: Double?

    @Option(help: "Kernel threads (create: 1, see docs/regression.md; regress: the baseline's).")
    var threads: Int?

    @Option(help: "Force a SIMD path (create: the widest this CPU has; regress: the baseline's).")
    var simd: Choice<SIMDPath>?

    @Option(help: "Seed of the probe inputs (create: 1592635259; regress: the baseline's).")
    var seed: UInt64?

    var selectsProbes: Bool { selection.selectsProbes }

    /// The flags over `defaults`; a bad value fails with the flag's name.
    func config(over defaults: BenchmarkConfig, command: String) throws -> BenchmarkConfig {
        var config = defaults
        if let warmup { config.warmupIterations = warmup }
        if let iterations { config.measurementIterations = iterations }
        if let minTime { config.minMeasurementSeconds = minTime }
        if let timeout { config.timeoutSeconds = timeout }
        if let seed { config.seed = seed }
        if let problem = config.validationErrors().first { throw fail(command, problem, status: ExitStatus.usage) }
        if let rounds, rounds < 1 { throw fail(command, "--rounds must be at least 1 (got \(rounds))", status: ExitStatus.usage) }
        if let threads, threads < 1 { throw fail(command, "--threads must be at least 1 (got \(threads))", status: ExitStatus.usage) }
        return config
    }

    func backendKind(default kind: BackendKind) -> BackendKind { backend?.value ?? kind }

    /// The probes the flags select (the default suite when none is given).
    func specs(backend: BackendKind, command: String) throws -> [ProbeSpec] {
        try selection.specs(command: command, backend: backend)
    }
}
