import ArgumentParser
import BitProbe

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Measure this machine and write a report a person reads: summary, charts, comparisons, memory, flame graph, recommendations.",
        discussion: """
            Without --from, runs the probe suite once with the profiler and the memory tracker on, then (with \
            --compare, the default) a short sweep of sizes on the CPU and every GPU and a layout study, and with --baseline the \
            regression gate of 'bitprobe regress'. With --from, runs nothing and renders JSON files written \
            earlier by bench, compare, regress, memory, baseline create or report. Every figure and sentence \
            comes from those measurements (docs/report.md).
            Exit status: 0 written; 1 a probe failed, timed out or computed a wrong result (the report is \
            still written); 3 could not run (not enough memory, unwritable output, unreadable --from file, \
            missing baseline); 64 bad flag value.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case html, markdown, json
    }

    @Option(help: "Write the report to this file (atomically); '-' writes to standard output.")
    var output: String = "bitprobe-report.html"

    @Option(help: "Report format.")
    var format: Format = .html

    @Option(help: "Also run the regression gate against this stored baseline (as 'bitprobe regress --baseline NAME').")
    var baseline: String?

    @Flag(
        inversion: .prefixedNo,
        help: "Sweep sizes on the CPU and every GPU (throughput against size, crossover, selection guide) and compare layouts (strided against contiguous).")
    var compare: Bool = true

    @Option(
        name: .customLong("from"), parsing: .upToNextOption,
        help: "Render JSON files written earlier by bench, compare, regress, memory, baseline create or report; runs nothing.")
    var from: [String] = []

    @OptionGroup var probes: ProbeRunOptions
    @OptionGroup var directory: BaselineDirectoryOptions

    func validate() throws {
        if !from.isEmpty && baseline != nil {
            throw ValidationError("--baseline measures; --from renders files without measuring: give a regress file to --from instead")
        }
        if !from.isEmpty && probes.selection.selectsProbes {
            throw ValidationError("--op, --dtype and --shape select probes to run; --from runs nothing")
        }
    }

    func run() throws {
        let command = "report"
        if output != "-" {
            do { try AtomicFile.checkWritable(output) } catch { throw fail(command, error.description, status: ExitStatus.couldNotRun) }
        }
        let report: PerformanceReport
        if from.isEmpty {
            report = try measure(command: command)
        } else {
            let loaded: ReportSources.Loaded
            do { loaded = try ReportSources.load(paths: from) } catch { throw fail(command, error.description, status: ExitStatus.couldNotRun) }
            report = loaded.report ?? PerformanceReport(Self.inputs(from: loaded))
        }
        let rendered: [UInt8]
        switch format {
        case .html: rendered = Array(HTMLReport.render(report).utf8)
        case .markdown: rendered = Array(MarkdownReport.render(report).utf8)
        case .json: rendered = try report.json()
        }
        if output == "-" {
            writeStandardOutput(String(decoding: rendered, as: UTF8.self))
        } else {
            do { try AtomicFile.write(rendered, to: output) } catch { throw fail(command, error.description, status: ExitStatus.couldNotRun) }
            writeStandardError("bitprobe report: wrote \(output) (\(ByteCount.format(rendered.count)))\n")
        }
        if report.probes.contains(where: { $0.outcome != .ok }) { throw ExitCode(ExitStatus.probeNotOK) }
    }

    /// Report inputs from files: memory without a tracker has no events, only the host signals.
    static func inputs(from loaded: ReportSources.Loaded) -> PerformanceReport.Inputs {
        var inputs = PerformanceReport.Inputs(generatedAt: WallClock.unixSeconds(), results: loaded.results)
        inputs.source = "bitprobe report --from"
        inputs.host = loaded.host
        inputs.comparison = loaded.comparison
        inputs.layout = loaded.layout
        inputs.batch = loaded.batch
        inputs.regression = loaded.regression
        inputs.memory = loaded.memory
        return inputs
    }

    /// The suite profiled and memory-tracked, the size sweep, the baseline gate; progress on stderr.
    private func measure(command: String) throws -> PerformanceReport {
        let config = try probes.benchmarkConfig(command: command)
        let specs = try probes.specs(command: command)
        let host = HostInfo.read()
        try requireMemory(for: specs, host: host, command: command)
        var regress: RegressCommand?
        if let baseline {
            // Refused before anything runs: a missing baseline should not cost a whole suite.
            try validateBaselineName(baseline, command: command)
            do { _ = try directory.store(command: command).load(baseline) } catch let error as BaselineError {
                throw fail(command, error.description, status: ExitStatus.couldNotRun)
            }
            regress = try RegressCommand.parse(["--baseline", baseline] + (directory.baselineDirectory.map { ["--baseline-dir", $0] } ?? []))
        }
        let tracker = MemoryTracker()
        let backend: CPUBackend
        do { backend = try CPUBackend(threads: probes.threads, bufferPool: BufferPool(tracker: tracker)) } catch {
            throw fail(command, error.description, status: ExitStatus.couldNotRun)
        }
        let pressurePath = CPUPressure.ownPath()
        let pressureBefore = CPUPressure.someTotalMicroseconds(path: pressurePath)
        let started = MonotonicClock.seconds()

        let root = ProfileSpan.root("report")
        let benchmarker = Benchmarker(config: config, backend: backend)
        var results: [ProbeResult] = []
        for (index, spec) in specs.enumerated() {
            progress("probe \(index + 1)/\(specs.count): \(spec)")
            tracker.beginProbe(spec.description)
            results.append(benchmarker.run(spec, profile: root))
            tracker.endProbe()
        }
        root.end()

        var comparison: DeviceComparison?
        var layout: LayoutComparison?
        if compare {
            progress("comparing devices across sizes")
            do {
                let devices = try DeviceSet.open(threads: probes.threads, gpus: .every(device: nil))
                defer { devices.close() }
                comparison = try devices.sweep(DeviceComparison.Sweep.reportSweeps, config: Self.sweepConfig(config)) { done, total, spec in
                    progress("sweep \(done)/\(total): \(spec)")
                }
            } catch { throw error.exit(command) }
            progress("comparing layouts (strides \(LayoutStudy.reportStrides.map(String.init).joined(separator: ", ")))")
            // Devices of their own: the study's buffers are not the suite's, and stay out of its memory analysis.
            let plan = try LayoutStudy.reportStrides.map { try LayoutStudy.spec(elements: LayoutStudy.reportElements, stride: $0) }
            let runs: [ProbeResult]
            do {
                let devices = try DeviceSet.open(threads: probes.threads, gpus: .none)
                defer { devices.close() }
                runs = try devices.run(plan, config: Self.sweepConfig(config))
            } catch { throw error.exit(command) }
            layout = LayoutComparison(elements: LayoutStudy.reportElements, results: runs)
        }
        let elapsed = MonotonicClock.seconds() - started
        let pressureAfter = CPUPressure.someTotalMicroseconds(path: pressurePath)

        var regression: RegressionReport?
        if let regress {
            progress("regression gate against baseline '\(baseline!)'")
            regression = try regress.measure(command: command)
        }

        var inputs = PerformanceReport.Inputs(generatedAt: WallClock.unixSeconds(), results: results)
        inputs.host = host
        if let before = pressureBefore, let after = pressureAfter, after >= before, elapsed > 0 {
            inputs.cpuPressureShare = min(Double(after - before) / 1e6 / elapsed, 1)
        }
        inputs.comparison = comparison
        inputs.layout = layout
        inputs.profile = ProfileAnalysis(traces: [root])
        let largest = specs.max { $0.bufferBytes < $1.bufferBytes }.map { (name: $0.description, bytes: $0.bufferBytes) }
        inputs.memory = MemoryReport(
            host: HostMemoryStatus.read(), tracker: tracker, largestProbe: largest,
            poolIdleBytes: backend.bufferPool.counters.idleBytes, recentEvents: tracker.capacity)
        inputs.regression = regression
        return PerformanceReport(inputs)
    }

    /// The sweep measures enough to place each size, not to gate on: shorter than bench's defaults.
    static func sweepConfig(_ config: BenchmarkConfig) -> BenchmarkConfig {
        var sweep = config
        sweep.warmupIterations = 1
        sweep.measurementIterations = min(config.measurementIterations, 3)
        sweep.minMeasurementSeconds = min(config.minMeasurementSeconds, 0.02)
        return sweep
    }

    private func progress(_ text: String) { writeStandardError("bitprobe report: \(text)\n") }
}
