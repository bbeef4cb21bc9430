/// `bitprobe compare --batch`: matrix products with a growing batch (M rows of activations against
/// the same N×K weights) on each device — the median, the throughput, how much each step of the
/// batch raised it, and the batch from which throughput stops growing (a larger batch then only
/// adds latency).
public struct BatchComparison: Codable, Sendable {
    /// Throughput must grow by at least this factor from one batch to the next to count as growing.
    public static let growthThreshold = 1.10

    public struct Row: Codable, Sendable, Equatable {
        public var batch: Int
        public var shape: ProbeShape
        public var outcome: ProbeOutcome
        public var medianSeconds: Double?
        public var operationsPerSecond: Double?
        /// This batch's throughput over the previous batch's.
        public var growth: Double?
    }

    public struct Series: Codable, Sendable {
        public var device: String
        public var op: ProbeOp
        public var dtype: DType
        public var rows: [Row]
        /// The smallest batch from which no larger batch tried raised throughput by
        /// `growthThreshold`; nil when it still grew at the largest batch (or nothing verified).
        public var saturationBatch: Int?
    }

    /// N and K of every product: the weights stay the same, the batch grows.
    public var n: Int
    public var k: Int
    public var batches: [Int]
    public var series: [Series]
    public var recommendations: [Recommendation]

    /// `results[i]` is the run of `specs[i]`; specs differ only in M, device, op and dtype.
    public init(n: Int, k: Int, batches: [Int], results: [ProbeResult]) {
        self.n = n
        self.k = k
        self.batches = batches
        var series: [Series] = []
        var keys: [(String, ProbeOp, DType)] = []
        for result in results where !keys.contains(where: { $0 == (result.spec.device, result.spec.op, result.spec.dtype) }) {
            keys.append((result.spec.device, result.spec.op, result.spec.dtype))
        }
        for (device, op, dtype) in keys {
            let runs = results.filter { $0.spec.device == device && $0.spec.op == op && $0.spec.dtype == dtype }.sorted { $0.spec.shape[0] < $1.spec.shape[0] }
            var rows: [Row] = []
            for run in runs {
                let ops = run.outcome == .ok ? run.operationsPerSecond : nil
                let previous = rows.last?.operationsPerSecond
                rows.append(
                    Row(
                        batch: run.spec.shape[0], shape: run.spec.shape, outcome: run.outcome,
                        medianSeconds: run.outcome == .ok ? run.statistics?.median : nil, operationsPerSecond: ops,
                        growth: ops.flatMap { current in previous.map { current / $0 } }))
            }
            series.append(Series(device: device, op: op, dtype: dtype, rows: rows, saturationBatch: Self.saturation(rows)))
        }
        self.series = series
        recommendations = Recommendation.prioritised(series.compactMap(Self.recommendation))
    }

    /// The first batch after which every later step grew by less than the threshold.
    static func saturation(_ rows: [Row]) -> Int? {
        guard rows.count >= 2, rows.allSatisfy({ $0.operationsPerSecond != nil }) else { return nil }
        var index = rows.count - 1
        while index > 0, let growth = rows[index].growth, growth < growthThreshold { index -= 1 }
        return index == rows.count - 1 ? nil : rows[index].batch
    }

    static func recommendation(_ series: Series) -> Recommendation? {
        guard let batch = series.saturationBatch, let at = series.rows.first(where: { $0.batch == batch }), let atOps = at.operationsPerSecond,
            let largest = series.rows.last, let largestOps = largest.operationsPerSecond, let first = series.rows.first?.operationsPerSecond
        else { return nil }
        let name = "\(series.op.rawValue) \(series.dtype.rawValue) on \(series.device)"
        return Recommendation(
            category: .performance, priority: .medium, title: "Batch \(name) up to \(batch) rows",
            detail:
                "throughput grew from \(formatSI(first, unit: "op/s")) at batch \(series.rows[0].batch) to \(formatSI(atOps, unit: "op/s")) at \(batch) (\(formatFixed(atOps / first, decimals: 1))x) and reached \(formatSI(largestOps, unit: "op/s")) at \(largest.batch): past \(batch) a larger batch adds latency, not throughput",
            evidence: [
                Recommendation.Evidence("op/s at batch \(batch)", atOps, unit: "op/s"),
                Recommendation.Evidence("op/s at batch \(largest.batch)", largestOps, unit: "op/s"),
            ],
            potentialSpeedup: atOps / first)
    }

    public func table() -> String {
        var text = ""
        for series in series {
            text += "\(series.op.rawValue) \(series.dtype.rawValue) on \(series.device), weights \(n)x\(k):\n"
            var lines = [["BATCH", "SHAPE", "MEDIAN", "OP/S", "GROWTH"]]
            for row in series.rows {
                lines.append([
                    String(row.batch), row.shape.description, row.medianSeconds.map(formatDuration) ?? row.outcome.rawValue,
                    row.operationsPerSecond.map { formatSI($0, unit: "op/s") } ?? "-", row.growth.map { formatFixed($0, decimals: 2) + "x" } ?? "-",
                ])
            }
            text += alignedColumns(lines).map { "  " + $0 + "\n" }.joined()
            text += "  throughput stops growing: " + (series.saturationBatch.map { "from batch \($0)" } ?? "not within the batches tried") + "\n\n"
        }
        if !recommendations.isEmpty { text += "recommendations:\n" + recommendations.map { "  - \($0.line)\n" }.joined() }
        return text
    }
}
