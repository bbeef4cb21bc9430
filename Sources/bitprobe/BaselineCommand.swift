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

/// The probe selection and measurement flags of `bench`, shared by `baseline create` and `regress`.
/// Measurement flags are optional here because each command has its own defaults.
struct ProbeOptions: ParsableArguments {
    @Option(help: "Backend to probe (cpu).")
    var backend: String?

    @Option(help: "Ops to run: matmul, ternary_matmul, quantize_weights, quantize_activations, add, multiply, copy.")
    var op: [String] = []

    @Option(help: "Element types: f32, f16, i8_ternary (ternary_matmul), bytes (copy).")
    var dtype: [String] = []

    @Option(help: "Shapes: MxNxK (matmul, ternary_matmul), ROWSxCOLS (quantize_*), N (add, multiply, copy bytes).")
    var shape: [String] = []

    @Option(help: "Rounds per probe (at least), round-robin over the suite, each in a process of its own; every round is kept and compared (create: 10; regress: 5).")
    var rounds: Int?

    @Option(help: "Untimed warmup iterations per probe and round (create: 3; regress: the baseline's).")
    var warmup: Int?

    @Option(help: "Minimum timed iterations per probe and round (create: 10; regress: the baseline's).")
    var iterations: Int?

    @Option(name: .customLong("min-time"), help: "Keep timing each round until the iterations add up to this many seconds (create: 0.2; regress: the baseline's).")
    var minTime: Double?

    @Option(help: "Seconds after which a probe ends as 'timeout' (create: 60; regress: the baseline's).")
    var timeout: Double?

    @Option(help: "Kernel threads (create: 1, see docs/regression.md; regress: the baseline's).")
    var threads: Int?

    @Option(help: "Force a SIMD path: portable, avx2, avx512, neon (create: the widest this CPU has; regress: the baseline's).")
    var simd: String?

    @Option(help: "Seed of the probe inputs (create: 1592635259; regress: the baseline's).")
    var seed: UInt64?

    var selectsProbes: Bool { !op.isEmpty || !dtype.isEmpty || !shape.isEmpty }

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

    func backendKind(default kind: BackendKind, command: String) throws -> BackendKind {
        guard let backend else { return kind }
        guard let parsed = BackendKind(rawValue: backend) else {
            throw fail(command, ProbeInputError.unknownBackend(backend).description, status: ExitStatus.usage)
        }
        return parsed
    }

    func simdPath(command: String) throws -> SIMDPath? {
        guard let simd else { return nil }
        guard let path = SIMDPath(rawValue: simd) else {
            throw fail(command, "unknown SIMD path '\(simd)'; expected one of: \(SIMDPath.allCases.map(\.rawValue).joined(separator: ", "))", status: ExitStatus.usage)
        }
        return path
    }

    /// The probes the flags select (the default suite when none is given).
    func specs(backend: BackendKind, command: String) throws -> [ProbeSpec] {
        do {
            return try ProbeSelection(backend: backend, ops: splitList(op), dtypes: splitList(dtype), shapes: splitList(shape)).resolve()
        } catch {
            throw fail(command, error.description, status: ExitStatus.usage)
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
    init(specs: [ProbeSpec], backend kind: BackendKind, config: BenchmarkConfig, rounds: Int, threads: Int?, simdPath: SIMDPath?,
         command: String) throws {
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
              let report = try? BenchReport.decode(json: child.standardOutput), let result = report.results.first else {
            let reason = child.standardError.split(separator: "\n").last { $0.contains(": error: ") }
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
        let kind = try probes.backendKind(default: .cpu, command: command)
        let simdPath = try probes.simdPath(command: command)
        let specs = try probes.specs(backend: kind, command: command)
        try checkFaultInjectionEnvironment(command: command)
        let store = try directory.store(command: command)
        do { try store.checkSavable(name: name, overwrite: force) } catch {
            throw fail(command, error.description, status: ExitStatus.couldNotRun)
        }

        let rounds = probes.rounds ?? Baseline.defaultRounds
        let runner = try ProbeRunner(specs: specs, backend: kind, config: config, rounds: rounds,
                                     threads: probes.threads ?? Baseline.defaultThreads, simdPath: simdPath, command: command)
        // A baseline recorded while other work slows the machine hides later slowdowns.
        quietWait.waitForQuietCPU(command: command)
        let results = try runner.measure(specs, duration: duration)
        let baseline = Baseline(name: name, description: description, createdAt: Double(time(nil)), fingerprint: runner.fingerprint,
                                config: config, rounds: rounds, durationSeconds: duration, faultInjection: FaultInjection.active,
                                results: results)
        do { try store.save(baseline, overwrite: force) } catch {
            throw fail(command, error.description, status: ExitStatus.couldNotRun)
        }
        writeStandardOutput(ResultTable.text(results) + "\nsaved baseline '\(name)' (\(results.count) probes) to \(store.path(for: name))\n")
        let notOK = results.filter { $0.outcome != .ok }
        if !notOK.isEmpty {
            let list = notOK.map { "\($0.spec) (\($0.outcome.rawValue))" }.joined(separator: ", ")
            throw fail(command, "\(notOK.count) of \(results.count) probes did not end ok, so regress cannot compare them: \(list)", status: ExitStatus.probeNotOK)
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
