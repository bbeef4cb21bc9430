/// How fast the machine as a whole ran in each current round, against the baseline: for round k
/// of a probe, the median over its peers (the other compared probes of the same backend and
/// device) of their round k median over the median of their baseline rounds.
///
/// The whole machine's level moves between runs by a few percent, every probe alike: on the Zen 5
/// development VM unchanged runs read 0.94-1.02 against a baseline an hour old, all probes
/// together, and a 1.15x slowdown of one probe then read 1.09. Dividing a probe's round median by
/// the factor of the same round takes that common movement out while keeping what is the probe's
/// own, and the gate judges that peer-relative reading beside the plain one (`RegressionAnalysis`).
/// The plain reading stays, because a change that slows every probe alike leaves the peer-relative
/// one at 1 and is exactly what a gate must catch. Rounds of all probes run round-robin, seconds
/// apart, so round k of every probe meets the same machine.
struct PeerFactors {
    /// Fewest peers whose median makes a factor; below that a probe has no peer-relative reading.
    static let minimumPeers = 2

    /// Each baseline probe's median of round medians.
    private let references: [ProbeSpec: Double]
    private let current: [ProbeResult]

    init(baseline: [ProbeSpec: ProbeResult], current: [ProbeResult]) {
        var references: [ProbeSpec: Double] = [:]
        for (spec, result) in baseline where result.outcome == .ok {
            if let median = SampleStatistics(result.roundMedians)?.median, median > 0 { references[spec] = median }
        }
        self.references = references
        self.current = current.filter { $0.outcome == .ok && references[$0.spec] != nil }
    }

    /// The factor of each of `spec`'s current rounds, or nil when some round has fewer than
    /// `minimumPeers` peers measured in it.
    func factors(for spec: ProbeSpec, rounds: Int) -> [Double]? {
        let peers = current.filter { $0.spec != spec && $0.spec.backend == spec.backend && $0.spec.device == spec.device }
        guard peers.count >= Self.minimumPeers else { return nil }
        var factors: [Double] = []
        for k in 0..<rounds {
            let ratios = peers.compactMap { peer -> Double? in
                let medians = peer.roundMedians
                guard k < medians.count, let reference = references[peer.spec] else { return nil }
                return medians[k] / reference
            }
            guard ratios.count >= Self.minimumPeers, let factor = SampleStatistics(ratios)?.median, factor > 0 else { return nil }
            factors.append(factor)
        }
        return factors
    }

    /// Up to `limit` peers for the suspects among `comparisons` on the same backend and device, to
    /// measure beside them in a confirmation: compared probes that are not suspects themselves.
    static func peersToMeasure(for suspects: [ProbeSpec], among comparisons: [ProbeComparison], limit: Int = 4) -> [ProbeSpec] {
        var chosen: [ProbeSpec] = []
        for suspect in suspects {
            let candidates = comparisons.filter {
                $0.medianRatio != nil && !suspects.contains($0.spec) && !chosen.contains($0.spec)
                    && $0.spec.backend == suspect.backend && $0.spec.device == suspect.device
            }
            let already = chosen.filter { $0.backend == suspect.backend && $0.device == suspect.device }.count
            guard already + candidates.count >= minimumPeers else { continue }
            chosen += candidates.prefix(max(0, limit - already)).map(\.spec)
        }
        return chosen
    }
}
