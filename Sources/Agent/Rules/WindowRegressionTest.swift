import BitProbe

/// Judges one probe's latest cycles against its rolling reference window (docs/alerting.md,
/// "Rolling window"). A probe is regressed when all of this holds:
///
/// - The slowdown: the median of the recent cycle medians over the window's median (`ratio`), or
///   the same measured against the probe's peers in those cycles (`peerRelativeRatio`), whichever is
///   larger, exceeds the bar. The peers matter because on a shared machine the whole node speeds up
///   and slows down by several percent over minutes: while the other probes run 6 % faster than
///   their windows, a probe that got 15 % slower reads only 9 % slower against its own window.
/// - The bar is the threshold, or `noiseMultiple` times the window's robust coefficient of
///   variation (1.4826 MAD / median) when that is larger: a probe whose cycle medians wander by
///   15 % cannot tell a 15 % slowdown from its own spells, so it reports only what stands out of them.
/// - Every recent cycle is slower: the fastest of them is more than half the threshold slower than
///   the window's median (against the window or against the peers, whichever reads slower). A
///   regression slows every cycle; on a shared machine single probes have spells of 1.4-1.5x that
///   mostly come and go from one cycle to the next, leaving some recent cycle at its usual speed.
/// - The recent cycles are significantly slower than the window (Mann-Whitney U, two-sided, `alpha`).
struct WindowRegressionTest {
    var thresholdPercent: Double
    var alpha: Double
    var noiseMultiple: Double

    struct Verdict: Equatable {
        var regressed: Bool
        /// Median of the recent cycle medians / median of the window.
        var ratio: Double
        /// Median over the recent cycles of (cycle median / window median) / the peers' factor of that
        /// cycle; nil unless every recent cycle had peers.
        var peerRelativeRatio: Double?
        /// The slowdown ratio that had to be exceeded.
        var bar: Double
        /// The fastest recent cycle over the window's median (the larger of the plain and the
        /// peer-relative reading); must exceed 1 + threshold / 200.
        var floorRatio: Double
        var pValue: Double
    }

    /// `peerFactors[i]` belongs to `recent[i]`: the median, over the probe's peers in that cycle, of
    /// their cycle median over their own window's median (nil where too few peers had a window).
    func judge(recent: [Double], peerFactors: [Double?], reference: [Double]) -> Verdict? {
        guard !recent.isEmpty, recent.count == peerFactors.count, let window = SampleStatistics(reference), window.median > 0,
            let current = SampleStatistics(recent), let test = MannWhitneyU(recent, reference)
        else { return nil }
        let ratio = current.median / window.median
        var relative: [Double] = []
        for (value, peers) in zip(recent, peerFactors) {
            guard let peers, peers > 0 else { break }
            relative.append(value / window.median / peers)
        }
        let peerRelativeRatio = relative.count == recent.count ? SampleStatistics(relative)?.median : nil
        let plainFloor = current.min / window.median
        let floorRatio = relative.count == recent.count ? max(plainFloor, relative.min()!) : plainFloor
        let robustVariation = 1.4826 * window.mad / window.median
        let bar = 1 + max(thresholdPercent / 100, noiseMultiple * robustVariation)
        let slowdown = max(ratio, peerRelativeRatio ?? ratio)
        let everyCycleSlower = floorRatio > 1 + thresholdPercent / 200
        return Verdict(
            regressed: slowdown > bar && everyCycleSlower && test.pValue < alpha, ratio: ratio, peerRelativeRatio: peerRelativeRatio,
            bar: bar, floorRatio: floorRatio, pValue: test.pValue)
    }

    /// Each `ok` result's cycle median over the median of its window, for results whose window has
    /// at least `minimumWindow` cycles, in `results` order: what both factors are made of.
    static func windowRatios(
        results: [ProbeResult], windows: [ProbeSpec: [Double]],
        minimumWindow: Int
    ) -> [(spec: ProbeSpec, ratio: Double)] {
        results.compactMap { result in
            guard result.outcome == .ok, let median = result.statistics?.median, let window = windows[result.spec],
                window.count >= minimumWindow, let reference = SampleStatistics(window), reference.median > 0
            else { return nil }
            return (result.spec, median / reference.median)
        }
    }

    /// For each result, the median over its peers (the other `ok` probes of the same backend and
    /// device among `ratios`) of their ratio; absent where fewer than `minimumPeers` peers qualify.
    static func peerFactors(
        results: [ProbeResult], ratios: [(spec: ProbeSpec, ratio: Double)],
        minimumPeers: Int = 4
    ) -> [ProbeSpec: Double] {
        var factors: [ProbeSpec: Double] = [:]
        for result in results where result.outcome == .ok {
            let peers = ratios.filter { $0.spec != result.spec && $0.spec.backend == result.spec.backend && $0.spec.device == result.spec.device }
            guard peers.count >= minimumPeers, let factor = SampleStatistics(peers.map(\.ratio))?.median else { continue }
            factors[result.spec] = factor
        }
        return factors
    }

    /// The node factor of each backend and device: the median of its probes' `ratios`; only where
    /// at least `minimumProbes` probes have one.
    static func nodeFactors(
        ratios: [(spec: ProbeSpec, ratio: Double)],
        minimumProbes: Int = 3
    ) -> [(backend: String, device: String, factor: Double)] {
        var devices: [(backend: String, device: String)] = []
        for entry in ratios where !devices.contains(where: { $0 == (entry.spec.backend.rawValue, entry.spec.device) }) {
            devices.append((entry.spec.backend.rawValue, entry.spec.device))
        }
        return devices.compactMap { backend, device in
            let values = ratios.filter { $0.spec.backend.rawValue == backend && $0.spec.device == device }.map(\.ratio)
            guard values.count >= minimumProbes, let factor = SampleStatistics(values)?.median else { return nil }
            return (backend, device, factor)
        }
    }
}
