import ArgumentParser
import BitProbe

struct MemoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Run the probes once with the memory tracker on: host signals, pressure, what probes allocated, recommendations.",
        discussion: """
            Reads /proc/meminfo, cgroup v2 memory.max/memory.current and /proc/pressure/memory, then runs the \
            selected probes (default: the suite) once each, untimed beyond one iteration, with every allocation, \
            release, pool hit and miss and free tracked (docs/memory.md). --events N also lists the last N events.
            Exit status: 0; 1 a probe failed, timed out or computed a wrong result; 3 could not run; 64 bad flag value.
            """
    )

    @Option(help: "Output format (csv: one row per device).")
    var format: OutputFormat = .table

    @OptionGroup var destination: OutputFileOption

    @Option(help: "Also list the tracker's last N events (allocate, release, pool_hit, ...).")
    var events: Int?

    @OptionGroup var probes: ProbeRunOptions

    func run() throws {
        try destination.checkWritable(command: "memory")
        if let events, events < 1 { throw fail("memory", "--events must be at least 1 (got \(events))", status: ExitStatus.usage) }
        let specs = try probes.specs(command: "memory")
        try requireMemory(for: specs, host: HostInfo.read(), command: "memory")
        let tracker = MemoryTracker()
        let backend: CPUBackend
        do { backend = try CPUBackend(threads: probes.threads, bufferPool: BufferPool(tracker: tracker)) } catch {
            throw fail("memory", error.description, status: ExitStatus.couldNotRun)
        }
        // Allocation behaviour does not depend on how long a probe is timed: one iteration each.
        var config = BenchmarkConfig()
        config.warmupIterations = 0
        config.measurementIterations = 1
        config.minMeasurementSeconds = 0
        let benchmarker = Benchmarker(config: config, backend: backend)
        var results: [ProbeResult] = []
        for spec in specs {
            tracker.beginProbe(spec.description)
            results.append(benchmarker.run(spec))
            tracker.endProbe()
        }
        let largest = specs.max { $0.bufferBytes < $1.bufferBytes }.map { (name: $0.description, bytes: $0.bufferBytes) }
        let report = MemoryReport(
            host: HostMemoryStatus.read(), tracker: tracker, largestProbe: largest,
            poolIdleBytes: backend.bufferPool.counters.idleBytes, recentEvents: events)
        switch format {
        case .json: try destination.write(String(decoding: try ProjectJSON.file(report), as: UTF8.self), command: "memory")
        case .csv: try destination.write(report.csv(), command: "memory")
        case .table: try destination.write(MemoryTable.text(report, probesRun: specs.count), command: "memory")
        }
        if results.contains(where: { $0.outcome != .ok }) { throw ExitCode(ExitStatus.probeNotOK) }
    }
}
