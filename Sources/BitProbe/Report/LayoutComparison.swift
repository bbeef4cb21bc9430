/// The probes of a layout study: `strided_add` f32 on cpu0 over the same elements at each stride.
public enum LayoutStudy {
    public static let defaultElements = 1 << 22
    /// What `bitprobe report` measures: contiguous, a short and a cache-line-wide stride.
    public static let reportStrides = [1, 4, 16]
    public static let reportElements = 1 << 20

    public static func spec(elements: Int, stride: Int) throws(ProbeInputError) -> ProbeSpec {
        try ProbeSpec(op: .stridedAdd, dtype: .f32, shape: ProbeShape([elements, stride]))
    }
}

/// `bitprobe compare --strides`: the same `add` over inputs read 1, 2, 4, ... elements apart — how
/// much a non-contiguous layout (a column of a row-major matrix, a strided view, an unpacked
/// interleaving) costs on this machine, as strided time over contiguous time.
public struct LayoutComparison: Codable, Sendable {
    public struct Row: Codable, Sendable, Equatable {
        public var stride: Int
        public var shape: ProbeShape
        public var outcome: ProbeOutcome
        public var medianSeconds: Double?
        /// Useful bytes per second (3 × 4 × N, as add counts them).
        public var bytesPerSecond: Double?
        /// This stride's median over stride 1's: how many times slower the layout makes the same work.
        public var slowdown: Double?
    }

    public var elements: Int
    public var rows: [Row]
    public var recommendations: [Recommendation]

    /// `results`: runs of `strided_add` with the same N, any strides (stride 1 is the reference).
    public init(elements: Int, results: [ProbeResult]) {
        self.elements = elements
        let runs = results.filter { $0.spec.op == .stridedAdd }.sorted { $0.spec.shape[1] < $1.spec.shape[1] }
        let contiguous = runs.first { $0.spec.shape[1] == 1 && $0.outcome == .ok }?.statistics?.median
        rows = runs.map { run in
            let median = run.outcome == .ok ? run.statistics?.median : nil
            return Row(
                stride: run.spec.shape[1], shape: run.spec.shape, outcome: run.outcome, medianSeconds: median,
                bytesPerSecond: run.outcome == .ok ? run.bytesPerSecond : nil,
                slowdown: median.flatMap { m in contiguous.map { m / $0 } })
        }
        recommendations = Self.recommendation(rows).map { [$0] } ?? []
    }

    /// Names the smallest stride that costs at least 2x, with the contiguous and strided numbers.
    static func recommendation(_ rows: [Row]) -> Recommendation? {
        guard let contiguous = rows.first(where: { $0.stride == 1 }), let base = contiguous.medianSeconds,
            let costly = rows.first(where: { ($0.slowdown ?? 0) >= 2 }), let slowdown = costly.slowdown, let median = costly.medianSeconds
        else { return nil }
        let worst = rows.compactMap(\.slowdown).max() ?? slowdown
        return Recommendation(
            category: .performance, priority: worst >= 4 ? .high : .medium,
            title: "Keep hot tensors contiguous: stride \(costly.stride) costs \(formatFixed(slowdown, decimals: 1))x",
            detail:
                "the same add took \(formatDuration(median)) with inputs \(costly.stride) elements apart against \(formatDuration(base)) contiguous (up to \(formatFixed(worst, decimals: 1))x at the strides tried); transpose or pack such operands once rather than reading them strided in a loop",
            evidence: [
                Recommendation.Evidence("contiguous median", base, unit: "s"), Recommendation.Evidence("stride \(costly.stride) median", median, unit: "s"),
                Recommendation.Evidence("slowdown", slowdown, unit: "ratio"),
            ],
            potentialSpeedup: worst)
    }

    public func table() -> String {
        var lines = [["STRIDE", "SHAPE", "MEDIAN", "BYTES/S", "VS CONTIGUOUS"]]
        for row in rows {
            lines.append([
                String(row.stride), row.shape.description, row.medianSeconds.map(formatDuration) ?? row.outcome.rawValue,
                row.bytesPerSecond.map { formatSI($0, unit: "B/s") } ?? "-", row.slowdown.map { formatFixed($0, decimals: 2) + "x" } ?? "-",
            ])
        }
        var text = "strided_add f32 over \(elements) elements, inputs read STRIDE elements apart:\n"
        text += alignedColumns(lines).map { "  " + $0 + "\n" }.joined()
        if !recommendations.isEmpty { text += "\nrecommendations:\n" + recommendations.map { "  - \($0.line)\n" }.joined() }
        return text
    }

    public func csv() -> String {
        var table = CSVTable(header: ["stride", "shape", "result", "median_seconds", "bytes_per_second", "slowdown_vs_contiguous"])
        for row in rows {
            table.append([
                String(row.stride), row.shape.description, row.outcome.rawValue, CSVTable.number(row.medianSeconds),
                CSVTable.number(row.bytesPerSecond), CSVTable.number(row.slowdown),
            ])
        }
        return table.text
    }
}
