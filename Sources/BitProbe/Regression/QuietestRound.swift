#if canImport(Glibc)
import Glibc
#endif

/// Measures a suite in rounds and keeps, per probe, the round with the lowest median: the
/// measurement policy of `baseline create` and `regress` (docs/regression.md).
///
/// On a shared machine, load from elsewhere only ever adds time, and it comes in spells, from a
/// fraction of a second to about 20 s on the development VM, that slow every iteration of a probe
/// alike, even the fastest, by up to 1.5x: one run's median lands wherever the spell of the moment
/// puts it. Rounds go round-robin over the suite (and may be spaced out further), so the rounds of one
/// probe are spread out in time and rarely all fall in one spell; the quietest is the machine as it is
/// when nothing else intrudes, the thing worth comparing. Baseline and current run take the same
/// policy, so the ratio of their medians stays unbiased.
///
/// ```swift
/// let results = QuietestRound.measure(specs, rounds: 5, with: Benchmarker(config: config, backend: backend))
/// ```
public enum QuietestRound {
    /// Runs every spec `rounds` times, round by round, and returns one result per spec in `specs`
    /// order. Rounds start at least `spacing` seconds apart (`sleep` waits out the rest), to spread
    /// them out in time; `progress` is told before each probe run: (index, total runs, spec).
    public static func measure(_ specs: [ProbeSpec], rounds: Int, with benchmarker: Benchmarker, spacing: Double = 0,
                               sleep: (Double) -> Void = sleep, progress: ((Int, Int, ProbeSpec) -> Void)? = nil) -> [ProbeResult] {
        precondition(rounds >= 1 && spacing >= 0)
        var runs = [[ProbeResult]](repeating: [], count: specs.count)
        var roundStart = MonotonicClock.nanoseconds()
        for round in 0..<rounds {
            if round > 0 {
                let elapsed = Double(MonotonicClock.nanoseconds() - roundStart) / 1e9
                if elapsed < spacing { sleep(spacing - elapsed) }
                roundStart = MonotonicClock.nanoseconds()
            }
            for (index, spec) in specs.enumerated() {
                progress?(round * specs.count + index, rounds * specs.count, spec)
                runs[index].append(benchmarker.run(spec))
            }
        }
        return runs.map(quietest)
    }

    /// Sleeps `seconds`, resuming after signals.
    public static func sleep(_ seconds: Double) {
        var remaining = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
        var left = timespec()
        while nanosleep(&remaining, &left) != 0, errno == EINTR { remaining = left }
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
