import Testing

@testable import Agent
@testable import BitProbe

@Suite struct AlertStateMachineTests {
    let labels = ["alertname": "A"]

    @Test func pendingThenFiringAfterFor() {
        var machine = AlertStateMachine(forSeconds: 10, keepFiringForSeconds: 0)
        machine.evaluate(active: [labels: (1, [:])], at: 100)
        #expect(machine.activeInstances.map(\.state) == [.pending])
        machine.evaluate(active: [labels: (1, [:])], at: 109)
        #expect(machine.activeInstances.map(\.state) == [.pending])
        machine.evaluate(active: [labels: (2, [:])], at: 110)
        #expect(machine.activeInstances.map(\.state) == [.firing])
        #expect(machine.activeInstances[0].activeAt == 100 && machine.activeInstances[0].firedAt == 110 && machine.activeInstances[0].value == 2)
    }

    @Test func pendingThatStopsHoldingIsDropped() {
        var machine = AlertStateMachine(forSeconds: 10, keepFiringForSeconds: 0)
        machine.evaluate(active: [labels: (1, [:])], at: 100)
        machine.evaluate(active: [:], at: 105)
        #expect(machine.activeInstances.isEmpty && machine.notifiableInstances.isEmpty)
        machine.evaluate(active: [labels: (1, [:])], at: 106)
        #expect(machine.activeInstances[0].activeAt == 106, "a new pending period starts")
    }

    @Test func zeroForFiresAtOnceAndResolvesAtOnce() {
        var machine = AlertStateMachine(forSeconds: 0, keepFiringForSeconds: 0)
        machine.evaluate(active: [labels: (1, [:])], at: 100)
        #expect(machine.activeInstances.map(\.state) == [.firing])
        machine.evaluate(active: [:], at: 101)
        #expect(machine.activeInstances.isEmpty)
        #expect(machine.notifiableInstances.map(\.resolvedAt) == [101], "kept to send the end to Alertmanager")
    }

    @Test func keepFiringForHoldsThroughABriefGap() {
        var machine = AlertStateMachine(forSeconds: 0, keepFiringForSeconds: 30)
        machine.evaluate(active: [labels: (1, [:])], at: 100)
        machine.evaluate(active: [:], at: 110)
        machine.evaluate(active: [:], at: 139)
        #expect(machine.activeInstances.map(\.state) == [.firing])
        machine.evaluate(active: [labels: (1, [:])], at: 140)
        machine.evaluate(active: [:], at: 150)
        machine.evaluate(active: [:], at: 179)
        #expect(machine.activeInstances.map(\.state) == [.firing], "the condition came back, so the clock restarted at 150")
        machine.evaluate(active: [:], at: 180)
        #expect(machine.activeInstances.isEmpty)
        #expect(machine.notifiableInstances[0].resolvedAt == 180)
    }

    @Test func resolvedAlertsAreForgottenAfterRetention() {
        var machine = AlertStateMachine(forSeconds: 0, keepFiringForSeconds: 0, resolvedRetention: 60)
        machine.evaluate(active: [labels: (1, [:])], at: 100)
        machine.evaluate(active: [:], at: 101)
        machine.evaluate(active: [:], at: 160)
        #expect(machine.notifiableInstances.count == 1)
        machine.evaluate(active: [:], at: 161)
        #expect(machine.notifiableInstances.isEmpty)
    }
}

@Suite struct RuleEngineTests {
    let spec = try! ProbeSpec(op: .add, dtype: .f32, shape: ProbeShape([100]))

    func result(_ outcome: ProbeOutcome, samples: [Double], at time: Double = 1000) -> ProbeResult {
        ProbeResult(
            spec: spec, outcome: outcome, detail: outcome == .ok ? nil : "3 of 10 checked values wrong", startedAt: time, wallSeconds: 1,
            warmupIterations: 0, samples: samples, statistics: SampleStatistics(samples), operationsPerSecond: nil,
            bytesPerSecond: outcome == .ok ? 1 : nil, verification: nil, kernelPath: "avx2", threads: 1, seed: 1)
    }

    /// The suite's probe alone through an engine, a cycle at a time: 20 samples at `scale`, each
    /// with up to 2 % of noise.
    struct OneProbe {
        let suite: RuleEngineTests
        var engine: RuleEngine
        var random: SeededRandom
        var now = 0.0

        init(_ suite: RuleEngineTests, rule: AlertRule, seed: UInt64) {
            self.suite = suite
            engine = RuleEngine(rules: [rule], startedAt: 0)
            random = SeededRandom(seed: seed)
        }

        mutating func cycle(_ scale: Double) {
            now += 1
            let samples = (0..<20).map { _ in scale * (1 + 0.02 * Double(random.nextSignedUnitFloat())) }
            engine.evaluate(results: [suite.result(.ok, samples: samples)], pressure: ["cpu0": .low], now: now)
        }
    }

    @Test func mismatchFiresWithProbeLabels() {
        var engine = RuleEngine(rules: [AlertRule(name: "M", kind: .probeMismatch, severity: "critical")], startedAt: 0)
        engine.evaluate(results: [result(.mismatch, samples: [])], pressure: ["cpu0": .low], now: 10)
        #expect(engine.activeAlerts.count == 1)
        let alert = engine.activeAlerts[0]
        #expect(alert.state == .firing)
        #expect(alert.labels == ["alertname": "M", "severity": "critical", "backend": "cpu", "device": "cpu0", "op": "add", "dtype": "f32", "shape": "100"])
        #expect(alert.annotations["description"] == "probe cpu0 add f32 100 computed a wrong result: 3 of 10 checked values wrong")
        let rendered = RuleEngine.family(engine.activeAlerts)
        #expect(rendered.metrics[0].labels["alertstate"] == "firing")
    }

    @Test func memoryPressureUsesTheDeviceLabel() {
        var engine = RuleEngine(rules: [AlertRule(name: "P", kind: .memoryPressure(minimum: .high), severity: "warning")], startedAt: 0)
        engine.evaluate(results: [], pressure: ["cpu0": .medium], now: 1)
        #expect(engine.activeAlerts.isEmpty)
        engine.evaluate(results: [], pressure: ["cpu0": .critical], now: 2)
        #expect(engine.activeAlerts.map(\.labels) == [["alertname": "P", "severity": "warning", "device": "cpu0"]])
    }

    /// Every device's pressure reaches the rule (issue 13: only cpu0's did, though docs/alerting.md
    /// says per device), each its own alert with its own level.
    @Test func memoryPressureAlertsPerDeviceGPUsIncluded() {
        var engine = RuleEngine(rules: [AlertRule(name: "P", kind: .memoryPressure(minimum: .high), severity: "warning")], startedAt: 0)
        engine.evaluate(results: [], pressure: ["cpu0": .low, "cuda0": .critical, "cuda1": .medium, "cuda2": .high], now: 1)
        #expect(
            engine.activeAlerts.map(\.labels) == [
                ["alertname": "P", "severity": "warning", "device": "cuda0"],
                ["alertname": "P", "severity": "warning", "device": "cuda2"],
            ])
        #expect(engine.activeAlerts.map(\.annotations["description"]) == ["memory pressure on cuda0 is critical", "memory pressure on cuda2 is high"])
    }

    @Test func rollingWindowComparesTheLatestCycleMediansWithTheWindowBeforeThem() {
        let rule = AlertRule(name: "R", kind: .regression(reference: .window(cycles: 20), thresholdPercent: 10, alpha: 0.01), severity: "warning")
        var run = OneProbe(self, rule: rule, seed: 3)
        func cycle(_ scale: Double) { run.cycle(scale) }
        #expect(RuleEngine.recentCycles == 6)
        for _ in 0..<26 { cycle(1) }
        #expect(run.engine.activeAlerts.isEmpty)
        // One very slow cycle (a load spike) is not a regression: the latest six cycles are judged together.
        cycle(3)
        #expect(run.engine.activeAlerts.isEmpty)
        for _ in 0..<6 { cycle(1) }
        for _ in 0..<6 { cycle(1.03) }
        #expect(run.engine.activeAlerts.isEmpty, "3 % is below the 10 % threshold")
        cycle(1.3)
        #expect(run.engine.activeAlerts.isEmpty, "one slow cycle of the latest six leaves their median at 1.03")
        for _ in 0..<4 { cycle(1.3) }
        #expect(run.engine.activeAlerts.isEmpty, "median 1.3, but the fastest recent cycle is only 3 % slower: a spell, not every cycle")
        cycle(1.3)
        #expect(run.engine.activeAlerts.count == 1, "every cycle of the latest six is 1.3")
        #expect(run.engine.activeAlerts.first?.annotations["description"]?.hasPrefix("probe cpu0 add f32 100 is ") == true)
    }

    /// The bar's noise comes from the history too (WindowRegressionTest.HistoryReading): a slowdown
    /// that lasts until half the history holds it must not widen its own bar and resolve itself.
    @Test func aSustainedSlowdownKeepsFiringAfterItFillsHalfTheHistory() {
        let rule = AlertRule(name: "R", kind: .regression(reference: .window(cycles: 20), thresholdPercent: 10, alpha: 0.01), severity: "warning")
        var run = OneProbe(self, rule: rule, seed: 5)
        func cycle(_ scale: Double) { run.cycle(scale) }
        for _ in 0..<180 { cycle(1) }
        for _ in 0..<6 { cycle(1.3) }
        #expect(run.engine.activeAlerts.count == 1)
        var resolvedAt: Int?
        for index in 6..<240 {
            cycle(1.3)
            if resolvedAt == nil && run.engine.activeAlerts.isEmpty { resolvedAt = index }
        }
        #expect(resolvedAt == nil, "resolved after \(resolvedAt ?? 0) slowed cycles of a 360-cycle history")
        for _ in 0..<6 { cycle(1) }
        #expect(run.engine.activeAlerts.isEmpty, "back to the window's speed")
    }

    @Test func contendedCyclesNeitherTeachNorJudgeTheRollingWindowAndKeepTheVerdict() {
        let rule = AlertRule(name: "R", kind: .regression(reference: .window(cycles: 20), thresholdPercent: 10, alpha: 0.01), severity: "warning")
        var engine = RuleEngine(rules: [rule], startedAt: 0)
        var random = SeededRandom(seed: 5)
        var now = 0.0
        func cycle(_ scale: Double, cpuPressure: Double) {
            now += 1
            let samples = (0..<20).map { _ in scale * (1 + 0.02 * Double(random.nextSignedUnitFloat())) }
            engine.evaluate(results: [result(.ok, samples: samples)], pressure: ["cpu0": .low], now: now, cpuPressureShare: cpuPressure)
        }
        for _ in 0..<26 { cycle(1, cpuPressure: 0.01) }
        // Other work slows every probe 1.5x in eight contended cycles: no alert, and the reference stays 1.
        for _ in 0..<8 { cycle(1.5, cpuPressure: 0.4) }
        #expect(engine.activeAlerts.isEmpty)
        for _ in 0..<6 { cycle(1.3, cpuPressure: 0.02) }
        #expect(engine.activeAlerts.count == 1, "the quiet cycles at 1.3 are judged against a window of 1, not 1.5")
        // A contended cycle keeps the alert as it was rather than resolving it.
        cycle(1, cpuPressure: 0.5)
        #expect(engine.activeAlerts.count == 1)
        for _ in 0..<4 { cycle(1, cpuPressure: 0) }
        #expect(engine.activeAlerts.isEmpty)
        #expect(!RuleEngine.isContended(nil, limit: 0.1) && !RuleEngine.isContended(0.1, limit: 0.1) && RuleEngine.isContended(0.11, limit: 0.1))
        #expect(!RuleEngine.isContended(1, limit: 1), "1 turns the check off")
    }

    /// Six probes of one CPU; `scales[i]` multiplies probe i's time in the cycle.
    struct Node {
        let specs = [100, 200, 300, 400, 500, 600].map { try! ProbeSpec(op: .add, dtype: .f32, shape: ProbeShape([$0])) }
        var random = SeededRandom(seed: 11)

        mutating func results(_ scales: [Double]) -> [ProbeResult] {
            zip(specs, scales).map { spec, scale in
                let samples = (0..<20).map { _ in scale * (1 + 0.02 * Double(random.nextSignedUnitFloat())) }
                return ProbeResult(
                    spec: spec, outcome: .ok, detail: nil, startedAt: 0, wallSeconds: 1, warmupIterations: 0, samples: samples,
                    statistics: SampleStatistics(samples), operationsPerSecond: nil, bytesPerSecond: 1, verification: nil,
                    kernelPath: "avx2", threads: 1, seed: 1)
            }
        }
    }

    @Test func cyclesInWhichThePeersAreSlowedNeitherTeachNorJudgeAProbe() {
        let rule = AlertRule(name: "R", kind: .regression(reference: .window(cycles: 20), thresholdPercent: 10, alpha: 0.01), severity: "warning")
        var engine = RuleEngine(rules: [rule], startedAt: 0)
        var node = Node()
        var now = 0.0
        func cycle(_ scales: [Double]) {
            now += 1
            engine.evaluate(results: node.results(scales), pressure: ["cpu0": .low], now: now)
        }
        for _ in 0..<26 { cycle([1, 1, 1, 1, 1, 1]) }
        // The node slows every probe 1.5x for eight cycles: their peers are slowed, so nobody is judged.
        for _ in 0..<8 { cycle([1.5, 1.5, 1.5, 1.5, 1.5, 1.6]) }
        #expect(engine.activeAlerts.isEmpty)
        // Then one probe alone is 1.3x slower: judged against a window of 1, not 1.5.
        for _ in 0..<6 { cycle([1.3, 1, 1, 1, 1, 1]) }
        #expect(engine.activeAlerts.map { $0.labels["shape"] } == ["100"])
        // While the peers are slowed again, the probe's verdict stands.
        cycle([1.3, 1.5, 1.5, 1.5, 1.5, 1.5])
        #expect(engine.activeAlerts.map { $0.labels["shape"] } == ["100"])
        for _ in 0..<6 { cycle([1, 1, 1, 1, 1, 1]) }
        #expect(engine.activeAlerts.isEmpty)
        #expect(
            !RuleEngine.isPeerSlowed(nil, limitPercent: 10) && !RuleEngine.isPeerSlowed(1.1, limitPercent: 10)
                && RuleEngine.isPeerSlowed(1.11, limitPercent: 10))
    }

    @Test func aProbeIsJudgedAgainstItsPeersWhenTheNodeRunsFaster() {
        let rule = AlertRule(name: "R", kind: .regression(reference: .window(cycles: 20), thresholdPercent: 10, alpha: 0.01), severity: "warning")
        var engine = RuleEngine(rules: [rule], startedAt: 0)
        var node = Node()
        // The node's speed wanders by 5 % and every probe follows it: they co-move.
        for cycle in 1...30 {
            let level = [0.95, 1, 1.05][cycle % 3]
            engine.evaluate(results: node.results(Array(repeating: level, count: 6)), pressure: ["cpu0": .low], now: Double(cycle))
        }
        // The node now runs 7 % faster, and probe 100 got 15 % slower: 1.07 against its window, 1.15 against its peers.
        for cycle in 31...36 { engine.evaluate(results: node.results([1.07, 0.93, 0.93, 0.93, 0.93, 0.93]), pressure: ["cpu0": .low], now: Double(cycle)) }
        #expect(engine.activeAlerts.map { $0.labels["shape"] } == ["100"])
        #expect(engine.activeAlerts.first?.annotations["description"]?.contains("against its co-moving peers cpu0 add f32 ") == true)
    }

    /// Two classes of kernels that take turns (on the Zen 5 VM the compute-bound probes ran 1.1-1.4x
    /// slower for minutes while the memory-bound ones ran faster): a class moving together is the
    /// machine; one probe leaving its class is news.
    @Test func aShiftSharedByAProbesClassIsNoRegressionAndAProbeLeavingItIs() {
        let rule = AlertRule(name: "R", kind: .regression(reference: .window(cycles: 20), thresholdPercent: 10, alpha: 0.01), severity: "warning")
        var engine = RuleEngine(rules: [rule], startedAt: 0)
        var node = Node()
        var now = 0.0
        func cycle(_ compute: Double, _ memory: Double, probe100: Double = 1) {
            now += 1
            let scales = [compute * probe100, compute, compute, memory, memory, memory]
            engine.evaluate(results: node.results(scales), pressure: ["cpu0": .low], now: now)
        }
        for index in 0..<60 {
            let level = [0.9, 1, 1.1, 1, 0.95][index % 5]
            cycle(level, 2 - level)
        }
        #expect(engine.activeAlerts.isEmpty)
        // The compute class 1.3x slower, the memory class faster: no probe's regression.
        for _ in 0..<6 { cycle(1.3, 0.8) }
        #expect(engine.activeAlerts.isEmpty)
        for _ in 0..<6 { cycle(1, 1) }
        // Probe 100 alone 1.2x slower while its class runs at its usual speed.
        for _ in 0..<6 { cycle(1, 1, probe100: 1.2) }
        #expect(engine.activeAlerts.map { $0.labels["shape"] } == ["100"])
        let description = engine.activeAlerts.first?.annotations["description"] ?? ""
        #expect(description.contains("against its co-moving peers cpu0 add f32 "), "\(description)")
        #expect(!description.contains(" 400") && !description.contains(" 500") && !description.contains(" 600"), "peers of its own class: \(description)")
        #expect(description.contains("; 6 of 6 recent cycles judged; bar "), "\(description)")
        // Its class shifts while it stays slow: no recent cycle can be judged, its verdict stands.
        for _ in 0..<6 { cycle(1.3, 0.8, probe100: 1.2) }
        #expect(engine.activeAlerts.map { $0.labels["shape"] } == ["100"])
        for _ in 0..<6 { cycle(1, 1) }
        #expect(engine.activeAlerts.isEmpty)
    }

    /// A probe whose class shifts before its alert fires: the undecided cycles drop the pending
    /// alert rather than carry it to firing (a standing verdict counted toward `for` fired one
    /// regressed cycle on Zen 5 in replay).
    @Test func aPendingAlertNeedsJudgedCyclesToFire() {
        var rule = AlertRule(name: "R", kind: .regression(reference: .window(cycles: 20), thresholdPercent: 10, alpha: 0.01), severity: "warning")
        rule.forSeconds = 10
        var engine = RuleEngine(rules: [rule], startedAt: 0)
        var node = Node()
        var now = 0.0
        func cycle(_ compute: Double, _ memory: Double, probe100: Double = 1) {
            now += 1
            engine.evaluate(results: node.results([compute * probe100, compute, compute, memory, memory, memory]), pressure: ["cpu0": .low], now: now)
        }
        for index in 0..<60 {
            let level = [0.9, 1, 1.1, 1, 0.95][index % 5]
            cycle(level, 2 - level)
        }
        for _ in 0..<6 { cycle(1, 1, probe100: 1.2) }
        #expect(engine.activeAlerts.map(\.state) == [.pending])
        for _ in 0..<3 { cycle(1.3, 0.8, probe100: 1.2) }
        #expect(engine.activeAlerts.map(\.state) == [.pending], "three of six recent cycles judged: still decided")
        cycle(1.3, 0.8, probe100: 1.2)
        #expect(engine.activeAlerts.isEmpty, "two of six judged: undecided, and the alert was only pending")
    }

    @Test func aNodeSlowdownFiresPerDeviceAndKeepsTheWindows() {
        let rules = [
            AlertRule(name: "R", kind: .regression(reference: .window(cycles: 20), thresholdPercent: 10, alpha: 0.01), severity: "warning"),
            AlertRule(name: "N", kind: .nodeSlowdown(thresholdPercent: 20, window: 20), severity: "warning"),
        ]
        var engine = RuleEngine(rules: rules, startedAt: 0)
        var node = Node()
        var now = 0.0
        func cycle(_ scale: Double) {
            now += 1
            engine.evaluate(results: node.results([scale, scale, scale, scale, scale, scale]), pressure: ["cpu0": .low], now: now)
        }
        for _ in 0..<26 { cycle(1) }
        cycle(1.15)
        #expect(engine.activeAlerts.isEmpty, "15 % is within the node rule's 20 %")
        for _ in 0..<30 { cycle(1.3) }
        #expect(
            engine.activeAlerts.map(\.labels) == [["alertname": "N", "severity": "warning", "backend": "cpu", "device": "cpu0"]],
            "the node, not each probe; and thirty slow cycles did not become the reference")
        #expect(
            engine.activeAlerts.first?.annotations["description"]?.hasPrefix(
                "the probes of cpu cpu0 run 30% slower than their rolling windows (median ratio 1.") == true)
        cycle(1)
        #expect(engine.activeAlerts.isEmpty)
    }

    @Test func staleProbeFiresAfterMaxAge() {
        var engine = RuleEngine(rules: [AlertRule(name: "S", kind: .probeStale(maxAgeSeconds: 60), severity: "warning")], startedAt: 0)
        engine.evaluate(results: [result(.ok, samples: [1], at: 10)], pressure: ["cpu0": .low], now: 20)
        engine.evaluate(results: [result(.failed, samples: [], at: 50)], pressure: ["cpu0": .low], now: 70)
        #expect(engine.activeAlerts.isEmpty)
        engine.evaluate(results: [result(.failed, samples: [], at: 80)], pressure: ["cpu0": .low], now: 72)
        #expect(engine.activeAlerts.count == 1, "last verified at 11, 61 s ago")
    }

    @Test func aBudgetFiresForTheProbesThatBreakIt() {
        let budget = AlertRule.ProbeBudget(maxSeconds: 0.1, minBytesPerSecond: 0.5)
        var engine = RuleEngine(rules: [AlertRule(name: "B", kind: .probeBudget(budget), severity: "warning")], startedAt: 0)
        engine.evaluate(results: [result(.ok, samples: [0.05, 0.06, 0.07])], pressure: ["cpu0": .low], now: 10)
        #expect(engine.activeAlerts.isEmpty, "within the budget (bytes/s 1 >= 0.5)")
        engine.evaluate(results: [result(.ok, samples: [0.1, 0.2, 0.3])], pressure: ["cpu0": .low], now: 20)
        #expect(engine.activeAlerts.count == 1)
        #expect(engine.activeAlerts.first?.value == 0.2)
        #expect(engine.activeAlerts.first?.annotations["description"] == "probe cpu0 add f32 100 took 200.00 ms at the median, over its budget of 100.00 ms")
        engine.evaluate(results: [result(.failed, samples: [])], pressure: ["cpu0": .low], now: 30)
        #expect(engine.activeAlerts.isEmpty, "a failed run is probe_failing's to report, not the budget's")
        let floor = AlertRule.ProbeBudget(minBytesPerSecond: 2)
        #expect(floor.breach(of: result(.ok, samples: [0.01]))?.1 == "probe cpu0 add f32 100 moved 1.00 B/s, under its budget of 2.00 B/s")
    }

    @Test func aBaselineRuleJudgesTheLatestCyclesAgainstTheBaselinesRounds() throws {
        let rule = AlertRule(name: "B", kind: .regression(reference: .baseline(name: "nightly"), thresholdPercent: 10, alpha: 0.01), severity: "warning")
        var engine = RuleEngine(rules: [rule], startedAt: 0)
        var random = SeededRandom(seed: 5)
        var stored = result(.ok, samples: [1])
        stored.rounds = (0..<20).map {
            RoundSummary(startedAt: Double($0), medianSeconds: 1 + 0.02 * Double(random.nextSignedUnitFloat()), sampleCount: 50, wallSeconds: 0.2)
        }
        let baseline = Baseline(
            name: "nightly", description: nil, createdAt: 0,
            fingerprint: EnvironmentFingerprint(
                backend: .cpu, device: "cpu0", cpuModel: "Test CPU", simdPath: "avx512", threads: 1, availableCPUs: 2, bitprobeVersion: "1",
                bitprobeRevision: "a"),
            config: BenchmarkConfig(), rounds: 20, durationSeconds: 60, faultInjection: nil, results: [stored])
        var now = 0.0
        func cycle(_ scale: Double, contended: Bool = false) {
            now += 1
            let samples = (0..<20).map { _ in scale * (1 + 0.02 * Double(random.nextSignedUnitFloat())) }
            engine.evaluate(
                results: [result(.ok, samples: samples)], pressure: ["cpu0": .low], baseline: baseline, now: now,
                cpuPressureShare: contended ? 0.9 : 0)
        }
        for _ in 0..<5 { cycle(1.3) }
        #expect(engine.activeAlerts.isEmpty, "five cycles are not yet the six the rule judges")
        cycle(1.3, contended: true)
        #expect(engine.activeAlerts.isEmpty, "a contended cycle is not a round")
        cycle(1.3)
        let alert = try #require(engine.activeAlerts.first)
        let description = try #require(alert.annotations["description"])
        #expect(description.hasPrefix("probe cpu0 add f32 100 is 29% slower than baseline nightly (ratio 1.29"))
        #expect(description.contains(" over its last 6 cycles, 99% interval 1."))
        for _ in 0..<3 { cycle(1.0) }
        #expect(engine.activeAlerts.isEmpty, "half the latest cycles at the baseline's level: the interval reaches down to 1")
    }

    @Test func aContendedCycleStillCountsAsAVerifiedRun() {
        let rules = [
            AlertRule(name: "S", kind: .probeStale(maxAgeSeconds: 60), severity: "warning"),
            AlertRule(name: "R", kind: .regression(reference: .window(cycles: 20), thresholdPercent: 10, alpha: 0.01), severity: "warning"),
        ]
        var engine = RuleEngine(rules: rules, startedAt: 0)
        engine.evaluate(results: [result(.ok, samples: [1], at: 50)], pressure: ["cpu0": .low], now: 55, cpuPressureShare: 0.9)
        engine.evaluate(results: [result(.failed, samples: [], at: 95)], pressure: ["cpu0": .low], now: 100)
        #expect(engine.activeAlerts.isEmpty, "verified at 51 in a contended cycle: 49 s ago, not stale")
    }
}

@Suite struct RuleConfigTests {
    @Test func rulesAreRead() throws {
        let config = try AgentConfigLoader.parse(
            """
            rules:
              - alert: Slow
                kind: regression
                baseline: nightly
                threshold: 15
                max_cpu_pressure: 0.25
                for: 2m
                keep_firing_for: 5m
                severity: critical
                match: {op: matmul, dtype: f16}
              - alert: Pressure
                kind: memory_pressure
                level: critical
              - alert: Rolling
                kind: regression
                window: 30
                max_peer_slowdown: 25
                noise_multiple: 0
              - alert: Node
                kind: node_slowdown
                threshold: 30
              - alert: Budget
                kind: probe_budget
                max_duration: 100ms
                min_ops_per_second: 1e11
                for: 5m
                match: {op: matmul, dtype: f32, shape: 512x512x512}
            alertmanager:
              url: http://127.0.0.1:9093
              resend_interval: 30s
            baseline:
              name: nightly
              directory: /tmp/baselines
            """, file: "r.yml")
        var slow = AlertRule(
            name: "Slow", kind: .regression(reference: .baseline(name: "nightly"), thresholdPercent: 15, alpha: 0.01), severity: "critical",
            forSeconds: 120, keepFiringForSeconds: 300, match: ["op": "matmul", "dtype": "f16"])
        slow.maxCPUPressure = 0.25
        var rolling = AlertRule(name: "Rolling", kind: .regression(reference: .window(cycles: 30), thresholdPercent: 10, alpha: 0.01), severity: "warning")
        rolling.maxPeerSlowdownPercent = 25
        rolling.noiseMultiple = 0
        #expect(
            config.rules == [
                slow, AlertRule(name: "Pressure", kind: .memoryPressure(minimum: .critical), severity: "warning"), rolling,
                AlertRule(name: "Node", kind: .nodeSlowdown(thresholdPercent: 30, window: AlertRule.defaultWindowCycles), severity: "warning"),
                AlertRule(
                    name: "Budget", kind: .probeBudget(.init(maxSeconds: 0.1, minOpsPerSecond: 1e11)), severity: "warning", forSeconds: 300,
                    match: ["op": "matmul", "dtype": "f32", "shape": "512x512x512"]),
            ])
        #expect(config.alertmanager.url == "http://127.0.0.1:9093" && config.alertmanager.resendInterval == 30)
        #expect(config.baseline.name == "nightly" && config.baseline.directory == "/tmp/baselines")
    }

    @Test(arguments: [
        ("rules:\n  - kind: probe_failing\n", "r.yml:2:5: rules[0].alert: required: the alert's name"),
        ("rules:\n  - alert: 9bad\n    kind: probe_failing\n", "r.yml:2:5: rules[0].alert: '9bad' is not a valid alert name ([a-zA-Z_][a-zA-Z0-9_]*)"),
        (
            "rules:\n  - alert: A\n",
            "r.yml:2:5: rules[0].kind: required: one of memory_pressure, node_slowdown, probe_budget, probe_failing, probe_mismatch, probe_stale, regression"
        ),
        (
            "rules:\n  - alert: A\n    kind: cpu_hot\n",
            "r.yml:3:11: rules[0].kind: expected one of: memory_pressure, node_slowdown, probe_budget, probe_failing, probe_mismatch, probe_stale, regression, got 'cpu_hot'"
        ),
        (
            "rules:\n  - alert: A\n    kind: regression\n    max_peer_slowdown: -5\n",
            "r.yml:4:24: rules[0].max_peer_slowdown: must be between 0.0 and 10000.0, got -5"
        ),
        ("rules:\n  - alert: A\n    kind: regression\n    noise_multiple: many\n", "r.yml:4:21: rules[0].noise_multiple: expected a number, got 'many'"),
        ("rules:\n  - alert: A\n    kind: regression\n    baseline: nightly\n    noise_multiple: 2\n", "r.yml:5:5: rules[0].noise_multiple: unknown key"),
        ("rules:\n  - alert: A\n    kind: node_slowdown\n    alpha: 0.01\n", "r.yml:4:5: rules[0].alpha: unknown key"),
        ("rules:\n  - alert: A\n    kind: node_slowdown\n    window: 1\n", "r.yml:4:13: rules[0].window: must be between 2 and 10000, got 1"),
        ("rules:\n  - alert: A\n    kind: probe_failing\n  - alert: A\n    kind: probe_mismatch\n", "r.yml:4:5: rules[1].alert: duplicate alert name 'A'"),
        ("rules:\n  - alert: A\n    kind: regression\n    window: 5\n    baseline: b\n", "r.yml:2:5: rules[0]: give either window or baseline, not both"),
        (
            "rules:\n  - alert: A\n    kind: memory_pressure\n    level: extreme\n",
            "r.yml:4:12: rules[0].level: expected one of: low, medium, high, critical, got 'extreme'"
        ),
        ("rules:\n  - alert: A\n    kind: probe_stale\n    for: soon\n", "r.yml:4:10: rules[0].for: expected a duration such as 30s, 5m or 1h30m, got 'soon'"),
        (
            "rules:\n  - alert: A\n    kind: regression\n    max_cpu_pressure: 1.5\n",
            "r.yml:4:23: rules[0].max_cpu_pressure: must be between 0.0 and 1.0, got 1.5"
        ),
        ("rules:\n  - alert: A\n    kind: probe_failing\n    max_cpu_pressure: 0.2\n", "r.yml:4:5: rules[0].max_cpu_pressure: unknown key"),
        ("rules:\n  - alert: A\n    kind: probe_failing\n    match: {opp: add}\n", "r.yml:4:13: rules[0].match.opp: unknown key"),
        (
            "rules:\n  - alert: A\n    kind: probe_budget\n",
            "r.yml:2:5: rules[0]: a probe_budget needs max_duration, min_ops_per_second or min_bytes_per_second"
        ),
        ("rules:\n  - alert: A\n    kind: probe_budget\n    max_duration: 0s\n", "r.yml:4:19: rules[0].max_duration: must be more than 0s"),
        (
            "rules:\n  - alert: A\n    kind: probe_budget\n    max_duration: fast\n",
            "r.yml:4:19: rules[0].max_duration: expected a duration such as 30s, 5m or 1h30m, got 'fast'"
        ),
        (
            "rules:\n  - alert: A\n    kind: probe_budget\n    min_ops_per_second: -1\n",
            "r.yml:4:25: rules[0].min_ops_per_second: must be between 0.0 and 1e+21, got -1"
        ),
        ("rules:\n  - alert: A\n    kind: probe_budget\n    max_duration: 1s\n    window: 5\n", "r.yml:5:5: rules[0].window: unknown key"),
        ("alertmanager:\n  url: 127.0.0.1:9093\n", "r.yml:2:8: alertmanager.url: expected an http:// or https:// URL, got '127.0.0.1:9093'"),
    ])
    func badRulesAreLocated(text: String, message: String) {
        do {
            _ = try AgentConfigLoader.parse(text, file: "r.yml")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == message)
        }
    }
}
