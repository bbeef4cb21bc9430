import BitProbe
import Exposition

/// Evaluates the agent's alert rules after every probe cycle, on the probe thread, and keeps
/// their states. Everything it returns is a value: the published alert list is read by HTTP threads.
struct RuleEngine {
    /// One alert as /api/v1/alerts, bitprobe_alerts and Alertmanager see it.
    struct Alert: Sendable, Equatable {
        var labels: [String: String]
        var annotations: [String: String]
        var state: AlertStateMachine.State
        var activeAt: Double
        var firedAt: Double?
        var resolvedAt: Double?
        var value: Double
    }

    private(set) var rules: [AlertRule]
    private var machines: [String: AlertStateMachine] = [:]
    /// Median iteration time of each probe's latest `recentCycles` verified cycles, newest last.
    private var recent: [ProbeSpec: [Double]] = [:]
    /// The rolling reference: medians of the cycles before `recent`. A cycle leaves `recent` for the
    /// reference only while its probe is not regressed, so a sustained slowdown does not become its
    /// own reference and keeps firing until it ends.
    private var referenceWindow: [ProbeSpec: [Double]] = [:]
    private var regressed: Set<ProbeSpec> = []
    /// Cycles judged together against the window: iteration samples within one cycle share that
    /// cycle's machine state (contention, clocks), so the test compares cycle medians, and a
    /// slowdown must show in several cycles, not in one.
    static let recentCycles = 4
    /// The verdicts of each regression rule from its latest uncontended cycle: a cycle in which
    /// other tasks waited for a CPU more than the rule's `maxCPUPressure` (Linux CPU pressure,
    /// measured by the scheduler) ran on a contended machine, and its timings say more about the
    /// other work than about the probes. The rule neither learns from it nor judges it.
    private var lastRegressionHolding: [String: [([String: String], Double, String)]] = [:]
    private var lastSuccess: [ProbeSpec: Double] = [:]
    private let startedAt: Double
    init(rules: [AlertRule], startedAt: Double) {
        self.rules = rules
        self.startedAt = startedAt
        for rule in rules {
            machines[rule.name] = AlertStateMachine(forSeconds: rule.forSeconds, keepFiringForSeconds: rule.keepFiringForSeconds)
        }
    }

    /// Replaces the rules (config reload); states of rules that keep their name and timing survive.
    mutating func replaceRules(_ newRules: [AlertRule]) {
        var kept: [String: AlertStateMachine] = [:]
        for rule in newRules {
            if let old = machines[rule.name], old.forSeconds == rule.forSeconds, old.keepFiringForSeconds == rule.keepFiringForSeconds {
                kept[rule.name] = old
            } else {
                kept[rule.name] = AlertStateMachine(forSeconds: rule.forSeconds, keepFiringForSeconds: rule.keepFiringForSeconds)
            }
        }
        // A verdict carried over a contended cycle must come from the same rule.
        let unchanged = Set(newRules.filter { rule in rules.contains(rule) }.map(\.name))
        lastRegressionHolding = lastRegressionHolding.filter { unchanged.contains($0.key) }
        rules = newRules
        machines = kept
    }

    /// Whether a cycle with this CPU pressure share is kept out of a regression rule.
    static func isContended(_ cpuPressureShare: Double?, limit: Double) -> Bool {
        (cpuPressureShare ?? 0) > limit
    }

    /// Whether any regression rule keeps this cycle out (counted in bitprobe_cycles_contended).
    func isContendedForAnyRegressionRule(_ cpuPressureShare: Double?) -> Bool {
        rules.contains { rule in
            if case .regression = rule.kind { return Self.isContended(cpuPressureShare, limit: rule.maxCPUPressure) }
            return false
        }
    }

    /// `baseline` is the agent's loaded baseline, the reference of `regression` rules that name it.
    /// `cpuPressureShare` is the share of the cycle's wall time in which some task waited for a CPU
    /// (nil where the kernel has no PSI).
    mutating func evaluate(results: [ProbeResult], pressure: MemoryPressureLevel, baseline: Baseline? = nil, device: String = "cpu0", now: Double,
                           cpuPressureShare: Double? = nil) {
        // History first: the rolling comparison judges the latest cycles, this one included. One
        // history serves every window rule, so it takes the cycles the most tolerant one accepts.
        let historyLimit = rules.compactMap { rule -> Double? in
            if case .regression(.window, _, _) = rule.kind { return rule.maxCPUPressure }
            return nil
        }.max() ?? 1
        for result in results where result.outcome == .ok { lastSuccess[result.spec] = result.startedAt + result.wallSeconds }
        if !Self.isContended(cpuPressureShare, limit: historyLimit) { recordHistory(results) }
        var nowRegressed: Set<ProbeSpec> = []
        for rule in rules {
            var active: [[String: String]: (value: Double, annotations: [String: String])] = [:]
            let holding: [([String: String], Double, String)]
            if case .regression = rule.kind {
                if Self.isContended(cpuPressureShare, limit: rule.maxCPUPressure) {
                    holding = lastRegressionHolding[rule.name] ?? []
                } else {
                    holding = conditions(of: rule, results: results, pressure: pressure, baseline: baseline, device: device, now: now)
                    lastRegressionHolding[rule.name] = holding
                }
            } else {
                holding = conditions(of: rule, results: results, pressure: pressure, baseline: baseline, device: device, now: now)
            }
            if case .regression(.window, _, _) = rule.kind {
                for result in results where holding.contains(where: { $0.0 == Self.labels(result.spec) }) { nowRegressed.insert(result.spec) }
            }
            for (labels, value, description) in holding {
                var all = labels
                all["alertname"] = rule.name
                all["severity"] = rule.severity
                active[all] = (value, ["summary": rule.summary ?? description, "description": description])
            }
            machines[rule.name]?.evaluate(active: active, at: now)
        }
        regressed = nowRegressed
    }

    private mutating func recordHistory(_ results: [ProbeResult]) {
        let window = rules.compactMap { rule -> Int? in
            if case .regression(.window(let cycles), _, _) = rule.kind { return cycles }
            return nil
        }.max() ?? 0
        for result in results where result.outcome == .ok {
            guard window > 0, let median = result.statistics?.median else { continue }
            recent[result.spec, default: []].append(median)
            guard recent[result.spec]!.count > Self.recentCycles else { continue }
            let leaving = recent[result.spec]!.removeFirst()
            guard !regressed.contains(result.spec) else { continue }
            referenceWindow[result.spec, default: []].append(leaving)
            if referenceWindow[result.spec]!.count > window { referenceWindow[result.spec]!.removeFirst() }
        }
    }

    /// Label sets (probe or device labels) for which the rule's condition holds, with a value and a
    /// sentence saying why.
    private func conditions(of rule: AlertRule, results: [ProbeResult], pressure: MemoryPressureLevel, baseline: Baseline?, device: String,
                            now: Double) -> [([String: String], Double, String)] {
        let matching = results.filter { Self.matches(rule.match, $0.spec) }
        switch rule.kind {
        case .probeFailing:
            return matching.filter { $0.outcome == .failed || $0.outcome == .timeout }.map {
                (Self.labels($0.spec), 1, "probe \($0.spec) ended \($0.outcome.rawValue): \($0.detail ?? "")")
            }
        case .probeMismatch:
            return matching.filter { $0.outcome == .mismatch }.map {
                (Self.labels($0.spec), 1, "probe \($0.spec) computed a wrong result: \($0.detail ?? "")")
            }
        case .probeStale(let maxAge):
            return matching.compactMap { result in
                let since = lastSuccess[result.spec] ?? startedAt
                let age = now - since
                guard age > maxAge else { return nil }
                return (Self.labels(result.spec), age, "probe \(result.spec) has not verified for \(Int(age)) s (limit \(Int(maxAge)) s)")
            }
        case .memoryPressure(let minimum):
            guard pressure >= minimum else { return [] }
            return [(["device": device], Double(pressure.rawValue), "memory pressure on \(device) is \(pressure.name)")]
        case .regression(let reference, let threshold, let alpha):
            var criteria = RegressionCriteria()
            criteria.thresholdPercent = threshold
            criteria.alpha = alpha
            let references: [ProbeResult]
            let current: [ProbeResult]
            let referenceName: String
            switch reference {
            case .window(let cycles):
                // The latest `recentCycles` cycle medians against the `cycles` before them.
                referenceName = "the previous \(cycles) cycles"
                var pairs: [(reference: ProbeResult, current: ProbeResult)] = []
                for result in matching where result.outcome == .ok {
                    guard let window = referenceWindow[result.spec], window.count >= cycles,
                          let latest = recent[result.spec], latest.count == Self.recentCycles else { continue }
                    pairs.append((Self.withSamples(result, Array(window.suffix(cycles))), Self.withSamples(result, latest)))
                }
                references = pairs.map(\.reference)
                current = pairs.map(\.current)
            case .baseline(let name):
                referenceName = "baseline \(name)"
                references = baseline?.name == name ? baseline!.results : []
                current = matching.filter { $0.outcome == .ok }
            }
            return RegressionAnalysis.compare(baseline: references, current: current, criteria: criteria)
                .filter { $0.verdict == .regression }
                .map { comparison in
                    let ratio = comparison.medianRatio ?? 0
                    return (Self.labels(comparison.spec), ratio,
                            "probe \(comparison.spec) is \(formatPercent((ratio - 1) * 100)) slower than \(referenceName) (median ratio \(formatRatio(ratio)), p = \(comparison.mannWhitney.map { formatRatio($0.pValue) } ?? "?"))")
                }
        }
    }

    /// A stand-in result holding a window's cycle medians as its samples.
    private static func withSamples(_ result: ProbeResult, _ samples: [Double]) -> ProbeResult {
        var reference = result
        reference.samples = samples
        reference.statistics = SampleStatistics(samples)
        reference.outcome = .ok
        return reference
    }

    /// The probe labels of the metric catalogue, as the metrics use them.
    static func labels(_ spec: ProbeSpec) -> [String: String] {
        Dictionary(uniqueKeysWithValues: ProbeMetricsRecorder.labels(for: spec).pairs.map { ($0.name, $0.value) })
    }

    static func matches(_ match: [String: String], _ spec: ProbeSpec) -> Bool {
        let labels = Self.labels(spec)
        return match.allSatisfy { labels[$0.key] == $0.value }
    }

    /// Pending and firing alerts of every rule, in a stable order.
    var activeAlerts: [Alert] {
        rules.flatMap { rule in (machines[rule.name]?.activeInstances ?? []).map(Self.alert) }
    }

    /// Firing and recently resolved alerts (for Alertmanager).
    var notifiableAlerts: [Alert] {
        rules.flatMap { rule in (machines[rule.name]?.notifiableInstances ?? []).map(Self.alert) }
    }

    private static func alert(_ instance: AlertStateMachine.Instance) -> Alert {
        Alert(labels: instance.labels, annotations: instance.annotations, state: instance.state, activeAt: instance.activeAt,
              firedAt: instance.firedAt, resolvedAt: instance.resolvedAt, value: instance.value)
    }

    /// `bitprobe_alerts{alertname,severity,alertstate,...}` = 1, like Prometheus's ALERTS.
    static func family(_ alerts: [Alert]) -> MetricFamily {
        MetricFamily(name: "bitprobe_alerts", help: "Alerts of the agent's in-process rules that are pending or firing (like Prometheus's ALERTS).",
                     type: .gauge, metrics: alerts.map { alert in
                         var pairs = alert.labels.map { ($0.key, $0.value) }
                         pairs.append(("alertstate", alert.state.rawValue))
                         return Metric(labels: Labels(pairs), value: .gauge(1))
                     })
    }
}

func formatPercent(_ value: Double) -> String { String(Int((value).rounded())) + "%" }

func formatRatio(_ value: Double) -> String {
    let scaled = (value * 1000).rounded() / 1000
    return String(scaled)
}
