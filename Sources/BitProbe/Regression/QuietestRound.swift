/// Measures a suite in rounds and keeps, per probe, the round with the lowest median: the
/// measurement policy of `baseline create` and `regress` (docs/regression.md).
///
/// On a shared machine, load from elsewhere only ever adds time, and it comes in spells, from a
/// fraction of a second to tens of seconds on the development VM, that slow every iteration of a
/// probe alike, even the fastest, by up to 1.5x: one run's median lands wherever the spell of the
/// moment puts it. Rounds go round-robin over the suite, so the rounds of one probe are spread out in
/// time; the quietest is the machine as it is when nothing else intrudes, the thing worth comparing.
/// A baseline, recorded once, runs rounds for a minute to be sure to meet such a moment
/// (`Baseline.defaultDuration`); a regress run takes a few rounds and confirms what looks regressed
/// (`RegressionAnalysis.confirm`).
///
/// ```swift
/// let results = QuietestRound.measure(specs, rounds: 5, with: Benchmarker(config: config, backend: backend))
/// ```
public enum QuietestRound {
    /// Runs every spec round by round, at least `rounds` rounds and until `duration` seconds have
    /// passed, and returns one result per spec in `specs` order. Rounds follow each other without
    /// pauses, as a regress run's do, so that baseline and current rounds meet the same conditions.
    /// `progress` is told before each probe run: (index in `specs`, round, spec).
    public static func measure(_ specs: [ProbeSpec], rounds: Int, duration: Double = 0, with benchmarker: Benchmarker,
                               progress: ((Int, Int, ProbeSpec) -> Void)? = nil) -> [ProbeResult] {
        precondition(rounds >= 1 && duration >= 0)
        var runs = [[ProbeResult]](repeating: [], count: specs.count)
        let start = MonotonicClock.nanoseconds()
        var round = 0
        while round < rounds || Double(MonotonicClock.nanoseconds() - start) / 1e9 < duration {
            for (index, spec) in specs.enumerated() {
                progress?(index, round, spec)
                runs[index].append(benchmarker.run(spec))
            }
            round += 1
        }
        return runs.map(quietest)
    }

    /// The round with the lowest median; a round that did not end `ok` instead, because one wrong or
    /// failed run is a finding whatever the others did. Wall time is that of all rounds together.
    static func quietest(_ rounds: [ProbeResult]) -> ProbeResult {
        var chosen = rounds.first { $0.outcome != .ok }
            ?? rounds.min { ($0.statistics?.median ?? .infinity) < ($1.statistics?.median ?? .infinity) }!
        chosen.wallSeconds = rounds.reduce(0) { $0 + $1.wallSeconds }
        return chosen
    }
}
