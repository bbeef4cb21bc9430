import Testing

@testable import BitProbe

#if canImport(Glibc)
import Glibc
#endif

/// The gate against simulated machines whose processes have levels of their own (docs/regression.md,
/// "How the gate measures"): every round median is a level times a small noise. On the machine in
/// `bimodal`, 40 % of processes run 20 % slower for their whole life, as one development VM's 256³
/// matmul did (181 µs in some processes, 260-270 µs in others). The draws are seeded, so each test
/// sees the same numbers every run.
@Suite struct GateSimulationTests {
    typealias F = RegressionFixtures

    struct Machine {
        /// Probability that a process runs at `slowLevel` instead of 1.
        var slowShare: Double
        var slowLevel: Double
        /// Log-normal noise of a round median around its process's level.
        var sigma: Double

        static let bimodal = Machine(slowShare: 0.4, slowLevel: 1.2, sigma: 0.02)
        static let steady = Machine(slowShare: 0, slowLevel: 1, sigma: 0.02)

        func roundMedians(_ count: Int, factor: Double = 1, using random: inout SeededRandom) -> [Double] {
            (0..<count).map { _ in
                let level = uniform(&random) < slowShare ? slowLevel : 1
                return 1e-3 * factor * level * exp(sigma * normal(&random))
            }
        }

        func result(_ count: Int, factor: Double = 1, using random: inout SeededRandom) -> ProbeResult {
            var result = F.result(F.matmul, [1e-3])
            result.rounds = roundMedians(count, factor: factor, using: &random).map {
                RoundSummary(startedAt: 0, medianSeconds: $0, sampleCount: 100, wallSeconds: 0.3)
            }
            return result
        }
    }

    static func uniform(_ random: inout SeededRandom) -> Double {
        (Double(random.next() >> 11) + 0.5) / 9_007_199_254_740_992
    }

    static func normal(_ random: inout SeededRandom) -> Double {
        (-2 * log(uniform(&random))).squareRoot() * cos(2 * Double.pi * uniform(&random))
    }

    /// The gate's verdict on one simulated regress run: 5 rounds, then the confirmations it asks for.
    func verdict(_ machine: Machine, factor: Double, criteria: RegressionCriteria, using random: inout SeededRandom) -> ProbeComparison.Verdict {
        let baseline = [machine.result(20, using: &random)]
        let first = RegressionAnalysis.compare(baseline: baseline, current: [machine.result(5, factor: factor, using: &random)], criteria: criteria)
        return RegressionAnalysis.confirm(first, baseline: baseline, criteria: criteria) { _ in
            [machine.result(5, factor: factor, using: &random)]
        }[0].verdict
    }

    /// With the threshold out of the way and no confirmations, what remains is the test itself. On
    /// rounds drawn alike on both sides it may call an unchanged build slower in at most alpha / 2
    /// of runs (plus three standard errors of the count), even with per-process levels.
    @Test func theTestKeepsItsNominalRateWhateverTheProcessLevels() {
        var criteria = RegressionCriteria()
        criteria.alpha = 0.05
        criteria.thresholdPercent = 1e-9
        criteria.criticalThresholdPercent = 100
        criteria.confirmations = 0
        let trials = 2000
        for machine in [Machine.bimodal, .steady] {
            var random = SeededRandom(seed: 7)
            let slower = (0..<trials).filter { _ in verdict(machine, factor: 1, criteria: criteria, using: &random) == .regression }.count
            let nominal = criteria.alpha / 2
            #expect(
                Double(slower) <= Double(trials) * nominal + 3 * (Double(trials) * nominal * (1 - nominal)).squareRoot(),
                "\(slower) of \(trials) unchanged runs called slower (slow share \(machine.slowShare))")
        }
    }

    /// The selection the gate no longer makes: the quietest of 5 rounds against the quietest of 20.
    /// On the same draws it reads an unchanged build as slower 80 % of the time (the smallest of 25
    /// values lies among the 20 with probability 20/25), so any threshold tuned for it is tuned
    /// for one machine's noise; the same draws, read by `RoundRatio`, lean neither way.
    @Test func quietestRoundSelectionIsBiasedAndRoundRatioIsNot() {
        var random = SeededRandom(seed: 11)
        let trials = 2000
        var quietestSlower = 0
        var ratioSlower = 0
        for _ in 0..<trials {
            let baseline = Machine.bimodal.roundMedians(20, using: &random)
            let current = Machine.bimodal.roundMedians(5, using: &random)
            if current.min()! > baseline.min()! { quietestSlower += 1 }
            if RoundRatio(current: current, baseline: baseline, alpha: 0.01)!.ratio > 1 { ratioSlower += 1 }
        }
        #expect((0.77...0.83).contains(Double(quietestSlower) / Double(trials)))
        #expect((0.45...0.55).contains(Double(ratioSlower) / Double(trials)), "\(ratioSlower) of \(trials)")
    }

    /// The defaults (99 % interval, 10 % threshold, 3 confirmations) on the bimodal machine: no
    /// unchanged run of 1,000 fails.
    @Test func theDefaultsPassUnchangedBuildsOnABimodalMachine() {
        var random = SeededRandom(seed: 13)
        let failures = (0..<1000).filter { _ in verdict(.bimodal, factor: 1, criteria: RegressionCriteria(), using: &random) != .unchanged }.count
        #expect(failures == 0)
    }

    /// And a 1.15x slowdown of a probe whose rounds wander by 2 % is caught at least 9 times in 10.
    @Test func theDefaultsCatchA15PercentSlowdownOfASteadyProbe() {
        var random = SeededRandom(seed: 17)
        let trials = 500
        let caught = (0..<trials).filter { _ in verdict(.steady, factor: 1.15, criteria: RegressionCriteria(), using: &random) == .regression }.count
        #expect(Double(caught) >= 0.9 * Double(trials), "caught \(caught) of \(trials)")
    }
}
