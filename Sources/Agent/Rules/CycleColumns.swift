import BitProbe

/// One cycle's median iteration time of every probe that verified in it: the unit the rolling rule
/// keeps, so that a probe can always be read beside the other probes of the same cycles.
typealias CycleMedians = [ProbeSpec: Double]

/// Cycles turned into columns: each probe's medians across them, NaN in a cycle it did not verify
/// in. The rolling rule reads every probe across the agent's 360-cycle history after each cycle;
/// read from `CycleMedians`, that hashed a `ProbeSpec` per probe, peer and cycle: 54 ms a cycle on
/// the probe thread, 7 ms with columns built once a cycle (`RuleEngine.evaluate`, release build,
/// Zen 5, 15 probes of two co-moving classes, full history; a temporary timing test).
struct CycleColumns {
    private(set) var count: Int
    private var columns: [ProbeSpec: [Double]]
    /// The midranks of each column without a gap (`RankCorrelation.midranks`), for correlations.
    private var ranks: [ProbeSpec: [Double]] = [:]

    init(_ cycles: [CycleMedians]) {
        var columns: [ProbeSpec: [Double]] = [:]
        for (row, cycle) in cycles.enumerated() {
            for (spec, median) in cycle { columns[spec, default: Array(repeating: .nan, count: cycles.count)][row] = median }
        }
        self.init(count: cycles.count, columns: columns)
        for (spec, column) in columns where !column.contains(where: \.isNaN) { ranks[spec] = RankCorrelation.midranks(column) }
    }

    private init(count: Int, columns: [ProbeSpec: [Double]]) {
        self.count = count
        self.columns = columns
    }

    /// The probes that verified in at least one of the cycles.
    var probes: Dictionary<ProbeSpec, [Double]>.Keys { columns.keys }

    /// The probe's medians, NaN where it did not verify; nil where it verified in none.
    subscript(spec: ProbeSpec) -> [Double]? { columns[spec] }

    /// The cycles in which every one of `specs` verified (without the ranks: not for correlations).
    func rows(whereAllVerified specs: [ProbeSpec]) -> CycleColumns {
        let required = specs.map { columns[$0] ?? [] }
        let kept = (0..<count).filter { row in required.allSatisfy { row < $0.count && !$0[row].isNaN } }
        guard kept.count < count else { return self }
        return CycleColumns(count: kept.count, columns: columns.mapValues { column in kept.map { column[$0] } })
    }

    /// Spearman's correlation of two probes over the cycles both verified in, with at least
    /// `minimumShared` of them; nil below that or where either is constant.
    func rankCorrelation(_ a: ProbeSpec, _ b: ProbeSpec, minimumShared: Int) -> Double? {
        if let ra = ranks[a], let rb = ranks[b] {
            return count >= minimumShared ? RankCorrelation.spearman(midranks: ra, rb) : nil
        }
        guard let x = columns[a], let y = columns[b] else { return nil }
        let shared = x.indices.filter { !x[$0].isNaN && !y[$0].isNaN }
        guard shared.count >= minimumShared else { return nil }
        return RankCorrelation.spearman(shared.map { x[$0] }, shared.map { y[$0] })
    }
}
