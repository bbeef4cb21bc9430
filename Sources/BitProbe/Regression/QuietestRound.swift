/// Measures a suite in rounds and keeps, per probe, the round with the lowest median: the
/// measurement policy of `baseline create` and `regress` (docs/regression.md).
///
/// On a shared machine, load from elsewhere only ever adds time, and it comes in spells of about a
/// second that slow every iteration of a probe run alike, so one run's median lands wherever the
/// spell of the moment puts it: up to 1.5x apart between runs on the development VM, while the
/// lowest of five round medians moved by a few percent. Rounds go round-robin over the suite, so the
/// rounds of one probe are a whole suite pass apart in time and rarely all fall in one spell.
/// Baseline and current run take the same policy, so the ratio of their medians stays unbiased.
///
/// ```swift
/// let results = QuietestRound.measure(specs, rounds: 5, with: Benchmarker(config: config, backend: backend))
/// ```
public enum QuietestRound {
    /// Runs every spec `rounds` times, round by round, and returns one result per spec in `specs`
    /// order. `progress` is told before each probe run: (index, total runs, spec).
    public static func measure(_ specs: [ProbeSpec], rounds: Int, with benchmarker: Benchmarker,
                               progress: ((Int, Int, ProbeSpec) -> Void)? = nil) -> [ProbeResult] {
        precondition(rounds >= 1)
        var runs = [[ProbeResult]](repeating: [], count: specs.count)
        for round in 0..<rounds {
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
