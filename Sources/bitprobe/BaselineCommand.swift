import ArgumentParser
import BitProbe

#if canImport(Glibc)
import Glibc
#endif

struct BaselineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Record, list, show and delete named baselines for `bitprobe regress`.",
        discussion: """
            Baselines are NAME.json files in the baseline directory: --baseline-dir, else $BITPROBE_BASELINE_DIR, \
            else $XDG_DATA_HOME/bitprobe/baselines, else ~/.local/share/bitprobe/baselines (created on first write).
            """,
        subcommands: [BaselineCreateCommand.self, BaselineListCommand.self, BaselineShowCommand.self, BaselineDeleteCommand.self]
    )
}

struct BaselineDirectoryOptions: ParsableArguments {
    @Option(name: .customLong("baseline-dir"), help: "Directory of baseline files (default: see 'bitprobe baseline --help').")
    var baselineDirectory: String?

    func store(command: String) throws -> BaselineStore {
        if let baselineDirectory { return BaselineStore(directory: baselineDirectory) }
        let names = ["BITPROBE_BASELINE_DIR", "XDG_DATA_HOME", "HOME"]
        var environment: [String: String] = [:]
        for name in names { if let value = getenv(name) { environment[name] = String(cString: value) } }
        do { return BaselineStore(directory: try BaselineStore.defaultDirectory(environment: environment)) } catch {
            throw fail(command, error.description, status: ExitStatus.couldNotRun)
        }
    }
}

/// Refuses a malformed BITPROBE_FAULT_INJECT: commands that store or judge timings must not guess
/// whether they were slowed on purpose.
func checkFaultInjectionEnvironment(command: String) throws {
    if case .failure(let error) = FaultInjection.environment {
        throw fail(command, error.description, status: ExitStatus.couldNotRun)
    }
}

/// Measures probes on the CPU in rounds, each probe run in a `bitprobe bench` process of its own,
/// keeping every round (`RoundMeasurement` says why separate processes).
struct ProbeRunner {
    let fingerprint: EnvironmentFingerprint
    let config: BenchmarkConfig
    let rounds: Int
    let command: String
    /// Resolved here, so that every child process measures with exactly what the fingerprint says.
    let threads: Int
    let simdPath: String

    /// Checks what `bench` checks before anything runs: the backend, and memory for every probe in `specs`.
    init(
        specs: [ProbeSpec], backend kind: BackendKind, config: BenchmarkConfig, rounds: Int, threads: Int?, simdPath: SIMDPath?,
        command: String
    ) throws {
        guard kind == .cpu else {
            throw fail(command, ProbeInputError.backendUnavailable(kind, reason: "not built into this version").description, status: ExitStatus.couldNotRun)
        }
        let host = HostInfo.read()
        try requireMemory(for: specs, host: host, command: command)
        let cpu: CPUBackend
        do { cpu = try CPUBackend(threads: threads, simdPath: simdPath) } catch {
            throw fail(command, error.description, status: ExitStatus.couldNotRun)
        }
        fingerprint = EnvironmentFingerprint(host: host, backend: cpu)
        self.threads = cpu.threads
        self.simdPath = cpu.simdPath.rawValue
        self.config = config
        self.rounds = rounds
        self.command = command
        // The children inherit BITPROBE_FAULT_INJECT and say so on their stderr, which is not shown.
        FaultInjection.warnOnce(using: FaultInjection.active)
    }

    /// Rounds for at least `duration` seconds; progress goes to stderr when it is a terminal.
    func measure(_ specs: [ProbeSpec], duration: Double = 0) throws -> [ProbeResult] {
        let showProgress = isatty(2) == 1
        return try RoundMeasurement.measure(specs, rounds: rounds, duration: duration) { spec, round in
            if showProgress { writeStandardError("[round \(round + 1)] \(spec)\n") }
            return try run(spec)
        }
    }

    /// One probe, one round, in a fresh `bitprobe bench` process.
    private func run(_ spec: ProbeSpec) throws -> ProbeResult {
        let arguments = [
            "bench", "--backend", spec.backend.rawValue, "--op", spec.op.rawValue, "--dtype", spec.dtype.rawValue,
            "--shape", spec.shape.description, "--threads", String(threads), "--simd", simdPath,
            "--warmup", String(config.warmupIterations), "--iterations", String(config.measurementIterations),
            "--min-time", "\(config.minMeasurementSeconds)", "--timeout", "\(config.timeoutSeconds)", "--seed", String(config.seed),
            "--format", "json", "--exit-when-stdin-closes",
        ]
        let child: ChildProcess.Output
        do { child = try ChildProcess.run(executable: "/proc/self/exe", arguments: arguments) } catch {
            throw fail(command, "cannot run a probe process for \(spec): \(error.reason)", status: ExitStatus.couldNotRun)
        }
        // bench exits 1 when the probe did not end ok, and still writes its report.
        guard child.status == 0 || child.status == ExitStatus.probeNotOK,
            let report = try? BenchReport.decode(json: child.standardOutput), let result = report.results.first
        else {
            let reason =
                child.standardError.split(separator: "\n").last { $0.contains(": error: ") }
                .flatMap { $0.split(separator: ": error: ", maxSplits: 1).last.map(String.init) } ?? "it ended with status \(child.status)"
            throw fail(command, "probe process for \(spec) failed: \(reason)", status: ExitStatus.couldNotRun)
        }
        return result
    }
}

func validateBaselineName(_ name: String, command: String) throws {
    do { try BaselineStore.validate(name: name) } catch { throw fail(command, error.description, status: ExitStatus.usage) }
}

struct BaselineCreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Run probes and store their samples as a named baseline.",
        discussion: """
            Without --op, --dtype or --shape, runs the default suite (as bench), on 1 thread, in rounds of \
            bench's settings, round-robin over the suite and each in a process of its own, at least 10 \
            rounds and for at least 60 s, keeping every round's median, which is what regress compares: \
            settings chosen for repeatable medians on shared machines (docs/regression.md).

            Exit status: 0 saved; 1 saved, but a probe did not end ok; 3 could not run or save (name taken \
            without --force, unwritable directory); 64 bad flag value.
            """
    )

    @Argument(help: "Baseline name: 1 to 64 of A-Z a-z 0-9 . _ -, not starting with '.'.")
    var name: String

    @Option(help: "A note stored with the baseline, e.g. the commit or driver version.")
    var description: String?

    @Option(help: "Keep running rounds for at least this many seconds.")
    var duration: Double = Baseline.defaultDuration

    @Flag(help: "Overwrite an existing baseline of this name.")
    var force = false

    @OptionGroup var directory: BaselineDirectoryOptions
    @OptionGroup var probes: ProbeOptions
    @OptionGroup var quietWait: QuietWaitOptions

    func run() throws {
        let command = "baseline create"
        try validateBaselineName(name, command: command)
        let config = try probes.config(over: Baseline.defaultConfig, command: command)
        guard duration >= 0, duration <= 86400 else {
            throw fail(command, "--duration must be between 0 and 86400 seconds (got \(duration))", status: ExitStatus.usage)
        }
        try quietWait.validate(command: command)
        let kind = probes.backendKind(default: .cpu)
        let simdPath = probes.simd?.value
        let specs = try probes.specs(backend: kind, command: command)
        try checkFaultInjectionEnvironment(command: command)
        let store = try directory.store(command: command)
        do { try store.checkSavable(name: name, overwrite: force) } catch {
            throw fail(command, error.description, status: ExitStatus.couldNotRun)
        }

        let rounds = probes.rounds ?? Baseline.defaultRounds
        let runner = try ProbeRunner(
            specs: specs, backend: kind, config: config, rounds: rounds,
            threads: probes.threads ?? Baseline.defaultThreads, simdPath: simdPath, command: command)
        // A baseline recorded while other work slows the machine hides later slowdowns.
        quietWait.waitForQuietCPU(command: command)
        let results = try runner.measure(specs, duration: duration)
        let baseline = Baseline(
            name: name, description: description, createdAt: Double(time(nil)), fingerprint: runner.fingerprint,
            config: config, rounds: rounds, durationSeconds: duration, faultInjection: FaultInjection.active,
            results: results)
        do { try store.save(baseline, overwrite: force) } catch {
            throw fail(command, error.description, status: ExitStatus.couldNotRun)
        }
        writeStandardOutput(ResultTable.text(results) + "\nsaved baseline '\(name)' (\(results.count) probes) to \(store.path(for: name))\n")
        let notOK = results.filter { $0.outcome != .ok }
        if !notOK.isEmpty {
            let list = notOK.map { "\($0.spec) (\($0.outcome.rawValue))" }.joined(separator: ", ")
            throw fail(
                command, "\(notOK.count) of \(results.count) probes did not end ok, so regress cannot compare them: \(list)", status: ExitStatus.probeNotOK)
        }
    }
}

struct BaselineListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the stored baselines; a file that does not load is listed with its error."
    )

    @OptionGroup var directory: BaselineDirectoryOptions

    func run() throws {
        let store = try directory.store(command: "baseline list")
        let entries: [BaselineStore.Entry]
        do { entries = try store.list() } catch {
            throw fail("baseline list", error.description, status: ExitStatus.couldNotRun)
        }
        writeStandardOutput(entries.isEmpty ? "no baselines in \(store.directory)\n" : BaselineTable.list(entries))
    }
}

struct BaselineShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print one baseline: its environment, settings and per-probe results."
    )

    @Argument(help: "Baseline name.")
    var name: String

    @Option(help: "Output format (json: the stored document; csv: its results).")
    var format: OutputFormat = .table

    @OptionGroup var directory: BaselineDirectoryOptions
    @OptionGroup var destination: OutputFileOption

    func run() throws {
        let command = "baseline show"
        try destination.checkWritable(command: command)
        try validateBaselineName(name, command: command)
        let store = try directory.store(command: command)
        let baseline: Baseline
        do { baseline = try store.load(name) } catch { throw fail(command, error.description, status: ExitStatus.couldNotRun) }
        switch format {
        case .json: try destination.write(String(decoding: try baseline.json(), as: UTF8.self), command: command)
        case .csv: try destination.write(baseline.csv(), command: command)
        case .table: try destination.write(BaselineTable.show(baseline), command: command)
        }
    }
}

struct BaselineDeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete a stored baseline."
    )

    @Argument(help: "Baseline name.")
    var name: String

    @OptionGroup var directory: BaselineDirectoryOptions

    func run() throws {
        let command = "baseline delete"
        try validateBaselineName(name, command: command)
        let store = try directory.store(command: command)
        do { try store.delete(name) } catch { throw fail(command, error.description, status: ExitStatus.couldNotRun) }
        writeStandardOutput("deleted baseline '\(name)' (\(store.path(for: name)))\n")
    }
}
