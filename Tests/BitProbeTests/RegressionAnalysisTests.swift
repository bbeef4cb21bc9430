import Testing

@testable import BitProbe

/// Probe results with made-up samples, for the pure regression logic.
enum RegressionFixtures {
    static let matmul = try! ProbeSpec(op: .matmul, dtype: .f32, shape: ProbeShape([64, 64, 64]))
    static let add = try! ProbeSpec(op: .add, dtype: .f32, shape: ProbeShape([4096]))
    static let copy = try! ProbeSpec(op: .copy, dtype: .bytes, shape: ProbeShape([4096]))

    /// `count` samples spread ±2 % around `center`, deterministic per seed.
    static func samples(_ center: Double, count: Int = 60, seed: UInt64 = 1) -> [Double] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in center * (1 + 0.02 * Double(random.nextSignedUnitFloat())) }
    }

    static func result(_ spec: ProbeSpec, _ samples: [Double], outcome: ProbeOutcome = .ok, detail: String? = nil) -> ProbeResult {
        ProbeResult(
            spec: spec, outcome: outcome, detail: detail, startedAt: 1_795_881_600, wallSeconds: 0.5, warmupIterations: 3,
            samples: samples, statistics: SampleStatistics(samples), operationsPerSecond: nil, bytesPerSecond: nil,
            verification: nil, kernelPath: "avx512", threads: 1, seed: 1)
    }

    /// A result measured in `count` rounds whose medians spread ±2 % around `center`; the samples
    /// are the typical round's, as `RoundMeasurement` keeps them.
    static func rounds(_ spec: ProbeSpec, _ center: Double, count: Int = 20, seed: UInt64 = 1) -> ProbeResult {
        let medians = samples(center, count: count, seed: seed)
        var result = self.result(spec, samples(center, count: 60, seed: seed &+ 100))
        result.rounds = medians.enumerated().map { index, median in
            RoundSummary(startedAt: 1_795_881_600 + Double(index), medianSeconds: median, sampleCount: 60, wallSeconds: 0.5)
        }
        result.wallSeconds = 0.5 * Double(count)
        return result
    }

    static let fingerprint = EnvironmentFingerprint(
        backend: .cpu, device: "cpu0", cpuModel: "Test CPU", simdPath: "avx512", threads: 1,
        availableCPUs: 2, bitprobeVersion: "1.0.0", bitprobeRevision: "abc1234")

    static func baseline(
        _ results: [ProbeResult], name: String = "main", fingerprint: EnvironmentFingerprint = fingerprint,
        faultInjection: FaultInjection? = nil
    ) -> Baseline {
        Baseline(
            name: name, description: "fixture", createdAt: 1_795_881_600, fingerprint: fingerprint, config: BenchmarkConfig(),
            rounds: 10, durationSeconds: 60, faultInjection: faultInjection, results: results)
    }
}

@Suite struct RegressionAnalysisTests {
    typealias F = RegressionFixtures
    let criteria = RegressionCriteria()

    func comparison(baseline: Double, current: Double, criteria: RegressionCriteria = RegressionCriteria()) -> ProbeComparison {
        RegressionAnalysis.compare(
            baseline: [F.rounds(F.matmul, baseline, count: 20, seed: 1)],
            current: [F.rounds(F.matmul, current, count: 5, seed: 2)], criteria: criteria)[0]
    }

    @Test(
        arguments: [
            (1.0, ProbeComparison.Verdict.unchanged, nil),
            (1.05, .unchanged, nil),  // significant, but within the 10 % threshold
            (1.18, .regression, RegressionSeverity.minor),
            (1.30, .regression, .moderate),
            (1.60, .regression, .major),
            (2.50, .regression, .critical),
            (0.80, .improvement, nil),
            (0.93, .unchanged, nil),  // 1/0.93 = 1.075: faster, but within the threshold
        ] as [(Double, ProbeComparison.Verdict, RegressionSeverity?)])
    func verdictFollowsTheIntervalOfTheRoundRatio(ratio: Double, verdict: ProbeComparison.Verdict, severity: RegressionSeverity?) {
        let c = comparison(baseline: 0.001, current: 0.001 * ratio)
        #expect(c.verdict == verdict)
        #expect(c.severity == severity)
        #expect(abs(c.medianRatio! - ratio) < 0.02)
        #expect(c.medianRatioInterval!.lower <= c.medianRatio! && c.medianRatio! <= c.medianRatioInterval!.upper)
        #expect(c.measuredRatios == [c.medianRatio!])
        #expect(c.baselineRoundMedians?.count == 20 && c.currentRoundMedians?.count == 5)
        #expect(c.baselineSamples == 20 * 60 && c.currentSamples == 5 * 60)
        #expect(c.decision?.hasPrefix(verdict.rawValue + ": ratio ") == true)
    }

    @Test func aSlowdownBeyondTheThresholdButNotConfidentlySoIsUnchanged() throws {
        // 1.12x: the estimate is beyond 1.10, the 99 % interval's lower bound is not.
        let c = comparison(baseline: 0.001, current: 0.00112)
        #expect(c.verdict == .unchanged)
        let interval = try #require(c.medianRatioInterval)
        #expect(c.medianRatio! > 1.1 && interval.lower < 1.1 && interval.lower > 1)
        #expect(
            c.decision
                == "unchanged: ratio \(formatFixed(c.medianRatio!, decimals: 3)), 99% interval \(formatFixed(interval.lower, decimals: 3))-\(formatFixed(interval.upper, decimals: 3)) over 5 current and 20 baseline rounds; slower than 1.100 but not with 99% confidence"
        )
        #expect(RegressionAnalysis.isSuspect(c, criteria: criteria))
    }

    @Test func tooFewRoundsCannotDecide() {
        // A 50 % slowdown in one round against two: no interval reaches 99 % confidence.
        let c = RegressionAnalysis.compare(
            baseline: [F.rounds(F.matmul, 1.0, count: 2)], current: [F.rounds(F.matmul, 1.5, count: 1)],
            criteria: criteria)[0]
        #expect(c.verdict == .unchanged)
        #expect(c.medianRatioInterval == nil)
        #expect(c.mannWhitney?.pValue == 2.0 / 3.0)
        #expect(c.decision == "unchanged: 1 current and 2 baseline rounds are too few for a 99% interval; measure more rounds (--rounds)")
    }

    @Test func aResultWithoutRoundsIsOneRound() {
        let plain = F.result(F.matmul, [1, 2, 3])
        #expect(plain.roundMedians == [2])
        #expect(F.result(F.matmul, [], outcome: .failed).roundMedians == [])
    }

    @Test(
        arguments: [
            (0.0, RegressionSeverity.minor), (10.0, .minor), (24.9, .minor), (25.0, .moderate), (49.9, .moderate),
            (50.0, .major), (99.9, .major), (100.0, .critical), (400.0, .critical),
        ] as [(Double, RegressionSeverity)])
    func severityTiers(slowdown: Double, severity: RegressionSeverity) {
        #expect(RegressionSeverity.classify(slowdownPercent: slowdown, criticalThresholdPercent: 100) == severity)
    }

    @Test func criticalThresholdMovesTheTopTier() {
        #expect(RegressionSeverity.classify(slowdownPercent: 45, criticalThresholdPercent: 40) == .critical)
        #expect(RegressionSeverity.classify(slowdownPercent: 150, criticalThresholdPercent: 200) == .major)
        var strict = RegressionCriteria()
        strict.criticalThresholdPercent = 20
        #expect(comparison(baseline: 0.001, current: 0.00125, criteria: strict).severity == .critical)
    }

    @Test func missingNewFailedAndBaselineNotOK() {
        let baseline = [
            F.result(F.matmul, F.samples(0.001)), F.result(F.add, F.samples(0.002)),
            F.result(F.copy, [], outcome: .timeout),
        ]
        let current = [
            F.result(F.copy, F.samples(0.003)), F.result(F.matmul, [], outcome: .mismatch, detail: "3 of 10 checked values wrong"),
            F.result(try! ProbeSpec(op: .multiply, dtype: .f16, shape: ProbeShape([8])), F.samples(0.004)),
        ]
        let comparisons = RegressionAnalysis.compare(baseline: baseline, current: current, criteria: criteria)
        #expect(comparisons.map(\.spec.description) == ["cpu0 copy bytes 4096", "cpu0 matmul f32 64x64x64", "cpu0 multiply f16 8", "cpu0 add f32 4096"])
        #expect(comparisons.map(\.verdict) == [.baselineNotOK, .failed, .newProbe, .missingInCurrent])
        #expect(comparisons[1].detail == "3 of 10 checked values wrong")
        #expect(comparisons[1].currentOutcome == .mismatch)
        #expect(comparisons[3].baselineMedianSeconds != nil && comparisons[3].currentMedianSeconds == nil)
        #expect(RegressionStatus.of(comparisons) == .hasFailures)
    }

    @Test func statusesAndExitCodes() {
        func with(_ verdicts: [(ProbeComparison.Verdict, RegressionSeverity?)]) -> RegressionStatus {
            RegressionStatus.of(
                verdicts.map { verdict, severity in
                    var c = ProbeComparison(spec: F.matmul, verdict: verdict)
                    c.severity = severity
                    return c
                })
        }
        #expect(with([]) == .allPass)
        #expect(with([(.unchanged, nil), (.improvement, nil), (.newProbe, nil), (.missingInCurrent, nil), (.baselineNotOK, nil)]) == .allPass)
        #expect(with([(.regression, .major), (.unchanged, nil)]) == .hasRegressions)
        #expect(with([(.regression, .minor), (.regression, .critical)]) == .hasCriticalRegressions)
        #expect(with([(.regression, .critical), (.failed, nil)]) == .hasFailures)
        #expect([RegressionStatus.allPass, .hasRegressions, .hasCriticalRegressions, .hasFailures].map(\.exitCode) == [0, 1, 2, 3])
    }

    @Test func criteriaValidationNamesTheFlag() {
        var c = RegressionCriteria()
        #expect(c.validationErrors().isEmpty)
        c.alpha = 1
        c.thresholdPercent = 0
        c.criticalThresholdPercent = -5
        c.confirmations = -1
        #expect(
            c.validationErrors() == [
                "--alpha must be between 0 and 1, exclusive (got 1.0)",
                "--threshold must be a finite percentage > 0 (got 0.0)",
                "--critical-threshold must be a finite percentage above --threshold (got -5.0, threshold 0.0)",
                "--confirm must be at least 0 (got -1)",
            ])
    }
}

@Suite struct RegressionConfirmationTests {
    typealias F = RegressionFixtures

    /// The first run's comparisons with a 40 % slowdown of matmul, confirmed by `measure`.
    func confirm(confirmations: Int = 2, _ measure: ([ProbeSpec]) -> [ProbeResult]) -> ProbeComparison {
        var criteria = RegressionCriteria()
        criteria.confirmations = confirmations
        let baseline = [F.rounds(F.matmul, 0.001), F.rounds(F.add, 0.002)]
        let first = RegressionAnalysis.compare(
            baseline: baseline, current: [F.rounds(F.matmul, 0.0014, count: 5, seed: 5), F.rounds(F.add, 0.002, count: 5, seed: 6)],
            criteria: criteria)
        #expect(first[0].verdict == .regression)
        #expect(first[1].verdict == .unchanged)
        let confirmed = RegressionAnalysis.confirm(first, baseline: baseline, criteria: criteria, measure: measure)
        #expect(confirmed[1].verdict == .unchanged)
        #expect(confirmed[1].measuredRatios.count == 1)
        return confirmed[0]
    }

    @Test func aSpellThatPassesIsCleared() {
        var calls: [[String]] = []
        let c = confirm { specs in
            calls.append(specs.map(\.description))
            return [F.rounds(F.matmul, 0.00101, count: 5, seed: 7)]
        }
        #expect(calls == [["cpu0 matmul f32 64x64x64"]])
        #expect(c.verdict == .unchanged)
        #expect(c.severity == nil)
        #expect(c.measuredRatios.count == 2)
        #expect(c.currentRoundMedians?.count == 10)
        #expect(c.currentWallSeconds == 5.0)
        #expect(c.decision?.hasPrefix("unchanged: cleared by confirmation 1, which read 1.0") == true)
    }

    @Test func aPersistentRegressionIsJudgedOnAllItsRounds() throws {
        var centers = [0.0013, 0.0016]
        let c = confirm { _ in [F.rounds(F.matmul, centers.removeFirst(), count: 5, seed: 8)] }
        #expect(c.verdict == .regression)
        #expect(c.severity == .moderate)
        // The pooled estimate over 15 rounds at 1.4, 1.3 and 1.6: the median pair is near 1.4.
        #expect(abs(c.medianRatio! - 1.4) < 0.03)
        #expect(c.measuredRatios.count == 3)
        #expect(c.currentRoundMedians?.count == 15)
        #expect(c.currentWallSeconds == 7.5)
        let decision = try #require(c.decision)
        #expect(decision.hasPrefix("regression: ratio "))
        #expect(decision.contains("over 15 current and 20 baseline rounds; the lower bound is above 1.100; measurements: 1.4"))
    }

    @Test func aSuspectNotConfidentAloneIsDecidedByItsConfirmations() {
        // 1.13x: the first 5 rounds' interval reaches below 1.10; with 15 rounds it does not.
        var criteria = RegressionCriteria()
        criteria.confirmations = 2
        let baseline = [F.rounds(F.matmul, 0.001)]
        let first = RegressionAnalysis.compare(baseline: baseline, current: [F.rounds(F.matmul, 0.00113, count: 5, seed: 11)], criteria: criteria)
        #expect(first[0].verdict == .unchanged && RegressionAnalysis.isSuspect(first[0], criteria: criteria))
        var seed: UInt64 = 12
        let confirmed = RegressionAnalysis.confirm(first, baseline: baseline, criteria: criteria) { _ in
            seed += 1
            return [F.rounds(F.matmul, 0.00113, count: 5, seed: seed)]
        }
        #expect(confirmed[0].verdict == .regression)
        #expect(confirmed[0].medianRatioInterval!.lower > 1.1)
    }

    @Test func aConfirmationBetweenHalfTheThresholdAndTheLimitClearsNothing() {
        // A real 1.15x slowdown read on a machine whose level dropped 4 % reads 1.10 in a
        // confirmation: not back to normal, so the rounds decide, and they say slower than 1.10.
        var centers = [0.00110, 0.00118]
        let c = confirm { _ in [F.rounds(F.matmul, centers.removeFirst(), count: 5, seed: 21)] }
        #expect(c.measuredRatios.count == 3)
        #expect(c.measuredRatios[1] > 1.05 && c.measuredRatios[1] < 1.1)
        #expect(c.verdict == .regression)
        var cleared = [0.00104]
        let spell = confirm { _ in [F.rounds(F.matmul, cleared.removeFirst(), count: 5, seed: 22)] }
        #expect(spell.verdict == .unchanged)
        #expect(spell.decision?.contains(", within half the threshold (1.050); measurements: 1.4") == true)
    }

    @Test func aFailureWhileConfirmingIsAFailure() {
        let c = confirm { _ in [F.result(F.matmul, [], outcome: .timeout, detail: "exceeded the 60 s timeout")] }
        #expect(c.verdict == .failed)
        #expect(c.detail == "exceeded the 60 s timeout")
        #expect(c.decision == "failed: confirmation 1 ended timeout")
        #expect(RegressionStatus.of([c]) == .hasFailures)
    }

    @Test func noConfirmationsKeepTheFirstVerdict() {
        let c = confirm(confirmations: 0) { _ in
            Issue.record("measured without confirmations")
            return []
        }
        #expect(c.verdict == .regression)
    }
}

@Suite struct RegressionReportTests {
    typealias F = RegressionFixtures

    @Test func environmentAndInjectionWarnings() throws {
        var other = F.fingerprint
        other.cpuModel = "Other CPU"
        other.threads = 2
        other.bitprobeVersion = "2.0.0"
        let injection = try FaultInjection(parsing: "op=add,factor=1.5")
        let stored = F.baseline([F.rounds(F.add, 0.002)], faultInjection: injection)
        let comparisons = RegressionAnalysis.compare(
            baseline: stored.results, current: [F.rounds(F.add, 0.002, count: 5, seed: 3)], criteria: RegressionCriteria())
        let report = RegressionReport(
            baseline: stored, comparisons: comparisons, fingerprint: other, config: BenchmarkConfig(), rounds: 5,
            criteria: RegressionCriteria(), faultInjection: injection)
        #expect(
            report.warnings == [
                "environment differs from the baseline (CPU model 'Test CPU' -> 'Other CPU'; threads 1 -> 2); timings may not be comparable",
                "the baseline was recorded with fault injection (op=add,factor=1.5); its matching probes were slowed on purpose",
                "fault injection active (BITPROBE_FAULT_INJECT=op=add,factor=1.5); matching probes were slowed on purpose",
            ])
        let text = RegressionTable.text(report)
        for warning in report.warnings { #expect(text.contains("WARNING: " + warning)) }
        let xml = JUnitReport.xml(report)
        #expect(
            xml.contains(
                "<property name=\"warning\" value=\"environment differs from the baseline (CPU model &apos;Test CPU&apos; -&gt; &apos;Other CPU&apos;; threads 1 -&gt; 2); timings may not be comparable\"/>"
            ))
        #expect(xml.contains("<property name=\"fault_injection\" value=\"op=add,factor=1.5\"/>"))
        let json = String(decoding: try report.json(), as: UTF8.self)
        #expect(json.contains("\"warnings\" : ["))
        #expect(json.contains("\"fault_injection\" : {"))
        let decoded = try RegressionReport.decode(json: try report.json())
        #expect(decoded.warnings == report.warnings)
        #expect(decoded.counts == report.counts)
    }

    @Test func aShiftOfTheWholeMachineIsNamed() {
        func report(_ centers: [Double]) -> RegressionReport {
            let specs = [F.matmul, F.add, F.copy]
            let baseline = specs.map { F.rounds($0, 0.001) }
            let current = zip(specs, centers).map { F.rounds($0, 0.001 * $1, count: 5, seed: 9) }
            let comparisons = RegressionAnalysis.compare(baseline: baseline, current: current, criteria: RegressionCriteria())
            return RegressionReport(
                baseline: F.baseline(baseline), comparisons: comparisons, fingerprint: F.fingerprint, config: BenchmarkConfig(),
                rounds: 5, criteria: RegressionCriteria(), faultInjection: nil)
        }
        #expect(report([1.0, 1.01, 0.99]).warnings.isEmpty)
        #expect(report([1.3, 1.0, 1.01]).warnings.isEmpty, "one probe is not the machine")
        let faster = report([0.96, 0.965, 0.97]).warnings
        #expect(faster.count == 1)
        #expect(faster.first?.hasPrefix("the 3 probes compared read 4.0% faster") == true, "\(faster)")
        #expect(faster.first?.contains("% faster than the baseline as a whole (median ratio 0.960): the machine") == true)
        #expect(faster.first?.hasSuffix("which shifts every verdict alike; a baseline recorded under load hides slowdowns") == true)
    }

    @Test func sameEnvironmentHasNoWarnings() {
        var newer = F.fingerprint
        newer.bitprobeVersion = "1.1.0"
        newer.bitprobeRevision = "def5678"
        newer.availableCPUs = 4
        #expect(newer.differences(fromBaseline: F.fingerprint).isEmpty)
    }

    /// A report with one probe of each kind, rendered as JUnit and as a table, compared whole.
    func mixedReport() -> RegressionReport {
        var regression = ProbeComparison(spec: F.matmul, verdict: .regression)
        regression.severity = .major
        regression.baselineSamples = 100
        regression.currentSamples = 90
        regression.baselineMedianSeconds = 0.001
        regression.currentMedianSeconds = 0.0016
        regression.medianRatio = 1.6
        regression.medianRatioInterval = .init(lower: 1.55, upper: 1.65)
        var test = MannWhitneyU([2.0], [1.0])!
        (test.u1, test.u2, test.pValue, test.method) = (8900, 100, 3.2e-12, .asymptotic)
        regression.mannWhitney = test
        regression.currentWallSeconds = 0.75
        regression.measuredRatios = [1.7, 1.6, 1.65]
        regression.peerRelativeRatio = 1.58
        regression.peerRelativeInterval = .init(lower: 1.5, upper: 1.66)
        regression.currentPeerFactors = [1.01, 1.0, 1.02]
        regression.measuredPeerRelativeRatios = [1.68, 1.58, 1.62]
        regression.baselineRoundMedians = [0.001, 0.00101, 0.00099]
        regression.currentRoundMedians = [0.0016, 0.00162, 0.00158]
        regression.decision = "regression: ratio 1.600, 99% interval 1.550-1.650 over 3 current and 3 baseline rounds; the lower bound is above 1.100"
        var failed = ProbeComparison(spec: F.add, verdict: .failed)
        failed.currentOutcome = .mismatch
        failed.detail = "1 of 10 checked values wrong; first: c[3] = 2.0 < expected \"4.0\" & more"
        failed.currentWallSeconds = 0.25
        let missing = ProbeComparison(spec: F.copy, verdict: .missingInCurrent)
        var criteria = RegressionCriteria()
        criteria.confirmations = 2
        return RegressionReport(
            baseline: F.baseline([]), comparisons: [regression, failed, missing], fingerprint: F.fingerprint,
            config: BenchmarkConfig(), rounds: 5, criteria: criteria, faultInjection: nil)
    }

    @Test func junitText() {
        #expect(
            JUnitReport.xml(mixedReport()) == """
                <?xml version="1.0" encoding="UTF-8"?>
                <testsuites name="bitprobe regress" tests="3" failures="2" errors="0" skipped="1" time="1.000">
                  <testsuite name="bitprobe regress vs baseline &apos;main&apos;" tests="3" failures="2" errors="0" skipped="1" time="1.000">
                    <properties>
                      <property name="status" value="has_failures"/>
                      <property name="baseline" value="main"/>
                      <property name="baseline_environment" value="Test CPU, avx512, 1 thread, bitprobe 1.0.0 (abc1234)"/>
                      <property name="current_environment" value="Test CPU, avx512, 1 thread, bitprobe 1.0.0 (abc1234)"/>
                      <property name="alpha" value="0.01"/>
                      <property name="threshold_percent" value="10"/>
                      <property name="critical_threshold_percent" value="100"/>
                      <property name="confirmations" value="2"/>
                    </properties>
                    <testcase classname="bitprobe.cpu.cpu0" name="matmul f32 64x64x64" time="0.750">
                      <failure message="major regression: 1.600x slower (99% CI 1.550-1.650, p 3.2e-12)" type="regression.major">regression: ratio 1.600, 99% interval 1.550-1.650 over 3 current and 3 baseline rounds; the lower bound is above 1.100&#10;baseline round medians (s): 0.001, 0.00101, 0.00099 (100 samples)&#10;current round medians (s): 0.0016, 0.00162, 0.00158 (90 samples)&#10;ratio of round medians (current/baseline): 1.6&#10;interval of the ratio: 1.55 - 1.65&#10;Mann-Whitney U of the round medians: 8900.0, p = 3.2e-12&#10;ratio of each measurement: 1.7, 1.6, 1.65&#10;against its peers: 1.58, interval 1.5 - 1.66, peers&apos; speed per round: 1.01, 1.0, 1.02</failure>
                    </testcase>
                    <testcase classname="bitprobe.cpu.cpu0" name="add f32 4096" time="0.250">
                      <failure message="probe ended mismatch: 1 of 10 checked values wrong; first: c[3] = 2.0 &lt; expected &quot;4.0&quot; &amp; more" type="probe.mismatch">probe ended mismatch: 1 of 10 checked values wrong; first: c[3] = 2.0 &lt; expected &quot;4.0&quot; &amp; more</failure>
                    </testcase>
                    <testcase classname="bitprobe.cpu.cpu0" name="copy bytes 4096" time="0.000">
                      <skipped message="missing in current run"/>
                    </testcase>
                  </testsuite>
                </testsuites>

                """)
    }

    @Test func tableText() {
        #expect(
            RegressionTable.text(mixedReport(), explain: true) == """
                baseline 'main' (created 2026-11-28 16:00:00 UTC; Test CPU, avx512, 1 thread, bitprobe 1.0.0 (abc1234))
                current: Test CPU, avx512, 1 thread, bitprobe 1.0.0 (abc1234)
                criteria: ratio of round medians (Hodges-Lehmann) with its 99% interval, plainly and against the probe's peers; regression when an interval's lower bound exceeds 1.100, confirmed up to 2 times (a confirmation back within 1.050 clears it); critical from 100%

                DEVICE  OP      DTYPE  SHAPE     ROUNDS  BASELINE  CURRENT  RATIO   99% CI       P        VS PEERS  VERDICT
                cpu0    matmul  f32    64x64x64  3/3     1.00 ms   1.60 ms  1.600x  1.550-1.650  3.2e-12  1.580x    regression (major)
                cpu0    add     f32    4096      -       -         -        -       -            -        -         failed: mismatch: 1 of 10 checked values wrong; first: c[3] = 2.0 < expected "4.0" & more
                cpu0    copy    bytes  4096      -       -         -        -       -            -        -         missing in current run

                cpu0 matmul f32 64x64x64:
                  baseline rounds (3): 1.00 1.01 0.99 ms
                  current rounds (3): 1.60 1.62 1.58 ms
                  peers' speed in each current round (their medians over their baselines'): 1.010 1.000 1.020
                  measurements: 1.700, 1.600, 1.650; against peers: 1.680, 1.580, 1.620
                  regression: ratio 1.600, 99% interval 1.550-1.650 over 3 current and 3 baseline rounds; the lower bound is above 1.100

                cpu0 add f32 4096:
                  failed: mismatch: 1 of 10 checked values wrong; first: c[3] = 2.0 < expected "4.0" & more

                cpu0 copy bytes 4096:
                  missing in current run

                status: has_failures (1 regression [1 major], 0 improvements, 0 unchanged, 1 failed, 1 missing in current)

                """)
    }

    @Test(
        arguments: [
            (0.5, "0.5000"), (0.001, "0.0010"), (0.000999, "1.0e-3"), (3.24e-12, "3.2e-12"), (9.96e-5, "1.0e-4"), (0, "<1e-300"),
        ] as [(Double, String)])
    func pValueText(p: Double, text: String) {
        #expect(formatPValue(p) == text)
    }

    @Test func xmlEscaping() {
        #expect(Markup.escape("a<b>&\"'\n\t\u{1}é") == "a&lt;b&gt;&amp;&quot;&apos;&#10;&#9;\u{FFFD}é")
    }

    @Test(
        arguments: [
            (0.0, "1970-01-01 00:00:00 UTC"), (951_782_400, "2000-02-29 00:00:00 UTC"), (1_795_881_600.9, "2026-11-28 16:00:00 UTC"),
            (4_107_542_399, "2100-02-28 23:59:59 UTC"), (-1, "1969-12-31 23:59:59 UTC"),
        ] as [(Double, String)])
    func utcTime(seconds: Double, text: String) {
        #expect(UTCTime.format(seconds) == text)
    }
}

@Suite struct PeerFactorTests {
    typealias F = RegressionFixtures
    static let quantize = try! ProbeSpec(op: .quantizeActivations, dtype: .f32, shape: ProbeShape([64, 4096]))
    let specs = [F.matmul, F.add, F.copy, Self.quantize]
    var baseline: [ProbeResult] { specs.enumerated().map { F.rounds($1, 0.001, count: 20, seed: UInt64($0) + 1) } }

    func current(machine: Double, slowed: [ProbeSpec: Double], seed: UInt64 = 30) -> [ProbeResult] {
        specs.enumerated().map { F.rounds($1, 0.001 * machine * (slowed[$1] ?? 1), count: 5, seed: seed + UInt64($0)) }
    }

    @Test func aSlowdownHiddenByAFasterMachineShowsAgainstThePeers() throws {
        // The machine runs 5 % faster than when the baseline was made; matmul got 1.15x slower.
        let comparisons = RegressionAnalysis.compare(
            baseline: baseline, current: current(machine: 0.95, slowed: [F.matmul: 1.15]),
            criteria: RegressionCriteria())
        let matmul = comparisons[0]
        #expect(matmul.medianRatio! < 1.1, "plainly it reads \(matmul.medianRatio!)")
        #expect(abs(matmul.peerRelativeRatio! - 1.15) < 0.02)
        #expect(matmul.verdict == .regression)
        #expect(matmul.currentPeerFactors?.count == 5)
        let decision = try #require(matmul.decision)
        #expect(decision.contains("; against its peers (which ran at 0.9"))
        #expect(decision.hasSuffix("; the lower bound against its peers is above 1.100"))
        #expect(comparisons[1...].allSatisfy { $0.verdict == .unchanged })
    }

    @Test func aSlowdownOfEveryProbeAlikeIsCaughtPlainly() {
        let comparisons = RegressionAnalysis.compare(baseline: baseline, current: current(machine: 1.2, slowed: [:]), criteria: RegressionCriteria())
        #expect(comparisons.allSatisfy { $0.verdict == .regression })
        #expect(comparisons.allSatisfy { abs($0.peerRelativeRatio! - 1) < 0.03 })
        #expect(comparisons.allSatisfy { $0.decision?.hasSuffix("; the lower bound is above 1.100") == true })
    }

    @Test func confirmationsMeasurePeersBesideTheSuspects() {
        var criteria = RegressionCriteria()
        criteria.confirmations = 2
        let first = RegressionAnalysis.compare(baseline: baseline, current: current(machine: 0.95, slowed: [F.matmul: 1.15]), criteria: criteria)
        var asked: [[ProbeSpec]] = []
        var seed: UInt64 = 50
        let confirmed = RegressionAnalysis.confirm(first, baseline: baseline, criteria: criteria) { specs in
            asked.append(specs)
            seed += 10
            return specs.map { F.rounds($0, 0.001 * 0.95 * ($0 == F.matmul ? 1.15 : 1), count: 5, seed: seed + UInt64(specs.firstIndex(of: $0)!)) }
        }
        #expect(asked == [[F.matmul, F.add, F.copy, Self.quantize], [F.matmul, F.add, F.copy, Self.quantize]])
        #expect(confirmed[0].verdict == .regression)
        #expect(confirmed[0].currentPeerFactors?.count == 15)
        #expect(confirmed[0].measuredPeerRelativeRatios.count == 3)
        #expect(confirmed[1...].allSatisfy { $0.verdict == .unchanged && $0.measuredRatios.count == 1 })
    }

    @Test func tooFewPeersGiveNoPeerReading() {
        let two = RegressionAnalysis.compare(
            baseline: Array(baseline.prefix(2)), current: Array(current(machine: 1, slowed: [:]).prefix(2)),
            criteria: RegressionCriteria())
        #expect(two.allSatisfy { $0.peerRelativeRatio == nil && $0.currentPeerFactors == nil })
        #expect(PeerFactors.peersToMeasure(for: [F.matmul], among: two).isEmpty)
    }
}
