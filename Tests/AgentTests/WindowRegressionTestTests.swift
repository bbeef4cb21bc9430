import Testing

@testable import Agent
@testable import BitProbe

@Suite struct WindowRegressionTestTests {
    /// A window of 60 values around 1 with the given spread (alternating 1 - s, 1, 1 + s, ...).
    func window(spread: Double) -> [Double] {
        (0..<60).map { 1 + spread * Double($0 % 3 - 1) }
    }

    let test = WindowRegressionTest(thresholdPercent: 10, alpha: 0.01, noiseMultiple: 3)

    @Test func aSlowdownBeyondTheThresholdOfASteadyProbeIsARegression() throws {
        let verdict = try #require(test.judge(recent: [1.15, 1.16, 1.14, 1.15], peerFactors: [nil, nil, nil, nil], reference: window(spread: 0.01)))
        #expect(verdict.regressed)
        #expect(abs(verdict.ratio - 1.15) < 1e-9)
        #expect(verdict.peerRelativeRatio == nil, "no peers in any recent cycle")
        // MAD of the window is 0.01, robust CV 1.48 %: 3x that is below the 10 % threshold.
        #expect(abs(verdict.bar - 1.1) < 1e-9)
        #expect(verdict.pValue < 0.01)
    }

    @Test func aNoisyProbeMustStandOutOfItsOwnSpread() throws {
        // Robust CV 1.4826 * 0.08 = 11.9 %: the bar is 1 + 3 * 0.119 = 1.356.
        let noisy = window(spread: 0.08)
        let fifteen = try #require(test.judge(recent: [1.15, 1.16, 1.14, 1.15], peerFactors: [nil, nil, nil, nil], reference: noisy))
        #expect(!fifteen.regressed)
        #expect(abs(fifteen.bar - (1 + 3 * 1.4826 * 0.08)) < 1e-9)
        let half = try #require(test.judge(recent: [1.5, 1.5, 1.5, 1.5], peerFactors: [nil, nil, nil, nil], reference: noisy))
        #expect(half.regressed)
        let plain = WindowRegressionTest(thresholdPercent: 10, alpha: 0.01, noiseMultiple: 0)
        #expect(
            plain.judge(recent: [1.15, 1.16, 1.14, 1.15], peerFactors: [nil, nil, nil, nil], reference: noisy)?.regressed == true,
            "noise multiple 0: the threshold alone")
    }

    @Test func theProbeIsMeasuredAgainstItsPeersWhenTheNodeRunsFaster() throws {
        // 1.07 against the window; the peers run at 0.93 of theirs, so 1.07 / 0.93 = 1.15 against them.
        let recent = [1.07, 1.071, 1.069, 1.07]
        let alone = try #require(test.judge(recent: recent, peerFactors: [nil, nil, nil, nil], reference: window(spread: 0.01)))
        #expect(!alone.regressed)
        let withPeers = try #require(test.judge(recent: recent, peerFactors: [0.93, 0.93, 0.93, 0.93], reference: window(spread: 0.01)))
        #expect(withPeers.regressed)
        #expect(abs(withPeers.peerRelativeRatio! - 1.07 / 0.93) < 1e-9)
        // Slower peers never hide what the window shows: the larger ratio counts.
        let slowerPeers = try #require(test.judge(recent: [1.2, 1.2, 1.2, 1.2], peerFactors: [1.1, 1.1, 1.1, 1.1], reference: window(spread: 0.01)))
        #expect(slowerPeers.regressed)
        #expect(
            test.judge(recent: recent, peerFactors: [0.93, nil, 0.93, 0.93], reference: window(spread: 0.01))?.peerRelativeRatio == nil,
            "every recent cycle needs its peers")
    }

    @Test func aSpellThatLeavesOneRecentCycleAtItsUsualSpeedIsNoRegression() throws {
        let spell = try #require(test.judge(recent: [1.45, 1.0, 1.5, 1.45], peerFactors: [1, 1, 1, 1], reference: window(spread: 0.01)))
        #expect(spell.ratio == 1.45 / 1.0 && !spell.regressed)
        #expect(spell.floorRatio == 1.0)
        let shifted = try #require(test.judge(recent: [1.15, 1.06, 1.2, 1.15], peerFactors: [1, 1, 1, 1], reference: window(spread: 0.01)))
        #expect(shifted.regressed, "the fastest recent cycle is 6 % slower, beyond half the threshold")
    }

    @Test func anInsignificantDifferenceIsNoRegression() throws {
        // All four recent values are slow, but a third of the window is slower still.
        let reference = (0..<60).map { $0 % 3 == 0 ? 1.5 : 1.0 }
        let verdict = try #require(
            WindowRegressionTest(thresholdPercent: 10, alpha: 0.01, noiseMultiple: 0)
                .judge(recent: [1.3, 1.3, 1.3, 1.3], peerFactors: [nil, nil, nil, nil], reference: reference))
        #expect(abs(verdict.ratio - 1.3) < 1e-9)
        #expect(!verdict.regressed && verdict.pValue > 0.01)
    }

    func result(_ shape: Int, _ median: Double, device: String = "cpu0", outcome: ProbeOutcome = .ok) -> ProbeResult {
        var spec = try! ProbeSpec(op: .add, dtype: .f32, shape: ProbeShape([shape]))
        spec.device = device
        return ProbeResult(
            spec: spec, outcome: outcome, detail: nil, startedAt: 0, wallSeconds: 1, warmupIterations: 0, samples: [median],
            statistics: SampleStatistics([median]), operationsPerSecond: nil, bytesPerSecond: 1, verification: nil,
            kernelPath: "avx2", threads: 1, seed: 1)
    }

    @Test func peerFactorsTakeTheOtherProbesOfTheSameDeviceWithAFullEnoughWindow() {
        let results = [
            result(1, 2.0), result(2, 1.1), result(3, 1.2), result(4, 1.3), result(5, 1.4), result(6, 9, device: "cpu1"),
            result(7, 5, outcome: .mismatch), result(8, 1.0),
        ]
        var windows: [ProbeSpec: [Double]] = [:]
        for result in results { windows[result.spec] = Array(repeating: 1, count: 20) }
        windows[results[7].spec] = Array(repeating: 1, count: 19)  // too short to be anybody's peer
        let factors = WindowRegressionTest.peerFactors(
            results: results, ratios: WindowRegressionTest.windowRatios(results: results, windows: windows, minimumWindow: 20))
        #expect(abs(factors[results[0].spec]! - 1.25) < 1e-9, "median of 1.1, 1.2, 1.3, 1.4: not itself, not cpu1, not the mismatch, not the short window")
        #expect(abs(factors[results[1].spec]! - 1.35) < 1e-9, "median of 2.0, 1.2, 1.3, 1.4")
        #expect(factors[results[5].spec] == nil, "no peers on cpu1")
        #expect(abs(factors[results[7].spec]! - 1.3) < 1e-9, "a short window still has peers; it is not one")
        let few = WindowRegressionTest.peerFactors(
            results: Array(results[0..<4]), ratios: WindowRegressionTest.windowRatios(results: Array(results[0..<4]), windows: windows, minimumWindow: 20))
        #expect(few.isEmpty, "three peers are too few")
    }

    @Test func nodeFactorsArePerDevice() {
        let results = [result(1, 1.2), result(2, 1.3), result(3, 1.4), result(4, 9, device: "cpu1")]
        var windows: [ProbeSpec: [Double]] = [:]
        for result in results { windows[result.spec] = Array(repeating: 1, count: 20) }
        let factors = WindowRegressionTest.nodeFactors(ratios: WindowRegressionTest.windowRatios(results: results, windows: windows, minimumWindow: 20))
        #expect(factors.count == 1)
        #expect(factors.first?.backend == "cpu" && factors.first?.device == "cpu0" && abs(factors.first!.factor - 1.3) < 1e-9)
    }
}
