import ArgumentParser
import BitProbe

struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Run probes with the profiler on and print where the time went.",
        discussion: """
        Every probe is a span with a child per phase (prepare: allocate and fill inputs; warmup; measure;
        verify; release). --view hotspots ranks span names by self time; tree prints the call tree with
        total and self time, calls and share; folded prints folded stacks for flamegraph.pl, inferno or
        speedscope. Without --op, --dtype or --shape, profiles the default suite.
        """
    )

    @Option(help: "Ops to run (as for bench).")
    var op: [String] = []

    @Option(help: "Element types (as for bench).")
    var dtype: [String] = []

    @Option(help: "Shapes (as for bench).")
    var shape: [String] = []

    @Option(help: "Untimed warmup iterations per probe.")
    var warmup: Int = BenchmarkConfig().warmupIterations

    @Option(help: "Minimum timed iterations per probe.")
    var iterations: Int = BenchmarkConfig().measurementIterations

    @Option(name: .customLong("min-time"), help: "Keep timing until the iterations add up to this many seconds.")
    var minTime: Double = BenchmarkConfig().minMeasurementSeconds

    @Option(help: "Kernel threads (default: every CPU this process may use).")
    var threads: Int?

    @Option(help: "What to print: hotspots, tree, folded.")
    var view: String = "hotspots"

    func run() throws {
        guard ["hotspots", "tree", "folded"].contains(view) else {
            throw fail("profile", "unknown view '\(view)'; expected one of: hotspots, tree, folded", status: ExitStatus.usage)
        }
        var config = BenchmarkConfig()
        config.warmupIterations = warmup
        config.measurementIterations = iterations
        config.minMeasurementSeconds = minTime
        if let problem = config.validationErrors().first { throw fail("profile", problem, status: ExitStatus.usage) }
        if let threads, threads < 1 { throw fail("profile", "--threads must be at least 1 (got \(threads))", status: ExitStatus.usage) }
        let specs: [ProbeSpec]
        do { specs = try ProbeSelection(ops: splitList(op), dtypes: splitList(dtype), shapes: splitList(shape)).resolve() } catch {
            throw fail("profile", error.description, status: ExitStatus.usage)
        }
        if let available = HostInfo.read().memoryAvailableBytes {
            for spec in specs where spec.bufferBytes > available {
                throw fail("profile", ProbeInputError.insufficientMemory(probe: spec.description, neededBytes: spec.bufferBytes, availableBytes: available).description,
                           status: ExitStatus.couldNotRun)
            }
        }
        let backend: CPUBackend
        do { backend = try CPUBackend(threads: threads) } catch { throw fail("profile", error.description, status: ExitStatus.couldNotRun) }

        let root = ProfileSpan.root("profile")
        let results = specs.map { Benchmarker(config: config, backend: backend).run($0, profile: root) }
        root.end()
        let analysis = ProfileAnalysis(traces: [root])
        switch view {
        case "tree": writeStandardOutput(analysis.treeText)
        case "folded": writeStandardOutput(analysis.foldedStacks)
        default: writeStandardOutput(analysis.hotspotText)
        }
        if results.contains(where: { $0.outcome != .ok }) { throw ExitCode(ExitStatus.probeNotOK) }
    }
}
