import BitProbe

#if canImport(Glibc)
import Glibc
#endif

/// Judges one probe's latest cycles against its rolling reference window (docs/alerting.md,
/// "Rolling window").
///
/// A probe is read on its own (its cycle medians) or, where that is steadier, against its
/// co-moving peers (`PeerModel`): each cycle median divided by that cycle's factor of the one to
/// `maximumPeers` probes of its device whose cycle medians rose and fell most with its own, raised
/// to the power with which the probe follows them. Why: on a shared machine the node changes speed
/// for minutes at a time, and not uniformly. On the Zen 5 VM the compute-bound probes ran 1.1-1.4x
/// slower for 200 s while the memory-bound ones ran 0.6-0.8x of their usual time, each class
/// moving together (add f32 and multiply f32: correlation 0.94), and not all by the same amount
/// (matmul f16 512^3 1.45x when matmul f32 512^3 ran 1.3x). add f32's own cycle medians wander by
/// a robust CV of 27 %, against multiply f32 by 5 %. Which reading, which peers and how far the
/// probe follows them is decided on the agent's history of cycles, before the recent cycles are
/// looked at: a window of a quiet hour may hold no class shift to show them.
///
/// Of the recent cycles, those are judged in which the reading's co-moving peers ran at most
/// `maxPeerSlowdownPercent` slower than over the window, and the reading was not far faster than
/// the window's usual (more than `fastFence` robust CVs below its median; the window's cycles that
/// fast are left out of it too). A class shift does not move all members alike (Zen 5, 2026-12-07
/// 02:57: matmul f16 512^3 1.41-1.49x, matmul f32 512^3 1.23-1.32x, ternary 1x4096^2 1.01-1.08x
/// for 13 cycles, so matmul f16 read 1.18-1.24 against the two), and a probe may run in two modes
/// (add f32 on Zen 5, 07:04: 12 of its 60 window cycles at 0.52-0.64x of its median), so that a
/// slowdown of the usual mode shows in most recent cycles but not in all. Fewer than half the recent cycles judged: no decision
/// (`Verdict.decided`; RuleEngine keeps a firing alert firing and drops a pending one).
///
/// The judged reading is regressed when all of this holds for the judged cycles:
/// - their median over its window's median exceeds the bar, the threshold or `noiseMultiple` times
///   the reading's robust coefficient of variation (1.4826 MAD / median) when that is larger: a
///   reading that wanders by 15 % cannot tell a 15 % slowdown from its own spells. The CV is the
///   larger of the window's and the history's (`HistoryReading.variation`): a window may be a calm
///   stretch of a probe that the history shows wandering further (Zen 5, 2026-12-07 08:28:
///   matmul f16 1x4096^2 against its peers 6.8-7.5 % over its window, 11.7-12.5 % over the
///   history, then 12 cycles at 1.15-1.45 of the window while the memory-bound probes ran
///   1.06-1.16x: a false alarm with the window's CV, none with the history's);
/// - every judged cycle is more than half the threshold slower than the window's median: a
///   regression slows every cycle, while a probe's spells of 1.4-1.5x mostly come and go from one
///   cycle to the next, leaving some recent cycle at its usual speed;
/// - the judged cycles are significantly slower than the window (Mann-Whitney U, two-sided, `alpha`).
struct WindowRegressionTest {
    var thresholdPercent: Double
    var alpha: Double
    var noiseMultiple: Double
    /// A recent cycle in which the reading's co-moving peers ran more slowed than this is not judged.
    var maxPeerSlowdownPercent = AlertRule.defaultMaxPeerSlowdownPercent

    /// Most co-moving peers a reading divides by; fewer when fewer steady it more. Three, not more:
    /// the fourth-best peer is already outside the probe's class and brings its own spells (Zen 5
    /// recording of 2026-12-07 02:57, robust CV against the best three / four peers: add f32 5.3 /
    /// 9.2 %, multiply f32 4.6 / 7.8 %, copy 6.8 / 9.8 %).
    static let maximumPeers = 3
    /// Fewest cycles two probes must share in the history for their correlation, or a probe and
    /// its peers for how far it follows them, to count.
    static let minimumSharedCycles = 20
    /// How far a probe may be taken to follow its peers: from not at all to three times their
    /// change (in the logarithm); a slope beyond is a fit to noise.
    static let followingRange = 0.0...3.0
    /// How much steadier than its own a reading against peers must be to be judged: at most 0.8
    /// of the own robust CV. Against peers that moved only by noise in the history the slope is
    /// fitted to noise and steadies a reading only by chance; such a reading is not the probe's
    /// class. With no margin (1.0), RuleTests' case of independent probes through a node slowdown
    /// misses the 1.3x slowdown of one probe that follows it. Where a class truly co-moves the gain
    /// is far larger (Zen 5: add f32 27 % on its own, 5 % against its peers).
    static let requiredSteadying = 0.8
    /// How many robust CVs below the window's median a cycle of the reading is a different mode of
    /// the probe rather than its usual speed, left out of the judgement. add f32's fast mode on Zen 5
    /// lay 9.5-12.5 robust CVs below; in replays of the quiet Zen 5 recordings (without the peers'
    /// condition) a fence at 2 added a false alarm (quantize_weights f32), at 3 none.
    static let fastFence = 3.0

    struct Verdict {
        var regressed: Bool
        /// Recent cycles judged (see the type's comment); fewer than half the recent cycles: no
        /// decision, `regressed` is false and the ratios are NaN.
        var judgedCycles: Int
        var recentCycles: Int
        var decided: Bool { judgedCycles * 2 >= recentCycles }
        /// Median of the judged values over the window's median, of the judged reading.
        var ratio: Double
        /// The same of the probe's own cycle medians.
        var ownRatio: Double
        /// The co-moving peers of the judged reading; empty when the own reading was judged.
        var peers: [ProbeSpec]
        /// How far the judged reading took the probe to follow its peers (`PeerModel.following`).
        var following: Double
        /// The slowdown ratio that had to be exceeded.
        var bar: Double
        /// The fastest judged value over the window's median; must exceed 1 + threshold / 200.
        var floorRatio: Double
        var pValue: Double
    }

    /// A probe's co-moving peers and how far it follows them: `following` is the least-squares
    /// slope of the log of its cycle medians on the log of its peers' factor over the history (1:
    /// it slows as they do; 1.2: a 1.3x shift of theirs is 1.37x of its own).
    struct PeerModel: Equatable {
        var peers: [ProbeSpec]
        var following: Double
    }

    /// How a probe is read, chosen on the history (`historyReading`): against `model`, or on its
    /// own where that is nil; `variation` is that reading's robust CV over the history, the floor
    /// of the noise bar.
    struct HistoryReading: Equatable {
        var model: PeerModel?
        var variation: Double
    }

    /// Co-moving peers with their medians over a window: how slowed or sped up they ran in a cycle.
    struct PeerScale {
        var peers: [ProbeSpec]
        private var medians: [Double] = []

        /// nil where a peer lacks a cycle of `window`.
        init?(_ peers: [ProbeSpec], window: CycleColumns) {
            self.peers = peers
            for peer in peers {
                guard let column = window[peer], !column.contains(where: \.isNaN), let median = SampleStatistics(column)?.median, median > 0
                else { return nil }
                medians.append(median)
            }
        }

        /// Per cycle of `cycles`, the median over the peers of their median in it over their
        /// window median; nil without peers or where a peer lacks a cycle.
        func factors(in cycles: CycleColumns) -> [Double]? {
            guard !peers.isEmpty else { return nil }
            guard cycles.count > 0 else { return [] }
            var columns: [[Double]] = []
            for peer in peers {
                guard let column = cycles[peer], !column.contains(where: \.isNaN) else { return nil }
                columns.append(column)
            }
            // One to `maximumPeers` (3) ratios a cycle, for every cycle of the history after each
            // cycle: their median without sorting an array for each.
            return (0..<cycles.count).map { row in
                switch columns.count {
                case 1: return columns[0][row] / medians[0]
                case 2: return (columns[0][row] / medians[0] + columns[1][row] / medians[1]) / 2
                case 3:
                    let (a, b, c) = (columns[0][row] / medians[0], columns[1][row] / medians[1], columns[2][row] / medians[2])
                    return max(min(a, b), min(max(a, b), c))
                default:
                    return SampleStatistics.percentile(sorted: zip(columns, medians).map { $0[row] / $1 }.sorted(), 0.5)
                }
            }
        }
    }

    /// A probe's values over the window's cycles and the recent ones, on its own or divided by its
    /// peers' factor raised to `following`; nil where the probe or a peer lacks a cycle.
    struct Reading {
        var peers: [ProbeSpec]
        var window: [Double]
        var recent: [Double]
        /// The peers' factor in each recent cycle; 1 for the own reading.
        var recentPeerFactors: [Double]

        init?(_ spec: ProbeSpec, model: PeerModel?, window: CycleColumns, recent: CycleColumns) {
            guard let ownWindow = window[spec], let ownRecent = recent.count == 0 ? [] : recent[spec],
                !ownWindow.contains(where: \.isNaN), !ownRecent.contains(where: \.isNaN)
            else { return nil }
            guard let model, !model.peers.isEmpty else {
                self.peers = []
                self.window = ownWindow
                self.recent = ownRecent
                self.recentPeerFactors = ownRecent.map { _ in 1 }
                return
            }
            guard let scale = PeerScale(model.peers, window: window), let windowFactors = scale.factors(in: window),
                let recentFactors = scale.factors(in: recent)
            else { return nil }
            self.peers = model.peers
            self.window = zip(ownWindow, windowFactors).map { $0 / pow($1, model.following) }
            self.recent = zip(ownRecent, recentFactors).map { $0 / pow($1, model.following) }
            self.recentPeerFactors = recentFactors
        }

        /// 1.4826 MAD / median of the window: how much this reading wanders.
        var variation: Double {
            guard let statistics = SampleStatistics(window), statistics.median > 0 else { return .infinity }
            return 1.4826 * statistics.mad / statistics.median
        }
    }

    /// `model`: the probe's co-moving peers (`historyReading`), whose reading is judged; the own one
    /// where there is none or a peer lacks a cycle. `historyVariation`: how far the reading chosen
    /// on the history wandered over it (`HistoryReading.variation`; 0 where there is none), the
    /// bar's noise where it exceeds the window's. Where a peer lacks a recent cycle and the own
    /// reading is judged instead, it still only floors the bar: a reading against peers is chosen
    /// only where it wanders at most `requiredSteadying` of the own one, so the own one wandered
    /// further.
    func judge(
        _ spec: ProbeSpec, recent: [CycleMedians], window: [CycleMedians], model: PeerModel?, historyVariation: Double = 0
    ) -> Verdict? {
        let window = CycleColumns(window)
        let recent = CycleColumns(recent)
        guard let own = Reading(spec, model: nil, window: window, recent: recent),
            let ownWindow = SampleStatistics(own.window), ownWindow.median > 0, let ownRecent = SampleStatistics(own.recent)
        else { return nil }
        let relative = model.flatMap { Reading(spec, model: $0, window: window, recent: recent) }
        var reading = relative ?? own
        guard let fullWindow = SampleStatistics(reading.window), fullWindow.median > 0 else { return nil }
        let fence = fullWindow.median * (1 - Self.fastFence * reading.variation)
        let recentCycles = reading.recent.count
        reading.window = reading.window.filter { $0 >= fence }
        reading.recent = zip(reading.recent, reading.recentPeerFactors).filter { value, peersFactor in
            value >= fence && peersFactor <= 1 + maxPeerSlowdownPercent / 100
        }.map(\.0)
        var verdict = Verdict(
            regressed: false, judgedCycles: reading.recent.count, recentCycles: recentCycles, ratio: .nan,
            ownRatio: ownRecent.median / ownWindow.median, peers: reading.peers, following: relative == nil ? 1 : model!.following,
            bar: .nan, floorRatio: .nan, pValue: 1)
        guard verdict.decided, let windowStatistics = SampleStatistics(reading.window), windowStatistics.median > 0,
            let recentStatistics = SampleStatistics(reading.recent), let test = MannWhitneyU(reading.recent, reading.window)
        else { return verdict }
        verdict.ratio = recentStatistics.median / windowStatistics.median
        verdict.bar = 1 + max(thresholdPercent / 100, noiseMultiple * max(reading.variation, historyVariation))
        verdict.floorRatio = recentStatistics.min / windowStatistics.median
        verdict.pValue = test.pValue
        verdict.regressed = verdict.ratio > verdict.bar && verdict.floorRatio > 1 + thresholdPercent / 200 && test.pValue < alpha
        return verdict
    }

    /// How the probe is read: against its co-moving peers, where it wanders over `history` by at
    /// most `requiredSteadying` of its own reading (of the first 1, 2, ... `maximumPeers` of
    /// `candidates`, the set against which it wanders least, with how far the probe follows that
    /// set; one peer alone can be the best: on Zen 5 add f16 wandered 6.5 % against multiply f16
    /// alone, 12.3 % against its best two), else on its own; with how far the chosen reading
    /// wandered. nil where the history holds no cycle of the probe.
    static func historyReading(_ spec: ProbeSpec, history: CycleColumns, candidates: [ProbeSpec]) -> HistoryReading? {
        let none = CycleColumns([])
        guard let own = Reading(spec, model: nil, window: history.rows(whereAllVerified: [spec]), recent: none), !own.window.isEmpty
        else { return nil }
        var best = HistoryReading(model: nil, variation: own.variation)
        for count in stride(from: 1, through: min(maximumPeers, candidates.count), by: 1) {
            let peers = Array(candidates.prefix(count))
            let shared = history.rows(whereAllVerified: [spec] + peers)
            guard shared.count >= minimumSharedCycles, let following = following(spec, peers: peers, cycles: shared) else { continue }
            let model = PeerModel(peers: peers, following: following)
            guard let reading = Reading(spec, model: model, window: shared, recent: none) else { continue }
            if reading.variation < min(best.variation, own.variation * requiredSteadying) {
                best = HistoryReading(model: model, variation: reading.variation)
            }
        }
        return best
    }

    /// The least-squares slope of the log of the probe's cycle medians on the log of its peers'
    /// factor over `cycles` (every one holding the probe and its peers), within `followingRange`;
    /// 1 where the peers' factor never changed. Least squares, not a rank fit: the slope is there
    /// for the class shifts, the largest values.
    static func following(_ spec: ProbeSpec, peers: [ProbeSpec], cycles: CycleColumns) -> Double? {
        guard let own = cycles[spec], !own.contains(where: { !($0 > 0) }), let scale = PeerScale(peers, window: cycles),
            let factors = scale.factors(in: cycles), !factors.contains(where: { !($0 > 0) })
        else { return nil }
        guard let slope = LeastSquares.slope(factors.map { log($0) }, own.map { log($0) }) else { return 1 }
        return min(max(slope, followingRange.lowerBound), followingRange.upperBound)
    }

    /// The probes of `spec`'s backend and device whose cycle medians in `history` rose and fell
    /// with its own (Spearman correlation above 0, over at least `minimumSharedCycles` shared
    /// cycles), most correlated first, at most `maximumPeers`.
    static func comovingPeers(of spec: ProbeSpec, history: CycleColumns) -> [ProbeSpec] {
        var correlated: [(peer: ProbeSpec, correlation: Double)] = []
        for peer in history.probes where peer != spec && peer.backend == spec.backend && peer.device == spec.device {
            guard let correlation = history.rankCorrelation(spec, peer, minimumShared: minimumSharedCycles), correlation > 0 else { continue }
            correlated.append((peer, correlation))
        }
        // Ties broken by name, so the choice does not depend on dictionary order.
        return correlated.sorted { ($0.correlation, $1.peer.description) > ($1.correlation, $0.peer.description) }
            .prefix(maximumPeers).map(\.peer)
    }

    /// Each `ok` result's cycle median over the median of its window, for results whose window has
    /// at least `minimumWindow` cycles, in `results` order: what the node factors are made of.
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
