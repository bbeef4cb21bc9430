import ArgumentParser
import BitProbe

#if canImport(Glibc)
import Glibc
#endif

struct RegressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "regress",
        abstract: "Run probes and compare them with a stored baseline: a CI regression gate.",
        discussion: """
            Without --op, --dtype or --shape, runs the probes stored in the baseline, with the baseline's \
            settings and thread count, in 5 rounds each in a process of its own, and compares every \
            round's median with the baseline's rounds. The ratio is the Hodges-Lehmann estimate over \
            round medians, with its distribution-free (1 - --alpha) interval; a probe regressed when \
            the interval's lower bound exceeds 1 + --threshold/100. A probe that reads beyond that \
            is measured --confirm more times, 10 s, 20 s, ... apart; each must read beyond it too, \
            and the interval is then taken over all its rounds (docs/regression.md). --explain prints \
            every probe's round medians and the rule that decided. Before each measurement it waits, \
            up to --max-quiet-wait seconds, while Linux CPU pressure (/proc/pressure/cpu) shows other \
            work competing for the CPUs.

            Exit status: 0 pass (improvements pass); 1 regressions; 2 critical regressions; 3 could not run \
            (missing or corrupt baseline, a probe failed, timed out or computed a wrong result, unwritable \
            output); 64 bad flag value.
            """
    )

    /// Seconds before the first confirmation measurement, twice that before the second, and so on:
    /// with the default three, the measurements of a regression span about 70 s, longer than the
    /// spells of load seen on the development VM (docs/regression.md), while a run without suspects
    /// pays nothing.
    static let confirmationPauseSeconds: UInt32 = 10

    /// Rounds per probe, back to back: enough to step over sub-second noise. Longer spells are what
    /// the confirmations are for, and they cost time only when something looks regressed.
    static let defaultRounds = 5

    @Option(help: "Name of the baseline to compare with.")
    var baseline: String

    @Option(help: "Smallest slowdown or speedup reported, in percent.")
    var threshold: Double = RegressionCriteria().thresholdPercent

    @Option(name: .customLong("critical-threshold"), help: "Slowdown from which a regression is critical, in percent (100 = twice as slow).")
    var criticalThreshold: Double = RegressionCriteria().criticalThresholdPercent

    @Option(help: "1 - the confidence of the ratio's interval (0.01: a 99% interval).")
    var alpha: Double = RegressionCriteria().alpha

    @Option(
        help: "Measure a probe that looks regressed up to this many more times, 5 rounds each; each must read beyond the threshold, and all its rounds decide.")
    var confirm: Int = RegressionCriteria().confirmations

    @Flag(help: "After the table, print each probe's round medians on both sides and the rule that decided (table format).")
    var explain = false

    /// regress's output choices: bench's and a JUnit report for CI.
    enum OutputFormat: String, CaseIterable, ExpressibleByArgument {
        case table, json, junit, csv
    }

    @Option(name: .customLong("output-format"), help: "Output format.")
    var outputFormat: OutputFormat = .table

    @Option(name: .customLong("output-file"), help: "Write the output to this file (atomically) instead of stdout.")
    var outputFile: String?

    @OptionGroup var directory: BaselineDirectoryOptions
    @OptionGroup var probes: ProbeOptions
    @OptionGroup var quietWait: QuietWaitOptions

    func run() throws {
        let command = "regress"
        if let outputFile {
            do { try AtomicFile.checkWritable(outputFile) } catch { throw fail(command, error.description, status: ExitStatus.couldNotRun) }
        }
        let report = try measure(command: command)
        let rendered: String
        switch outputFormat {
        case .json: rendered = String(decoding: try report.json(), as: UTF8.self)
        case .junit: rendered = JUnitReport.xml(report)
        case .csv: rendered = report.csv()
        case .table: rendered = RegressionTable.text(report, explain: explain)
        }
        if let outputFile {
            do { try AtomicFile.write(Array(rendered.utf8), to: outputFile) } catch {
                throw fail(command, error.description, status: ExitStatus.couldNotRun)
            }
        } else {
            writeStandardOutput(rendered)
        }
        // Machine formats and files are not read by the person watching the job log: tell them too.
        if outputFile != nil || outputFormat != .table {
            for warning in report.warnings { writeStandardError("bitprobe regress: warning: \(warning)\n") }
            writeStandardError("bitprobe regress: \(report.status.rawValue)\n")
        }
        if report.status != .allPass { throw ExitCode(report.status.exitCode) }
    }
}

extension RegressCommand {
    /// The gate's measurement and verdicts, without output: `regress` prints it, `report --baseline` shows it.
    /// `command` names the caller in error messages.
    func measure(command: String) throws -> RegressionReport {
        var criteria = RegressionCriteria()
        criteria.thresholdPercent = threshold
        criteria.criticalThresholdPercent = criticalThreshold
        criteria.alpha = alpha
        criteria.confirmations = confirm
        if let problem = criteria.validationErrors().first { throw fail(command, problem, status: ExitStatus.usage) }
        try quietWait.validate(command: command)
        try validateBaselineName(baseline, command: command)
        let simdFlag = probes.simd?.value
        try checkFaultInjectionEnvironment(command: command)

        let store = try directory.store(command: command)
        let stored: Baseline
        do {
            stored = try store.load(baseline)
            try stored.requireRounds(path: store.path(for: baseline))
        } catch { throw fail(command, error.description, status: ExitStatus.couldNotRun) }
        let config = try probes.config(over: stored.config, command: command)
        let kind = probes.backendKind(default: stored.fingerprint.backend)
        let specs = try probes.selectsProbes ? probes.specs(backend: kind, command: command) : stored.results.map(\.spec)
        let storedSpecs = Set(stored.results.map(\.spec))
        guard specs.contains(where: storedSpecs.contains) else {
            throw fail(
                command,
                "none of the \(specs.count) selected probes is in baseline '\(baseline)' (it has \(stored.results.count): run 'bitprobe baseline show \(baseline)')",
                status: ExitStatus.couldNotRun)
        }
        // Measure as the baseline did; a path this CPU lacks falls back to the widest it has, and the
        // environment warning says so.
        let simdPath = simdFlag ?? SIMDPath(rawValue: stored.fingerprint.simdPath).flatMap { $0.isSupported ? $0 : nil }
        let rounds = probes.rounds ?? Self.defaultRounds
        // Refuse before measuring what could never show a difference at this confidence.
        if let fewest = stored.fewestRounds, let needed = RoundRatio.minimumRounds(baselineRounds: fewest, alpha: criteria.alpha),
            rounds < needed
        {
            throw fail(
                command,
                "--rounds \(rounds) cannot show a difference at --alpha \(criteria.alpha) against the \(fewest) rounds of baseline '\(baseline)'; use --rounds \(needed) or more",
                status: ExitStatus.usage)
        }
        let runner = try ProbeRunner(
            specs: specs, backend: kind, config: config, rounds: rounds,
            threads: probes.threads ?? stored.fingerprint.threads, simdPath: simdPath, command: command)
        quietWait.waitForQuietCPU(command: command)
        let first = RegressionAnalysis.compare(baseline: stored.results, current: try runner.measure(specs), criteria: criteria)
        var confirmation: UInt32 = 0
        let comparisons = try RegressionAnalysis.confirm(first, baseline: stored.results, criteria: criteria) { specs in
            // Give a spell of load from elsewhere time to pass before measuring again, longer each time.
            confirmation += 1
            sleep(Self.confirmationPauseSeconds * confirmation)
            quietWait.waitForQuietCPU(command: command)
            return try runner.measure(specs)
        }
        return RegressionReport(
            baseline: stored, comparisons: comparisons, fingerprint: runner.fingerprint, config: config,
            rounds: rounds, criteria: criteria, faultInjection: FaultInjection.active)
    }
}
