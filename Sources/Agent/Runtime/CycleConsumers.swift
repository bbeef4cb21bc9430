import BitProbe
import Exposition
import Logging

/// What the agent does with each finished cycle (`CycleReport`): counts its results into the probe
/// series, keeps its profile and exports its trace, evaluates the rules and notifies, and publishes
/// the snapshot that /metrics, the API and /report read. It runs nothing and measures nothing;
/// a new consumer (an exporter, a report) is one more step here, not a change to the loop.
///
/// Owned by the scheduler thread.
struct CycleConsumers {
    private let state: AgentState
    private let logger: Logger
    private var recorder = ProbeMetricsRecorder()
    private(set) var rules: RuleEngine
    /// Called with the alerts to notify after every evaluation (Alertmanager).
    private let notify: ([RuleEngine.Alert]) -> Void
    /// Called with every finished cycle's trace (the OTLP exporter); nil when tracing is off, in
    /// which case histogram observations carry no exemplars (they would link to nothing).
    private let traceSink: ((ProfileSpan) -> Void)?
    private var exportFailures = ExportFailureLog()
    private var contendedCycles = 0
    /// The build in `bitprobe_build_info`; a parameter so a golden test can fix it.
    private let build: (version: String, revision: String)

    init(
        state: AgentState, logger: Logger, rules: [AlertRule], startedAt: Double, traceSink: ((ProfileSpan) -> Void)?,
        notify: @escaping ([RuleEngine.Alert]) -> Void,
        build: (version: String, revision: String) = (BitProbeVersion.version, BitProbeVersion.revision)
    ) {
        self.state = state
        self.logger = logger
        self.rules = RuleEngine(rules: rules, startedAt: startedAt)
        self.traceSink = traceSink
        self.notify = notify
        self.build = build
    }

    mutating func replaceRules(_ newRules: [AlertRule]) { rules.replaceRules(newRules) }

    /// Everything done with the cycle before it is published: the cost of this is the agent's, so
    /// the scheduler counts it into the cycle's time.
    mutating func take(_ report: CycleReport, baseline: Baseline?, now: Double) {
        for result in report.results { recorder.record(result, exemplar: exemplar(for: result)) }
        state.recordProfile(report.span)
        traceSink?(report.span)
        if let exporter = state.tracing { exportFailures.report(exporter.statistics, to: logger) }
        if rules.isContendedForAnyRegressionRule(report.cpuPressureShare) { contendedCycles += 1 }
        rules.evaluate(
            results: report.results, pressure: report.memoryPressure, baseline: baseline, now: now,
            cpuPressureShare: report.cpuPressureShare)
        notify(rules.notifiableAlerts)
    }

    /// How the scheduler paces: what the cycle families report besides the report itself.
    struct Pacing {
        var cycles: Int
        var cycleSeconds: Double
        var dutyCycleRatio: Double
        var dutyCycleBudget: Double
    }

    /// The families of this cycle, rendered once for every scrape until the next, and the snapshot.
    /// `cpuBackend` is the CPU's (readiness, pool memory); `specs` the configured CPU suite.
    func publish(
        _ report: CycleReport, pacing: Pacing, baseline: Baseline?, cpuBackend: CPUBackend?, specs: [ProbeSpec],
        syntheticSeries: Int, host: HostInfo?, completedAt: Double
    ) {
        var families = recorder.families()
        families += AgentFamilies.devices(report.devices)
        families += AgentFamilies.cycles(
            .init(
                cycles: Double(pacing.cycles), lastCycleSeconds: pacing.cycleSeconds,
                dutyCycleRatio: pacing.dutyCycleRatio, dutyCycleBudget: pacing.dutyCycleBudget,
                cpuPressureShare: report.cpuPressureShare, contendedCycles: Double(contendedCycles)))
        families.append(AgentFamilies.build(version: build.version, revision: build.revision))
        families += AgentFamilies.memory(tracker: state.memory, leaks: state.memory.leaks, pressure: report.memoryPressure)
        families.append(RuleEngine.family(rules.activeAlerts))
        families.append(RuleEngine.nodeFamily(rules.nodeFactors))
        families.append(AgentFamilies.baselineRatios(results: report.results, baseline: baseline))
        families.append(AgentFamilies.faultInjection(FaultInjection.active))
        families += AgentFamilies.synthetic(count: syntheticSeries)
        let largest = specs.max { $0.bufferBytes < $1.bufferBytes }.map { (name: $0.description, bytes: $0.bufferBytes) }
        state.publish(
            CycleSnapshot(
                cycle: pacing.cycles, completedAt: completedAt, results: report.results,
                rendered: families.map(RenderedFamily.init), backendUp: cpuBackend != nil,
                poolIdleBytes: cpuBackend?.bufferPool.counters.idleBytes ?? 0, largestProbe: largest,
                alerts: rules.activeAlerts, host: host, cpuPressureShare: report.cpuPressureShare,
                hostMemory: report.hostMemory, memoryPressure: report.memoryPressure))
    }

    /// The probe span of this run, as an OpenMetrics exemplar, when traces are exported.
    private func exemplar(for result: ProbeResult) -> (Double) -> Exemplar? {
        guard traceSink != nil, let trace = result.traceID, let span = result.spanID else { return { _ in nil } }
        let time = result.startedAt + result.wallSeconds
        return { value in Exemplar(labels: Labels([("span_id", span), ("trace_id", trace)]), value: value, timestamp: time) }
    }
}
