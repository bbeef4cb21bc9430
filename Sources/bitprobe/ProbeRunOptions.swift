import ArgumentParser
import BitProbe

/// The probe selection and measurement flags `bench` and `profile` share, checked the same way.
struct ProbeRunOptions: ParsableArguments {
    @OptionGroup var selection: ProbeSelectionOptions

    @Option(help: "Untimed warmup iterations per probe.")
    var warmup: Int = BenchmarkConfig().warmupIterations

    @Option(help: "Minimum timed iterations per probe.")
    var iterations: Int = BenchmarkConfig().measurementIterations

    @Option(name: .customLong("min-time"), help: "Keep timing until the iterations add up to this many seconds.")
    var minTime: Double = BenchmarkConfig().minMeasurementSeconds

    @Option(help: "Kernel threads (default: every CPU this process may use).")
    var threads: Int?

    /// The measurement settings; a bad value is a usage error naming its flag.
    func benchmarkConfig(command: String) throws -> BenchmarkConfig {
        var config = BenchmarkConfig()
        config.warmupIterations = warmup
        config.measurementIterations = iterations
        config.minMeasurementSeconds = minTime
        if let problem = config.validationErrors().first { throw fail(command, problem, status: ExitStatus.usage) }
        if let threads, threads < 1 { throw fail(command, "--threads must be at least 1 (got \(threads))", status: ExitStatus.usage) }
        return config
    }

    /// The probes the flags select (`ProbeSelectionOptions`).
    func specs(command: String, backend: BackendKind = .cpu, device: String = "cpu0") throws -> [ProbeSpec] {
        try selection.specs(command: command, backend: backend, device: device)
    }
}

/// Refuses, before anything is allocated, a probe whose buffers exceed the memory available now.
func requireMemory(for specs: [ProbeSpec], host: HostInfo, command: String) throws {
    for spec in specs {
        do { try spec.requireMemory(availableBytes: host.memoryAvailableBytes) } catch {
            throw fail(command, error.description, status: ExitStatus.couldNotRun)
        }
    }
}
