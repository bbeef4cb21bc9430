/// Measures a suite in rounds and keeps every round: the measurement policy of `baseline create`
/// and `regress` (docs/regression.md, "How the gate measures").
///
/// On a shared machine a probe's level moves in two ways. Load from elsewhere comes in spells, from
/// a fraction of a second to tens of seconds, that slow every iteration alike. And a process keeps
/// its own level for its whole life: on one development VM a 256x256x256 matmul ran at a median of
/// 181 µs in some processes and 260-270 µs in others, round after round. So the samples inside one
/// process are not independent evidence about the build; processes are. `bitprobe baseline create`
/// and `regress` measure each round of each probe in a process of its own (`bitprobe bench`),
/// round-robin over the suite, and the gate compares round medians (`RoundRatio`), all of them, on
/// both sides alike. (An earlier gate kept the quietest round of each side; with 10 rounds in the
/// baseline and 5 in a regress run, the minimum of more draws is lower, so an unchanged build read
/// slower by construction.)
///
/// ```swift
/// let benchmarker = Benchmarker(config: config, backend: backend)
/// let results = RoundMeasurement.measure(specs, rounds: 5) { spec, _ in benchmarker.run(spec) }
/// // results[i].rounds: the five round summaries of specs[i]
/// ```
public enum RoundMeasurement {
    /// Runs `measure` on every spec, round by round, at least `rounds` rounds and until `duration`
    /// seconds have passed, and returns one result per spec in `specs` order (`combine`). `measure`
    /// gets the spec and the round number (from 0).
    public static func measure(
        _ specs: [ProbeSpec], rounds: Int, duration: Double = 0,
        _ measure: (ProbeSpec, Int) throws -> ProbeResult
    ) rethrows -> [ProbeResult] {
        precondition(rounds >= 1 && duration >= 0)
        var runs = [[ProbeResult]](repeating: [], count: specs.count)
        let start = MonotonicClock.nanoseconds()
        var round = 0
        while round < rounds || Double(MonotonicClock.nanoseconds() - start) / 1e9 < duration {
            for (index, spec) in specs.enumerated() { runs[index].append(try measure(spec, round)) }
            round += 1
        }
        return runs.map(combine)
    }

    /// One result for a probe's rounds: a round that did not end `ok` if there is one, because one
    /// wrong or failed run is a finding whatever the others did; otherwise the typical round (the
    /// lower median of the round medians), whose samples stand for the probe in tables and reports.
    /// Either way `rounds` holds every `ok` round in the order measured, and the wall time is that
    /// of all rounds together.
    public static func combine(_ rounds: [ProbeResult]) -> ProbeResult {
        precondition(!rounds.isEmpty)
        let summaries = rounds.compactMap(RoundSummary.init)
        var chosen: ProbeResult
        if let notOK = rounds.first(where: { $0.outcome != .ok }) {
            chosen = notOK
        } else {
            let order = rounds.indices.sorted { (rounds[$0].statistics?.median ?? .infinity) < (rounds[$1].statistics?.median ?? .infinity) }
            chosen = rounds[order[(order.count - 1) / 2]]
        }
        chosen.rounds = summaries
        chosen.wallSeconds = rounds.reduce(0) { $0 + $1.wallSeconds }
        return chosen
    }
}
