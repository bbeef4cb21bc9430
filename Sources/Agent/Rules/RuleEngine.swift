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
    /// Verified samples of each probe's latest cycles, newest last (rolling regression reference).
    private var history: [ProbeSpec: [[Double]]] = [:]
    private var lastSuccess: [ProbeSpec: Double] = [:]
    private let startedAt: Double
    private let baselines: (String) -> Baseline?

    init(rules: [AlertRule], startedAt: Double, baselines: @escaping (String) -> Baseline?) {
        self.rules = rules
        self.startedAt = startedAt
        self.baselines = baselines
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
        rules = newRules
        machines = kept
    }

    mutating func evaluate(results: [ProbeResult], pressure: MemoryPressureLevel, device: String = "cpu0", now: Double) {
        for rule in rules {
            var active: [[String: String]: (value: Double, annotations: [String: String])] = [:]
            for (labels, value, description) in conditions(of: rule, results: results, pressure: pressure, device: device, now: now) {
                var all = labels
                all["alertname"] = rule.name
                all["severity"] = rule.severity
                active[all] = (value, ["summary": rule.summary ?? description, "description": description])
            }
            machines[rule.name]?.evaluate(active: active, at: now)
        }
        // The reference window of the *next* evaluation includes this cycle.
        for result in results where result.outcome == .ok {
            lastSuccess[result.spec] = result.startedAt + result.wallSeconds
            history[result.spec, default: []].append(result.samples)
            let keep = rules.compactMap { rule -> Int? in
                if case .regression(.window(let cycles), _, _) = rule.kind { return cycles }
                return nil
            }.max() ?? 0
            if history[result.spec]!.count > keep { history[result.spec]!.removeFirst(history[result.spec]!.count - keep) }
        }
    }

    /// Label sets (probe or device labels) for which the rule's condition holds, with a value and a
    /// sentence saying why.
    private func conditions(of rule: AlertRule, results: [ProbeResult], pressure: MemoryPressureLevel, device: String,
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
            let referenceName: String
            switch reference {
            case .window(let cycles):
                referenceName = "the previous \(cycles) cycles"
                references = matching.compactMap { result in
                    guard let past = history[result.spec], past.count >= cycles else { return nil }
                    return Self.pooled(result, samples: past.flatMap { $0 })
                }
            case .baseline(let name):
                referenceName = "baseline \(name)"
                references = baselines(name)?.results ?? []
            }
            return RegressionAnalysis.compare(baseline: references, current: matching.filter { $0.outcome == .ok }, criteria: criteria)
                .filter { $0.verdict == .regression }
                .map { comparison in
                    let ratio = comparison.medianRatio ?? 0
                    return (Self.labels(comparison.spec), ratio,
                            "probe \(comparison.spec) is \(formatPercent((ratio - 1) * 100)) slower than \(referenceName) (median ratio \(formatRatio(ratio)), p = \(comparison.mannWhitney.map { formatRatio($0.pValue) } ?? "?"))")
                }
        }
    }

    /// A stand-in result holding a reference window's pooled samples.
    private static func pooled(_ result: ProbeResult, samples: [Double]) -> ProbeResult {
        var reference = result
        reference.samples = samples
        reference.statistics = SampleStatistics(samples)
        reference.outcome = .ok
        return reference
    }

    static func labels(_ spec: ProbeSpec) -> [String: String] {
        ["backend": spec.backend.rawValue, "device": spec.device, "op": spec.op.rawValue, "dtype": spec.dtype.rawValue, "shape": spec.shape.description]
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
