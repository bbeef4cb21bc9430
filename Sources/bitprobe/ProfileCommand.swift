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
            speedscope; flamegraph prints a standalone SVG flame graph (bitprobe profile --view flamegraph > cycle.svg).
            Without --op, --dtype or --shape, profiles the default suite.
            """
    )

    @OptionGroup var probes: ProbeRunOptions

    @Option(help: "What to print.")
    var view: Choice<ProfileView> = Choice(.hotspots)

    func run() throws {
        let chosen = view.value
        let config = try probes.benchmarkConfig(command: "profile")
        let specs = try probes.specs(command: "profile")
        try requireMemory(for: specs, host: HostInfo.read(), command: "profile")
        let backend: CPUBackend
        do { backend = try CPUBackend(threads: probes.threads) } catch { throw fail("profile", error.description, status: ExitStatus.couldNotRun) }

        let root = ProfileSpan.root("profile")
        let results = specs.map { Benchmarker(config: config, backend: backend).run($0, profile: root) }
        root.end()
        let analysis = ProfileAnalysis(traces: [root])
        writeStandardOutput(chosen.render(analysis, title: "bitprobe profile: \(specs.count) probe\(specs.count == 1 ? "" : "s")").body)
        // Advice goes with the views a person reads; folded stacks and SVG stay pure for their tools.
        if chosen == .hotspots || chosen == .tree {
            let advice = RecommendationRules.all(results: results, profile: analysis)
            writeStandardOutput(advice.isEmpty ? "\nrecommendations: none\n" : "\nrecommendations:\n" + advice.map { "  - \($0.line)\n" }.joined())
        }
        if results.contains(where: { $0.outcome != .ok }) { throw ExitCode(ExitStatus.probeNotOK) }
    }
}
