/// Measures a suite in rounds and keeps, per probe, the round with the lowest median: the
/// measurement policy of `baseline create` and `regress` (docs/regression.md).
///
/// On a shared machine, load from elsewhere only ever adds time, and it comes in spells, from a
/// fraction of a second to about 20 s on the development VM, that slow every iteration of a probe
/// alike, even the fastest, by up to 1.5x: one run's median lands wherever the spell of the moment
/// puts it. Rounds go round-robin over the suite (and may pause between them), so the rounds of one
/// probe are spread out in time and rarely all fall in one spell; the quietest is the machine as it is
/// when nothing else intrudes, the thing worth comparing. Baseline and current run take the same
/// policy, so the ratio of their medians stays unbiased.
///
/// ```swift
/// let results = QuietestRound.measure(specs, rounds: 5, with: Benchmarker(config: config, backend: backend))
/// ```
public enum QuietestRound {
    /// Runs every spec `rounds` times, round by round, and returns one result per spec in `specs`
    /// order. `betweenRounds` runs between two rounds (a pause, to spread the rounds out in time);
    /// `progress` is told before each probe run: (index, total runs, spec).
    public static func measure(_ specs: [ProbeSpec], rounds: Int, with benchmarker: Benchmarker, betweenRounds: () -> Void = {},
                               progress: ((Int, Int, ProbeSpec) -> Void)? = nil) -> [ProbeResult] {
        precondition(rounds >= 1)
        var runs = [[ProbeResult]](repeating: [], count: specs.count)
        for round in 0..<rounds {
            if round > 0 { betweenRounds() }
            for (index, spec) in specs.enumerated() {
                progress?(round * specs.count + index, rounds * specs.count, spec)
                runs[index].append(benchmarker.run(spec))
            }
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
