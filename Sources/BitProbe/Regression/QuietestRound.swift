/// Measures a suite in rounds and keeps, per probe, the round with the lowest median: the
/// measurement policy of `baseline create` and `regress` (docs/regression.md).
///
/// On a shared machine, load from elsewhere only ever adds time, and it comes in spells, from a
/// fraction of a second to tens of seconds on the development VM, that slow every iteration of a
/// probe alike, even the fastest, by up to 1.5x. A process also keeps its own level for its whole
/// life: on the development VM the 256x256x256 matmul ran at a median of 181 µs in some processes and
/// 260-270 µs in others, round after round, while the best of five separate processes stayed within
/// 181-183 µs. So `bitprobe baseline create` and `regress` measure each round of each probe in a
/// process of its own (`bitprobe bench`), round-robin over the suite; the quietest round is the
/// machine as it is when nothing else intrudes, the thing worth comparing. A baseline, recorded
/// once, runs rounds for a minute (`Baseline.defaultDuration`); a regress run takes a few and
/// confirms what looks regressed (`RegressionAnalysis.confirm`).
///
/// ```swift
/// let benchmarker = Benchmarker(config: config, backend: backend)
/// let results = QuietestRound.measure(specs, rounds: 5) { spec, _ in benchmarker.run(spec) }
/// ```
public enum QuietestRound {
    /// Runs `measure` on every spec, round by round, at least `rounds` rounds and until `duration`
    /// seconds have passed, and returns one result per spec in `specs` order: the quietest of its
    /// rounds. `measure` gets the spec and the round number (from 0).
    public static func measure(_ specs: [ProbeSpec], rounds: Int, duration: Double = 0,
                               _ measure: (ProbeSpec, Int) throws -> ProbeResult) rethrows -> [ProbeResult] {
        precondition(rounds >= 1 && duration >= 0)
        var runs = [[ProbeResult]](repeating: [], count: specs.count)
        let start = MonotonicClock.nanoseconds()
        var round = 0
        while round < rounds || Double(MonotonicClock.nanoseconds() - start) / 1e9 < duration {
            for (index, spec) in specs.enumerated() { runs[index].append(try measure(spec, round)) }
            round += 1
        }
        return runs.map(quietest)
    }

    /// The round with the lowest median; a round that did not end `ok` instead, because one wrong or
    /// failed run is a finding whatever the others did. Wall time is that of all rounds together.
    public static func quietest(_ rounds: [ProbeResult]) -> ProbeResult {
        var chosen = rounds.first { $0.outcome != .ok }
            ?? rounds.min { ($0.statistics?.median ?? .infinity) < ($1.statistics?.median ?? .infinity) }!
        chosen.wallSeconds = rounds.reduce(0) { $0 + $1.wallSeconds }
        return chosen
    }
}
