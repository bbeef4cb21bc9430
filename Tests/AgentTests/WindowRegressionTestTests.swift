import Testing

@testable import Agent
@testable import BitProbe

#if canImport(Glibc)
import Glibc
#endif

@Suite struct WindowRegressionTestTests {
    let probe = try! ProbeSpec(op: .add, dtype: .f32, shape: ProbeShape([1]))
    let peer = try! ProbeSpec(op: .multiply, dtype: .f32, shape: ProbeShape([1]))
    let other = try! ProbeSpec(op: .copy, dtype: .bytes, shape: ProbeShape([1]))

    /// 60 values around 1 with the given spread (alternating 1 - s, 1, 1 + s, ...).
    func values(spread: Double, count: Int = 60) -> [Double] {
        (0..<count).map { 1 + spread * Double($0 % 3 - 1) }
    }

    /// Cycles of the probe alone.
    func alone(_ values: [Double]) -> [CycleMedians] {
        values.map { [probe: $0] }
    }

    let test = WindowRegressionTest(thresholdPercent: 10, alpha: 0.01, noiseMultiple: 3)
    /// The same, judging recent cycles whatever their peers ran: for checking the reading itself.
    let anyPeers = WindowRegressionTest(thresholdPercent: 10, alpha: 0.01, noiseMultiple: 3, maxPeerSlowdownPercent: .infinity)

    @Test func aSpellThatLeavesOneRecentCycleAtItsUsualSpeedIsNoRegression() throws {
        let spell = try #require(test.judge(probe, recent: alone([1.45, 1.0, 1.5, 1.45]), window: alone(values(spread: 0.01)), model: nil))
        #expect(spell.ratio == 1.45 && !spell.regressed)
        #expect(spell.floorRatio == 1.0)
        let shifted = try #require(test.judge(probe, recent: alone([1.15, 1.06, 1.2, 1.15]), window: alone(values(spread: 0.01)), model: nil))
        #expect(shifted.regressed, "the fastest recent cycle is 6 % slower, beyond half the threshold")
    }

    @Test func aSlowdownBeyondTheThresholdOfASteadyProbeIsARegression() throws {
        let verdict = try #require(test.judge(probe, recent: alone([1.15, 1.16, 1.14, 1.15]), window: alone(values(spread: 0.01)), model: nil))
        #expect(verdict.regressed)
        #expect(abs(verdict.ratio - 1.15) < 1e-9 && verdict.ownRatio == verdict.ratio)
        #expect(verdict.peers.isEmpty, "no peers: the own reading")
        // MAD of the window is 0.01, robust CV 1.48 %: 3x that is below the 10 % threshold.
        #expect(abs(verdict.bar - 1.1) < 1e-9)
        #expect(verdict.pValue < 0.01)
    }

    @Test func aNoisyProbeMustStandOutOfItsOwnSpread() throws {
        // Robust CV 1.4826 * 0.08 = 11.9 %: the bar is 1 + 3 * 0.119 = 1.356.
        let noisy = alone(values(spread: 0.08))
        let fifteen = try #require(test.judge(probe, recent: alone([1.15, 1.16, 1.14, 1.15]), window: noisy, model: nil))
        #expect(!fifteen.regressed)
        #expect(abs(fifteen.bar - (1 + 3 * 1.4826 * 0.08)) < 1e-9)
        let half = try #require(test.judge(probe, recent: alone([1.5, 1.5, 1.5, 1.5]), window: noisy, model: nil))
        #expect(half.regressed)
        let plain = WindowRegressionTest(thresholdPercent: 10, alpha: 0.01, noiseMultiple: 0)
        #expect(
            plain.judge(probe, recent: alone([1.15, 1.16, 1.14, 1.15]), window: noisy, model: nil)?.regressed == true,
            "noise multiple 0: the threshold alone")
    }

    /// The probe and its peer share a machine factor that wanders by 20 % (a class of kernels
    /// running faster and slower for minutes); each adds 1 % of its own.
    func shared(_ factors: [Double], probeScale: Double = 1) -> [CycleMedians] {
        factors.enumerated().map { index, factor in
            [probe: probeScale * factor * (1 + 0.01 * Double(index % 2)), peer: factor * (1 + 0.01 * Double((index + 1) % 2)), other: 1]
        }
    }

    @Test func theReadingAgainstCoMovingPeersDividesTheirShiftOut() throws {
        let window = shared(values(spread: 0.2))
        let comoving = WindowRegressionTest.PeerModel(peers: [peer], following: 1)
        // The class runs at 0.8 and the probe is 1.15x slower: on its own it reads faster.
        let slowed = try #require(test.judge(probe, recent: shared([0.8, 0.8, 0.8, 0.8], probeScale: 1.15), window: window, model: comoving))
        #expect(slowed.regressed && slowed.peers == [peer])
        #expect(abs(slowed.ratio - 1.15) < 0.01 && slowed.ownRatio < 0.95)
        #expect(slowed.bar == 1.1, "against the peer the window wanders by 0.7 %")
        // The whole class 1.3x slower: the probe's own reading says 1.3, but it wanders too much to
        // be judged, and against its peer nothing changed.
        let classShift = try #require(anyPeers.judge(probe, recent: shared([1.3, 1.3, 1.3, 1.3]), window: window, model: comoving))
        #expect(!classShift.regressed && abs(classShift.ratio - 1) < 0.01 && abs(classShift.ownRatio - 1.3) < 0.02)
        // By default no cycle with the peer 30 % slowed is judged: no decision.
        let undecided = try #require(test.judge(probe, recent: shared([1.3, 1.3, 1.3, 1.3]), window: window, model: comoving))
        #expect(!undecided.decided && undecided.judgedCycles == 0 && !undecided.regressed)
        // A recent cycle in which the peer did not verify: no reading against it, the own one is judged.
        var gap = shared([0.8, 0.8, 0.8, 0.8], probeScale: 1.15)
        gap[2][peer] = nil
        let withGap = try #require(test.judge(probe, recent: gap, window: window, model: comoving))
        #expect(withGap.peers.isEmpty && !withGap.regressed && withGap.ratio == withGap.ownRatio, "every recent cycle needs its peers")
        // The peers' factor of a cycle, as the reading divides by it.
        let scale = try #require(WindowRegressionTest.PeerScale([peer], window: CycleColumns(window)))
        #expect(abs(try #require(scale.factors(in: CycleColumns([[peer: 1.3 * 1.005]]))?.first) - 1.3) < 0.01)
        #expect(scale.factors(in: CycleColumns([[probe: 1]])) == nil)
        #expect(WindowRegressionTest.PeerScale([peer], window: CycleColumns(window + [[probe: 1]])) == nil, "a peer missing from a window cycle")
    }

    @Test func theReadingAgainstPeersIsChosenOnTheHistoryWhereItIsSteadier() throws {
        let history = shared(values(spread: 0.2)).enumerated().map { index, cycle in
            cycle.merging([other: 1 + 0.3 * Double(index % 5) / 4]) { a, _ in a }
        }
        let reading = try #require(WindowRegressionTest.historyReading(probe, history: CycleColumns(history), candidates: [peer, other]))
        let model = try #require(reading.model)
        #expect(model.peers == [peer], "the probe and its peer share the class; the other peer adds its own spread")
        #expect(abs(model.following - 1) < 0.05)
        #expect(abs(reading.variation - 1.4826 * 0.01) < 0.001, "against the peer only the 1 % each adds on its own is left")
        // Without candidates, or with too few shared cycles, the own reading and its wander.
        let own = try #require(WindowRegressionTest.historyReading(probe, history: CycleColumns(history), candidates: []))
        let ownStatistics = try #require(SampleStatistics(history.compactMap { $0[probe] }))
        #expect(own.model == nil && abs(own.variation - 1.4826 * ownStatistics.mad / ownStatistics.median) < 1e-12 && own.variation > 0.25)
        let short = WindowRegressionTest.historyReading(probe, history: CycleColumns(Array(history.prefix(19))), candidates: [peer])
        #expect(short?.model == nil, "20 shared cycles needed")
        #expect(WindowRegressionTest.historyReading(peer, history: CycleColumns(alone([1, 1])), candidates: []) == nil, "no cycle of the probe")
        // A peer that does not move with the probe steadies nothing: the own reading is judged.
        let steady = alone(values(spread: 0.01)).enumerated().map { index, cycle in cycle.merging([other: 1 + 0.1 * Double(index % 4)]) { a, _ in a } }
        #expect(WindowRegressionTest.historyReading(probe, history: CycleColumns(steady), candidates: [other])?.model == nil)
    }

    /// Zen 5, 2026-12-07 08:28: matmul f16 1x4096^2 wandered against its peers by 6.8-7.5 % over
    /// its window and 11.7-12.5 % over the history, then ran 12 cycles at 1.15-1.45 of the window. The bar's
    /// noise is the larger of the window's and the history's.
    @Test func theBarTakesTheNoiseTheHistoryShowedWhereTheWindowWasCalmer() throws {
        let rule = WindowRegressionTest(thresholdPercent: 10, alpha: 0.01, noiseMultiple: 2)
        let calm = alone(values(spread: 0.01))
        let spell = alone([1.2, 1.17, 1.25, 1.19, 1.22, 1.18])
        let fromWindow = try #require(rule.judge(probe, recent: spell, window: calm, model: nil))
        #expect(fromWindow.regressed && fromWindow.bar == 1.1, "the window's 1.5 % x 2 is below the threshold")
        let fromHistory = try #require(rule.judge(probe, recent: spell, window: calm, model: nil, historyVariation: 0.118))
        #expect(!fromHistory.regressed && abs(fromHistory.bar - 1.236) < 1e-12)
        #expect(rule.judge(probe, recent: alone(Array(repeating: 1.3, count: 6)), window: calm, model: nil, historyVariation: 0.118)?.regressed == true)
        // A history calmer than the window leaves the window's bar.
        let noisyWindow = alone(values(spread: 0.08))
        let calmerHistory = try #require(rule.judge(probe, recent: spell, window: noisyWindow, model: nil, historyVariation: 0.05))
        #expect(abs(calmerHistory.bar - (1 + 2 * 1.4826 * 0.08)) < 1e-12)
    }

    /// matmul f16 512^3 ran 1.45x slower when matmul f32 512^3 ran 1.3x (Zen 5, 2026-12-07): a
    /// probe that follows its class further than 1:1 is read with the slope the history shows.
    @Test func aProbeIsReadWithHowFarItFollowsItsPeers() throws {
        // The probe moves 1.5 times its peer's change (in the logarithm).
        let levels = values(spread: 0.15)
        let history: [CycleMedians] = levels.enumerated().map { index, level in
            [probe: pow(level, 1.5) * (1 + 0.005 * Double(index % 2)), peer: level]
        }
        let following = try #require(WindowRegressionTest.following(probe, peers: [peer], cycles: CycleColumns(history)))
        #expect(abs(following - 1.5) < 0.02)
        let model = try #require(WindowRegressionTest.historyReading(probe, history: CycleColumns(history), candidates: [peer])?.model)
        #expect(abs(model.following - following) < 1e-12)
        // The class 1.3x slower: 1.3^1.5 = 1.48x on its own, 1.14x against the peer at slope 1.
        let shift: [CycleMedians] = Array(repeating: [probe: pow(1.3, 1.5), peer: 1.3], count: 6)
        let withSlope = try #require(anyPeers.judge(probe, recent: shift, window: history, model: model))
        #expect(!withSlope.regressed && abs(withSlope.ratio - 1) < 0.01)
        let oneToOne = try #require(anyPeers.judge(probe, recent: shift, window: history, model: .init(peers: [peer], following: 1)))
        #expect(abs(oneToOne.ratio - pow(1.3, 0.5)) < 0.01 && oneToOne.bar > 1.3, "read 1:1, the shift leaks into a reading that wanders by 11 %")
        // The probe itself 1.15x slower during the shift still stands out.
        let slowed: [CycleMedians] = Array(repeating: [probe: 1.15 * pow(1.3, 1.5), peer: 1.3], count: 6)
        let verdict = try #require(anyPeers.judge(probe, recent: slowed, window: history, model: model))
        #expect(verdict.regressed && abs(verdict.ratio - 1.15) < 0.01)
        #expect(test.judge(probe, recent: slowed, window: history, model: model)?.decided == false, "by default: not during the shift")
        // A slope is bounded, and a peer that never moved leaves the probe read 1:1.
        let wild: [CycleMedians] = levels.map { [probe: pow($0, 8), peer: $0] }
        #expect(WindowRegressionTest.following(probe, peers: [peer], cycles: CycleColumns(wild)) == 3)
        #expect(WindowRegressionTest.following(probe, peers: [peer], cycles: CycleColumns(levels.map { [probe: $0, peer: 1] })) == 1)
    }

    /// add f32 on Zen 5 (2026-12-07 07:04): a quarter of its cycles at 0.5-0.6x of the others. Its
    /// 1.15x slowdown showed as 1.19-1.28 in the usual mode and 0.76-0.80 in the fast one.
    @Test func aFastModeOfTheProbeIsLeftOutOfTheJudgement() throws {
        let twoModes = alone(
            (0..<60).map { (index: Int) -> Double in
                let step = 0.01 * Double(index % 3 - 1)
                return index % 4 == 0 ? 0.56 + step : 1 + step
            })
        let slowed = try #require(test.judge(probe, recent: alone([1.15, 0.63, 1.16, 1.14, 0.64, 1.15]), window: twoModes, model: nil))
        #expect(slowed.regressed && slowed.judgedCycles == 4 && slowed.recentCycles == 6)
        #expect(abs(slowed.ratio - 1.15) < 1e-9 && abs(slowed.floorRatio - 1.14) < 1e-9)
        let usual = try #require(test.judge(probe, recent: alone([1.0, 0.55, 1.01, 0.99, 0.56, 1.0]), window: twoModes, model: nil))
        #expect(usual.decided && !usual.regressed)
        // Four of six recent cycles in the fast mode: too few left to decide.
        let fast = try #require(test.judge(probe, recent: alone([1.15, 0.63, 0.64, 1.14, 0.64, 0.63]), window: twoModes, model: nil))
        #expect(!fast.decided && fast.judgedCycles == 2 && !fast.regressed)
        // A probe in one mode: a recent cycle at its usual speed still counts (the floor holds it).
        let spell = try #require(test.judge(probe, recent: alone([1.45, 1.0, 1.5, 1.45, 1.5, 1.45]), window: alone(values(spread: 0.01)), model: nil))
        #expect(spell.judgedCycles == 6 && !spell.regressed && spell.floorRatio == 1.0)
    }

    /// Zen 5, 2026-12-07 02:57: matmul f32 512^3 ran 1.3x, ternary 1x4096^2 1.03x and matmul f16
    /// 512^3, which follows them, 1.45x for 13 cycles: a class shift that moved its members
    /// unequally. Only recent cycles whose peers ran at most `maxPeerSlowdownPercent` slowed count.
    @Test func cyclesWhoseCoMovingPeersRanSlowedAreNotJudged() throws {
        let window = shared(values(spread: 0.05))
        let comoving = WindowRegressionTest.PeerModel(peers: [peer], following: 1)
        let uneven = shared([1.16, 1.2, 1.25, 1.18, 1.22, 1.2], probeScale: 1.22)
        let verdict = try #require(test.judge(probe, recent: uneven, window: window, model: comoving))
        #expect(!verdict.decided && verdict.judgedCycles == 0)
        #expect(anyPeers.judge(probe, recent: uneven, window: window, model: comoving)?.regressed == true, "judged anyway, it reads 1.22")
        // Two of six cycles with the peer slowed: the probe's 1.15x is judged on the other four.
        var mixed = shared([1, 1.3, 1, 1, 1.3, 1], probeScale: 1.15)
        mixed[1][probe] = 1.3 * 1.3
        let judged = try #require(test.judge(probe, recent: mixed, window: window, model: comoving))
        #expect(judged.regressed && judged.judgedCycles == 4 && abs(judged.ratio - 1.15) < 0.02)
    }

    @Test func cycleColumnsReadEachProbeAcrossTheCycles() throws {
        var cycles: [CycleMedians] = []
        for index in 0..<30 {
            let cycle: CycleMedians = [probe: Double(index % 7), peer: Double(index % 5), other: Double(29 - index)]
            cycles.append(cycle)
        }
        cycles[3][peer] = nil
        let columns = CycleColumns(cycles)
        #expect(columns.count == 30 && Set(columns.probes) == [probe, peer, other])
        #expect(try #require(columns[peer])[3].isNaN && columns[peer]?[4] == 4)
        let shared = columns.rows(whereAllVerified: [probe, peer])
        #expect(shared.count == 29 && shared[probe]?[3] == 4, "the cycle without the peer is left out")
        // Correlations over the cycles both verified in, the same as SciPy's over those values.
        let rows = (0..<30).filter { $0 != 3 }
        let expected = try #require(RankCorrelation.spearman(rows.map { Double($0 % 7) }, rows.map { Double($0 % 5) }))
        #expect(abs(try #require(columns.rankCorrelation(probe, peer, minimumShared: 20)) - expected) < 1e-12)
        #expect(columns.rankCorrelation(probe, peer, minimumShared: 30) == nil, "29 shared cycles")
        #expect(try #require(columns.rankCorrelation(probe, other, minimumShared: 30)) < 0, "gapless columns use their ranks")
    }

    @Test func thePeersFactorIsTheMedianOfTheirRatios() throws {
        let third = try ProbeSpec(op: .copy, dtype: .bytes, shape: ProbeShape([2]))
        let fourth = try ProbeSpec(op: .copy, dtype: .bytes, shape: ProbeShape([3]))
        let window = CycleColumns([[peer: 1, other: 2, third: 4, fourth: 8]])
        let cycle = CycleColumns([[peer: 1.3, other: 2 * 0.9, third: 4 * 1.1, fourth: 8 * 2]])
        func factor(_ peers: [ProbeSpec]) throws -> Double { try #require(WindowRegressionTest.PeerScale(peers, window: window)?.factors(in: cycle)?.first) }
        #expect(abs(try factor([peer]) - 1.3) < 1e-12)
        #expect(abs(try factor([peer, other]) - 1.1) < 1e-12, "two: their mean")
        #expect(abs(try factor([peer, other, third]) - 1.1) < 1e-12, "three: the middle one")
        #expect(abs(try factor([other, fourth, peer]) - 1.3) < 1e-12)
        #expect(abs(try factor([peer, other, third, fourth]) - 1.2) < 1e-12, "four: the mean of the middle two")
        #expect(WindowRegressionTest.PeerScale([], window: window)?.factors(in: cycle) == nil)
    }

    @Test func leastSquaresSlopeMatchesNumPy() throws {
        // numpy.polyfit(x, y, 1)[0] (NumPy 2.x).
        let slope = try #require(LeastSquares.slope([0.1, 0.3, -0.2, 0.05, 0.4, -0.1], [0.12, 0.41, -0.15, 0.0, 0.52, -0.2]))
        #expect(abs(slope - 1.2546899841017494) < 1e-12)
        #expect(LeastSquares.slope([1, 1, 1], [1, 2, 3]) == nil && LeastSquares.slope([1], [1]) == nil)
    }

    @Test func coMovingPeersAreTheProbesOfTheDeviceThatRiseAndFallWithIt() {
        var elsewhere = try! ProbeSpec(op: .add, dtype: .f16, shape: ProbeShape([1]))
        elsewhere.device = "cpu1"
        let late = try! ProbeSpec(op: .add, dtype: .f16, shape: ProbeShape([2]))
        let opposite = try! ProbeSpec(op: .add, dtype: .f16, shape: ProbeShape([3]))
        let history: [CycleMedians] = (0..<40).map { index in
            let level = 1 + 0.1 * Double(index % 7)
            var cycle: CycleMedians = [probe: level, peer: level * 1.01, other: level + 0.05 * Double(index % 3), elsewhere: level, opposite: 2 - level]
            if index >= 25 { cycle[late] = level }
            return cycle
        }
        #expect(
            WindowRegressionTest.comovingPeers(of: probe, history: CycleColumns(history)) == [peer, other],
            "most correlated first; not another device, not an anti-correlated probe, not one with 15 shared cycles (20 needed)")
    }

    @Test func anInsignificantDifferenceIsNoRegression() throws {
        // All four recent values are slow, but a third of the window is slower still.
        let reference = alone((0..<60).map { $0 % 3 == 0 ? 1.5 : 1.0 })
        let verdict = try #require(
            WindowRegressionTest(thresholdPercent: 10, alpha: 0.01, noiseMultiple: 0)
                .judge(probe, recent: alone([1.3, 1.3, 1.3, 1.3]), window: reference, model: nil))
        #expect(abs(verdict.ratio - 1.3) < 1e-9)
        #expect(!verdict.regressed && verdict.pValue > 0.01)
    }

    @Test func rankCorrelationMatchesSciPy() throws {
        // scipy.stats.spearmanr (SciPy 1.17.1).
        #expect(abs(try #require(RankCorrelation.spearman([1, 2, 3, 4, 5, 6], [2, 1, 4, 3, 6, 5])) - 0.8285714285714287) < 1e-12)
        let tied = try #require(RankCorrelation.spearman([1.0, 2.5, 2.5, 4, 7, 3.1, 0.2], [3, 3, 1, 8, 9, 2, 2]))
        #expect(abs(tied - 0.5963553727767787) < 1e-12)
        #expect(RankCorrelation.spearman([1, 1, 1], [1, 2, 3]) == nil, "a constant sample has no correlation")
        #expect(RankCorrelation.spearman([1, 2], [1, 2]) == nil)
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
