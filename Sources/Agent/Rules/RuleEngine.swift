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
    /// Each probe's latest `recentCycles` judged cycles, newest last, and before them its rolling
    /// reference window; both keep whole cycles (`CycleMedians`), so the probe can be read against
    /// its co-moving peers in the same cycles. A cycle leaves `recent` for the window only while
    /// its probe is not regressed, so a sustained slowdown does not become its own reference and
    /// keeps firing until it ends; nor does a cycle in which the device's other probes ran slowed
    /// (`learns` false), so a node that stays slower keeps `nodeSlowdown` firing.
    private var recent: [ProbeSpec: [(cycle: CycleMedians, learns: Bool)]] = [:]
    private var referenceWindow: [ProbeSpec: [CycleMedians]] = [:]
    /// The latest `peerHistoryCycles` uncontended cycles, from which each probe's co-moving peers
    /// are chosen: longer than a window, because which probes move together is a property of the
    /// machine, and a window may hold no shift to show it.
    private var peerHistory: [CycleMedians] = []
    static let peerHistoryCycles = 360
    private var regressed: Set<ProbeSpec> = []
    /// Each probe's reading's robust CV over the history (`HistoryReading.variation`), the floor of
    /// its noise bar; it stays as it was while the probe is regressed, as the window does, so that
    /// a sustained slowdown entering the history does not widen the bar it is judged by.
    private var historyVariations: [ProbeSpec: Double] = [:]
    /// Cycles judged together against the window: iteration samples within one cycle share that
    /// cycle's machine state (contention, clocks), so the test compares cycle medians, and a
    /// slowdown must show in several cycles, not in one. Six, with a 2x noise bar and co-moving
    /// peers: the current rule fires on none of eight quiet recordings of 200 cycles 10 s apart
    /// (six on Zen 5, two on Sapphire Rapids); with the rule of 2026-12-07 06:00, six recent
    /// cycles fired once on the four Zen 5 recordings of then, four caught more but fired three
    /// times (docs/benchmarks.md, "Alert detection power").
    static let recentCycles = 6
    /// Fewest window cycles for a probe to count as a peer or towards a node factor.
    static let minimumFactorWindow = 20
    /// The verdicts of each other timing rule (baseline regressions, node slowdowns) from its latest
    /// uncontended cycle (rolling regressions keep theirs per probe, below): a cycle in which other
    /// tasks waited for a CPU more than the rule's `maxCPUPressure` (Linux CPU pressure, measured
    /// by the scheduler) ran on a contended machine, and its timings say more about the other work
    /// than about the probes. The rule neither learns from it nor judges it.
    private var lastTimingHolding: [String: [Holding]] = [:]
    /// Per rolling regression rule, the latest verdict of each regressed probe: it stands while the
    /// probe's peers are slowed, and for all probes through a contended cycle.
    private var lastProbeVerdicts: [String: [ProbeSpec: Holding]] = [:]
    typealias Holding = ([String: String], Double, String)
    /// Each backend and device's node factor in the latest cycle (`WindowRegressionTest.nodeFactors`).
    private(set) var nodeFactors: [(backend: String, device: String, factor: Double)] = []
    /// Each probe's latest `baselineRoundCycles` uncontended cycles, as rounds for `regression`
    /// rules against a baseline: a cycle's median is one value, as a round's is in `bitprobe regress`
    /// (`RoundRatio`), so a cycle-long spell counts once, not as hundreds of samples.
    private var baselineRounds: [ProbeSpec: [RoundSummary]] = [:]
    static let baselineRoundCycles = 6
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
        lastTimingHolding = lastTimingHolding.filter { unchanged.contains($0.key) }
        lastProbeVerdicts = lastProbeVerdicts.filter { unchanged.contains($0.key) }
        rules = newRules
        machines = kept
    }

    /// Whether a cycle with this CPU pressure share is kept out of a regression rule.
    static func isContended(_ cpuPressureShare: Double?, limit: Double) -> Bool {
        (cpuPressureShare ?? 0) > limit
    }

    /// Whether any regression rule keeps this cycle out (counted in bitprobe_cycles_contended).
    func isContendedForAnyRegressionRule(_ cpuPressureShare: Double?) -> Bool {
        rules.contains { rule in rule.kind.judgesTimings && Self.isContended(cpuPressureShare, limit: rule.maxCPUPressure) }
    }

    /// Whether a probe whose peers ran at `peerFactor` of their windows is kept out of a rule.
    static func isPeerSlowed(_ peerFactor: Double?, limitPercent: Double) -> Bool {
        (peerFactor ?? 0) > 1 + limitPercent / 100
    }

    /// `baseline` is the agent's loaded baseline, the reference of `regression` rules that name it.
    /// `cpuPressureShare` is the share of the cycle's wall time in which some task waited for a CPU
    /// (nil where the kernel has no PSI).
    /// `pressure` is each device's memory pressure level as the cycle assessed it.
    mutating func evaluate(
        results: [ProbeResult], pressure: [String: MemoryPressureLevel], baseline: Baseline? = nil, now: Double,
        cpuPressureShare: Double? = nil
    ) {
        // History first: the rolling comparison judges the latest cycles, this one included. One
        // history serves every window rule, so it takes the cycles the most tolerant one accepts.
        let windowRules = rules.filter { $0.kind.windowCycles != nil }
        let historyLimit = windowRules.map(\.maxCPUPressure).max() ?? 1
        let peerLimit = windowRules.map(\.maxPeerSlowdownPercent).max() ?? .infinity
        for result in results where result.outcome == .ok { lastSuccess[result.spec] = result.startedAt + result.wallSeconds }
        // Factors against the windows as they were before this cycle.
        var ownWindows: [ProbeSpec: [Double]] = [:]
        for (spec, cycles) in referenceWindow { ownWindows[spec] = cycles.compactMap { $0[spec] } }
        let ratios = WindowRegressionTest.windowRatios(results: results, windows: ownWindows, minimumWindow: Self.minimumFactorWindow)
        let peerFactors = WindowRegressionTest.peerFactors(results: results, ratios: ratios)
        nodeFactors = WindowRegressionTest.nodeFactors(ratios: ratios)
        let cycle = Self.cycleMedians(results)
        let readings = historyReadings(of: results)
        let models = readings.compactMapValues(\.model)
        for (spec, reading) in readings where !regressed.contains(spec) || historyVariations[spec] == nil {
            historyVariations[spec] = reading.variation
        }
        if !Self.isContended(cpuPressureShare, limit: historyLimit) {
            let nodeSlowed = Set(results.map(\.spec).filter { Self.isPeerSlowed(peerFactors[$0], limitPercent: peerLimit) })
            recordHistory(results.filter { !nodeSlowed.contains($0.spec) || models[$0.spec] != nil }, cycle: cycle, nodeSlowed: nodeSlowed)
        }
        let baselineRules = rules.filter(\.kind.comparesWithBaseline)
        if let limit = baselineRules.map(\.maxCPUPressure).max(), !Self.isContended(cpuPressureShare, limit: limit) {
            for result in results {
                guard let round = RoundSummary(result) else { continue }
                baselineRounds[result.spec, default: []].append(round)
                if baselineRounds[result.spec]!.count > Self.baselineRoundCycles { baselineRounds[result.spec]!.removeFirst() }
            }
        }
        var nowRegressed: Set<ProbeSpec> = []
        for rule in rules {
            var active: [[String: String]: (value: Double, annotations: [String: String])] = [:]
            let holding: [Holding]
            if case .regression(.window, _, _) = rule.kind {
                holding =
                    Self.isContended(cpuPressureShare, limit: rule.maxCPUPressure)
                    ? results.compactMap { lastProbeVerdicts[rule.name]?[$0.spec] }
                    : windowRegressions(of: rule, results: results, models: models, peerFactors: peerFactors)
            } else if rule.kind.judgesTimings, Self.isContended(cpuPressureShare, limit: rule.maxCPUPressure) {
                holding = lastTimingHolding[rule.name] ?? []
            } else if case .nodeSlowdown(let threshold, _) = rule.kind {
                holding = nodeFactors.compactMap { node in
                    let labels = ["backend": node.backend, "device": node.device]
                    guard node.factor > 1 + threshold / 100, Self.matchesLabels(rule.match, labels) else { return nil }
                    return (
                        labels, node.factor,
                        "the probes of \(node.backend) \(node.device) run \(formatPercent((node.factor - 1) * 100)) slower than their rolling windows (median ratio \(formatRatio(node.factor)))"
                    )
                }
                lastTimingHolding[rule.name] = holding
            } else {
                holding = conditions(of: rule, results: results, pressure: pressure, baseline: baseline, now: now)
                if rule.kind.judgesTimings { lastTimingHolding[rule.name] = holding }
            }
            if case .regression(.window, _, _) = rule.kind {
                for result in results where holding.contains(where: { $0.0 == Self.labels(result.spec) }) { nowRegressed.insert(result.spec) }
            }
            for (labels, value, description) in holding {
                active[Self.alertLabels(labels, of: rule)] = (value, ["summary": rule.summary ?? description, "description": description])
            }
            machines[rule.name]?.evaluate(active: active, at: now)
        }
        regressed = nowRegressed
    }

    /// A rolling regression rule's verdicts: each probe judged by `WindowRegressionTest`, except
    /// that a probe read on its own whose peers (all other probes of its device) ran slowed beyond
    /// the rule's `maxPeerSlowdownPercent`, or one whose alert fires and whose recent cycles were
    /// too few judged (the test's `decided`), keeps its latest verdict. A probe read against its
    /// co-moving peers is judged in every cycle: the reading divides their shift out, and skipping
    /// such cycles starved the windows on Zen 5, whose memory-bound probes ran 1.2-2.2x slower for
    /// minutes (docs/alerting.md, "Slowed peers").
    private mutating func windowRegressions(
        of rule: AlertRule, results: [ProbeResult], models: [ProbeSpec: WindowRegressionTest.PeerModel], peerFactors: [ProbeSpec: Double]
    ) -> [Holding] {
        guard case .regression(.window(let cycles), let threshold, let alpha) = rule.kind else { return [] }
        let test = WindowRegressionTest(
            thresholdPercent: threshold, alpha: alpha, noiseMultiple: rule.noiseMultiple, maxPeerSlowdownPercent: rule.maxPeerSlowdownPercent)
        var verdicts = lastProbeVerdicts[rule.name] ?? [:]
        var holding: [Holding] = []
        for result in results where result.outcome == .ok && Self.matches(rule.match, result.spec) {
            let spec = result.spec
            var verdict: WindowRegressionTest.Verdict?
            if let window = referenceWindow[spec], window.count >= cycles, let latest = recent[spec]?.map(\.cycle), latest.count == Self.recentCycles {
                verdict = test.judge(
                    spec, recent: latest, window: Array(window.suffix(cycles)), model: models[spec], historyVariation: historyVariations[spec] ?? 0)
            }
            // Read on its own (no peer model, or a peer lacked a cycle): the node's slowdown is in it.
            let readOnItsOwn = verdict.map(\.peers.isEmpty) ?? (models[spec] == nil)
            // Too few recent cycles judged: an alert that fires keeps firing, a pending one needs
            // judged cycles to fire (replayed on Zen 5, a verdict standing through undecided cycles
            // turned one regressed cycle into a false alarm).
            let undecidedWhileFiring = verdict?.decided == false && isFiring(rule, spec)
            if readOnItsOwn && Self.isPeerSlowed(peerFactors[spec], limitPercent: rule.maxPeerSlowdownPercent) || undecidedWhileFiring {
                if let kept = verdicts[spec] { holding.append(kept) }
                continue
            }
            guard let verdict, verdict.regressed else {
                verdicts[spec] = nil
                continue
            }
            let reading =
                verdict.peers.isEmpty
                ? "median ratio \(formatRatio(verdict.ratio))"
                : "median ratio \(formatRatio(verdict.ratio)) against its co-moving peers \(verdict.peers.map(\.description).joined(separator: ", ")) (slope \(formatRatio(verdict.following))), \(formatRatio(verdict.ownRatio)) on its own"
            let entry: Holding = (
                Self.labels(spec), verdict.ratio,
                "probe \(spec) is \(formatPercent((verdict.ratio - 1) * 100)) slower than the previous \(cycles) cycles (\(reading); \(verdict.judgedCycles) of \(verdict.recentCycles) recent cycles judged; bar \(formatRatio(verdict.bar)), p = \(formatPValue(verdict.pValue)))"
            )
            verdicts[spec] = entry
            holding.append(entry)
        }
        lastProbeVerdicts[rule.name] = verdicts
        return holding
    }

    private func isFiring(_ rule: AlertRule, _ spec: ProbeSpec) -> Bool {
        machines[rule.name]?.instances[Self.alertLabels(Self.labels(spec), of: rule)]?.state == .firing
    }

    /// An alert's label set: the labels its condition held for, with the rule's name and severity.
    static func alertLabels(_ labels: [String: String], of rule: AlertRule) -> [String: String] {
        var all = labels
        all["alertname"] = rule.name
        all["severity"] = rule.severity
        return all
    }

    /// The cycle's median of every probe that verified in it.
    static func cycleMedians(_ results: [ProbeResult]) -> CycleMedians {
        var cycle: CycleMedians = [:]
        for result in results where result.outcome == .ok {
            if let median = result.statistics?.median, median > 0 { cycle[result.spec] = median }
        }
        return cycle
    }

    /// How each verified probe is read (`WindowRegressionTest.historyReading`), from the history
    /// before this cycle; absent where the history holds no cycle of it.
    private func historyReadings(of results: [ProbeResult]) -> [ProbeSpec: WindowRegressionTest.HistoryReading] {
        let history = CycleColumns(peerHistory)
        var readings: [ProbeSpec: WindowRegressionTest.HistoryReading] = [:]
        for result in results where result.outcome == .ok {
            let candidates = WindowRegressionTest.comovingPeers(of: result.spec, history: history)
            readings[result.spec] = WindowRegressionTest.historyReading(result.spec, history: history, candidates: candidates)
        }
        return readings
    }

    /// `results`: the probes this cycle is judged for; `nodeSlowed`: those whose device's other
    /// probes ran slowed in it, judged (when read against co-moving peers) but not learned from.
    private mutating func recordHistory(_ results: [ProbeResult], cycle: CycleMedians, nodeSlowed: Set<ProbeSpec>) {
        let window = rules.compactMap(\.kind.windowCycles).max() ?? 0
        guard window > 0 else { return }
        peerHistory.append(cycle)
        if peerHistory.count > Self.peerHistoryCycles { peerHistory.removeFirst() }
        for result in results where cycle[result.spec] != nil {
            recent[result.spec, default: []].append((cycle, !nodeSlowed.contains(result.spec)))
            guard recent[result.spec]!.count > Self.recentCycles else { continue }
            let leaving = recent[result.spec]!.removeFirst()
            guard leaving.learns, !regressed.contains(result.spec) else { continue }
            referenceWindow[result.spec, default: []].append(leaving.cycle)
            if referenceWindow[result.spec]!.count > window { referenceWindow[result.spec]!.removeFirst() }
        }
    }

    /// Label sets (probe or device labels) for which the rule's condition holds, with a value and a
    /// sentence saying why.
    private func conditions(
        of rule: AlertRule, results: [ProbeResult], pressure: [String: MemoryPressureLevel], baseline: Baseline?,
        now: Double
    ) -> [([String: String], Double, String)] {
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
        case .probeBudget(let budget):
            return matching.compactMap { result in budget.breach(of: result).map { (Self.labels(result.spec), $0.0, $0.1) } }
        case .memoryPressure(let minimum):
            return pressure.sorted { $0.key < $1.key }.filter { $0.value >= minimum }.map { device, level in
                (["device": device], Double(level.rawValue), "memory pressure on \(device) is \(level.name)")
            }
        case .nodeSlowdown:
            return []  // evaluated in `evaluate`, from the cycle's node factors
        case .regression(let reference, let threshold, let alpha):
            // Rolling windows are judged in `windowRegressions`.
            guard case .baseline(let name) = reference else { return [] }
            var criteria = RegressionCriteria()
            criteria.thresholdPercent = threshold
            criteria.alpha = alpha
            let references = baseline?.name == name ? baseline!.results : []
            // The latest cycles stand for the current rounds; judged once there are enough of them.
            let current = matching.compactMap { result -> ProbeResult? in
                guard result.outcome == .ok, let rounds = baselineRounds[result.spec], rounds.count == Self.baselineRoundCycles else { return nil }
                var pooled = result
                pooled.rounds = rounds
                return pooled
            }
            return RegressionAnalysis.compare(baseline: references, current: current, criteria: criteria)
                .filter { $0.verdict == .regression }
                .map { comparison in
                    let ratio = comparison.medianRatio ?? 0
                    let interval =
                        comparison.medianRatioInterval.map {
                            ", \(formatNumber((1 - alpha) * 100))% interval \(formatRatio($0.lower))-\(formatRatio($0.upper))"
                        } ?? ""
                    return (
                        Self.labels(comparison.spec), ratio,
                        "probe \(comparison.spec) is \(formatPercent((ratio - 1) * 100)) slower than baseline \(name) (ratio \(formatRatio(ratio)) over its last \(Self.baselineRoundCycles) cycles\(interval), p = \(comparison.mannWhitney.map { formatPValue($0.pValue) } ?? "?"))"
                    )
                }
        }
    }

    /// The probe labels of the metric catalogue (the probe model's), for matching and alert labels.
    static func labels(_ spec: ProbeSpec) -> [String: String] {
        Dictionary(uniqueKeysWithValues: spec.labels.map { ($0.name, $0.value) })
    }

    static func matches(_ match: [String: String], _ spec: ProbeSpec) -> Bool {
        matchesLabels(match, Self.labels(spec))
    }

    /// Keys the labels lack (a node rule matching on `op`) never match.
    static func matchesLabels(_ match: [String: String], _ labels: [String: String]) -> Bool {
        match.allSatisfy { labels[$0.key] == $0.value }
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
        Alert(
            labels: instance.labels, annotations: instance.annotations, state: instance.state, activeAt: instance.activeAt,
            firedAt: instance.firedAt, resolvedAt: instance.resolvedAt, value: instance.value)
    }

    /// `bitprobe_node_slowdown_ratio{backend,device}`: the latest node factor of each device.
    static func nodeFamily(_ factors: [(backend: String, device: String, factor: Double)]) -> MetricFamily {
        MetricFamily(
            name: "bitprobe_node_slowdown_ratio",
            help:
                "Median over a device's probes of the latest cycle median / the probe's rolling-window median (above 1: the node runs slower); absent until the windows have 20 cycles.",
            type: .gauge, unit: "ratio",
            metrics: factors.map { node in
                Metric(labels: Labels([("backend", node.backend), ("device", node.device)]), value: .gauge(node.factor))
            })
    }

    /// `bitprobe_alerts{alertname,severity,alertstate,...}` = 1, like Prometheus's ALERTS.
    static func family(_ alerts: [Alert]) -> MetricFamily {
        MetricFamily(
            name: "bitprobe_alerts", help: "Alerts of the agent's in-process rules that are pending or firing (like Prometheus's ALERTS).",
            type: .gauge,
            metrics: alerts.map { alert in
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
