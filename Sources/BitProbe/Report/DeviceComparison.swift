/// `bitprobe compare`: the same probes on the CPU and every GPU across a sweep of sizes — the
/// median time on each device, the speedup of each GPU over the CPU (CPU median / GPU median), the
/// crossover size from which a GPU wins at every larger size tried, and one selection-guide line
/// per op and dtype (docs/cli.md#bitprobe-compare).
public struct DeviceComparison: Codable, Sendable {
    /// One op and dtype over a list of sizes.
    public struct Sweep: Equatable, Sendable {
        public var op: ProbeOp
        public var dtype: DType
        public var sizes: [Int]

        public init(op: ProbeOp, dtype: DType, sizes: [Int]) {
            self.op = op
            self.dtype = dtype
            self.sizes = sizes
        }

        /// The probe shape for size N: N³ for matmul, 1×N×N (a GEMV) for ternary_matmul, N×N for
        /// the quantizations, N elements or bytes for the rest.
        public static func shape(op: ProbeOp, size: Int) -> ProbeShape {
            switch op {
            case .matmul: ProbeShape([size, size, size])
            case .ternaryMatmul: ProbeShape([1, size, size])
            case .quantizeWeights, .quantizeActivations: ProbeShape([size, size])
            case .add, .multiply, .copy, .h2d, .d2h: ProbeShape([size])
            case .stridedAdd: ProbeShape([size, 1])
            }
        }

        /// The default dtypes and sizes of an op (powers of two, so every size is a fast path).
        public static func defaults(for op: ProbeOp) -> [Sweep] {
            func powers(_ from: Int, _ to: Int, step: Int) -> [Int] { stride(from: from, through: to, by: step).map { 1 << $0 } }
            switch op {
            case .matmul: return [DType.f32, .f16].map { Sweep(op: op, dtype: $0, sizes: powers(6, 12, step: 1)) }
            case .ternaryMatmul: return [Sweep(op: op, dtype: .i8Ternary, sizes: powers(10, 13, step: 1))]
            case .add, .multiply: return [Sweep(op: op, dtype: .f32, sizes: powers(12, 26, step: 2))]
            case .quantizeWeights, .quantizeActivations: return [Sweep(op: op, dtype: .f32, sizes: powers(8, 12, step: 1))]
            case .copy: return [Sweep(op: op, dtype: .bytes, sizes: powers(16, 28, step: 2))]
            // Layouts are compared across strides (`compare --strides`), not devices.
            case .h2d, .d2h, .stridedAdd: return []
            }
        }

        /// What `compare` runs without --op: matmul f32 and f16 at 64..4096, add f32 at 2^12..2^26,
        /// ternary GEMV at 1024..8192.
        public static let standard: [Sweep] = defaults(for: .matmul) + defaults(for: .add) + defaults(for: .ternaryMatmul)

        /// The shorter sweep of `bitprobe report`: every fourth size of `standard` up to 1024³,
        /// 2^24 elements and 4096² (enough to place a crossover; `compare` measures finer).
        public static let reportSweeps: [Sweep] = [
            Sweep(op: .matmul, dtype: .f32, sizes: [64, 256, 1024]),
            Sweep(op: .matmul, dtype: .f16, sizes: [64, 256, 1024]),
            Sweep(op: .add, dtype: .f32, sizes: [1 << 12, 1 << 16, 1 << 20, 1 << 24]),
            Sweep(op: .ternaryMatmul, dtype: .i8Ternary, sizes: [1024, 2048, 4096]),
        ]
    }

    /// One device's run of one probe.
    public struct Cell: Codable, Sendable, Equatable {
        public var device: String
        public var outcome: ProbeOutcome
        public var medianSeconds: Double?
        public var detail: String?
    }

    public struct Row: Codable, Sendable {
        public var op: ProbeOp
        public var dtype: DType
        public var size: Int
        public var shape: ProbeShape
        public var cells: [Cell]
        /// CPU median / GPU median per GPU, where both verified.
        public var speedup: [String: Double]
        /// The device with the lowest verified median.
        public var fastest: String?
    }

    /// One op, size and device measured in several dtypes: each dtype's median and its speed-up
    /// over the widest dtype measured (f32 when present).
    public struct PrecisionRow: Codable, Sendable, Equatable {
        public var op: ProbeOp
        public var size: Int
        public var device: String
        /// The dtype the speed-ups are against.
        public var reference: DType
        public var medianSeconds: [String: Double]
        /// reference median / this dtype's median, per dtype (above 1: faster than the reference).
        public var speedup: [String: Double]
    }

    public struct Guide: Codable, Sendable, Equatable {
        public var op: ProbeOp
        public var dtype: DType
        /// The GPU recommended from `crossoverSize` on; nil when the CPU won at some largest size.
        public var device: String?
        public var crossoverSize: Int?
        /// `matmul f16 >= 256: cuda0`, `cuda0 at every size tried`, or `cpu0 at every size tried`.
        public var line: String
    }

    public var cpu: String
    public var gpus: [String]
    public var rows: [Row]
    public var guide: [Guide]
    /// Why there is no GPU column, when there is none.
    public var note: String?
    /// Which device per op and size, and f16 against f32 at each sweep's largest size, from the
    /// measurements (RecommendationRules). Optional so that files written before it still load.
    public var recommendations: [Recommendation]?
    /// Precisions side by side where an op was swept in more than one dtype (`--dtype f32,f16`).
    public var precision: [PrecisionRow]?

    /// Builds the comparison from every result (`results[device]` in the sweeps' order).
    public init(sweeps: [Sweep], cpu: String, gpus: [String], results: [String: [ProbeResult]], note: String? = nil) {
        self.cpu = cpu
        self.gpus = gpus
        self.note = note
        var rows: [Row] = []
        var guide: [Guide] = []
        var index = 0
        for sweep in sweeps {
            var sweepRows: [Row] = []
            for size in sweep.sizes {
                let cells = ([cpu] + gpus).map { device -> Cell in
                    let result = results[device].flatMap { index < $0.count ? $0[index] : nil }
                    return Cell(
                        device: device, outcome: result?.outcome ?? .skipped,
                        medianSeconds: result?.outcome == .ok ? result?.statistics?.median : nil, detail: result?.detail)
                }
                index += 1
                var speedup: [String: Double] = [:]
                if let base = cells[0].medianSeconds {
                    for cell in cells.dropFirst() { if let median = cell.medianSeconds, median > 0 { speedup[cell.device] = base / median } }
                }
                let fastest = cells.filter { $0.medianSeconds != nil }.min { $0.medianSeconds! < $1.medianSeconds! }?.device
                sweepRows.append(
                    Row(
                        op: sweep.op, dtype: sweep.dtype, size: size, shape: Sweep.shape(op: sweep.op, size: size),
                        cells: cells, speedup: speedup, fastest: fastest))
            }
            rows += sweepRows
            guide.append(Self.guide(sweep: sweep, rows: sweepRows, cpu: cpu, gpus: gpus))
        }
        self.rows = rows
        self.guide = guide
        // f16 against f32 where both were swept, at the largest size (the smaller ones say the same less reliably).
        let largest = sweeps.compactMap { sweep in sweep.sizes.max().map { (sweep, $0) } }
        var atLargest: [ProbeResult] = []
        var position = 0
        for sweep in sweeps {
            for size in sweep.sizes {
                if largest.contains(where: { $0.0 == sweep && $0.1 == size }) {
                    for device in [cpu] + gpus {
                        if let result = results[device].flatMap({ position < $0.count ? $0[position] : nil }) { atLargest.append(result) }
                    }
                }
                position += 1
            }
        }
        recommendations = Recommendation.prioritised(RecommendationRules.deviceSelection(self) + RecommendationRules.halfPrecision(atLargest))
        let sideBySide = precisionRows(cpu: cpu, gpus: gpus)
        precision = sideBySide.isEmpty ? nil : sideBySide
    }

    /// For each op, size and device verified in two or more dtypes: medians and speed-ups against
    /// the widest dtype among them (DType's declaration order: f32 before f16 and bf16).
    private func precisionRows(cpu: String, gpus: [String]) -> [PrecisionRow] {
        var result: [PrecisionRow] = []
        var seen: [(ProbeOp, Int)] = []
        for row in rows where !seen.contains(where: { $0 == (row.op, row.size) }) {
            seen.append((row.op, row.size))
            let same = rows.filter { $0.op == row.op && $0.size == row.size }
            guard Set(same.map(\.dtype)).count > 1 else { continue }
            for device in [cpu] + gpus {
                var medians: [DType: Double] = [:]
                for entry in same { if let median = entry.cells.first(where: { $0.device == device })?.medianSeconds { medians[entry.dtype] = median } }
                guard medians.count > 1, let reference = DType.allCases.first(where: { medians[$0] != nil }), let base = medians[reference] else { continue }
                result.append(
                    PrecisionRow(
                        op: row.op, size: row.size, device: device, reference: reference,
                        medianSeconds: Dictionary(uniqueKeysWithValues: medians.map { ($0.key.rawValue, $0.value) }),
                        speedup: Dictionary(uniqueKeysWithValues: medians.map { ($0.key.rawValue, base / $0.value) })))
            }
        }
        return result
    }

    /// Per GPU, the smallest size from which it beats the CPU at every larger size tried; the GPU
    /// with the smallest such size is recommended (the lower ordinal on a tie).
    static func guide(sweep: Sweep, rows: [Row], cpu: String, gpus: [String]) -> Guide {
        let name = "\(sweep.op.rawValue) \(sweep.dtype.rawValue)"
        var best: (device: String, position: Int)?
        for gpu in gpus {
            var position = rows.count
            while position > 0, let speedup = rows[position - 1].speedup[gpu], speedup > 1 { position -= 1 }
            if position < rows.count, best == nil || position < best!.position { best = (gpu, position) }
        }
        guard let best else {
            return Guide(op: sweep.op, dtype: sweep.dtype, device: nil, crossoverSize: nil, line: "\(name): \(cpu) at every size tried")
        }
        if best.position == 0 {
            return Guide(
                op: sweep.op, dtype: sweep.dtype, device: best.device, crossoverSize: rows[0].size,
                line: "\(name): \(best.device) at every size tried")
        }
        let size = rows[best.position].size
        return Guide(op: sweep.op, dtype: sweep.dtype, device: best.device, crossoverSize: size, line: "\(name) >= \(size): \(best.device)")
    }

    /// One row per probe: the median on each device, each GPU's speedup, the fastest device; then
    /// the selection guide and the note.
    public func table() -> String {
        var header = ["OP", "DTYPE", "SHAPE", cpu.uppercased()]
        header += gpus.map { $0.uppercased() }
        header += gpus.map { "SPEEDUP \($0.uppercased())" }
        header += ["FASTEST"]
        var lines: [[String]] = [header]
        for row in rows {
            var line = [row.op.rawValue, row.dtype.rawValue, row.shape.description]
            line += row.cells.map { cell in cell.medianSeconds.map(formatDuration) ?? cell.outcome.rawValue }
            line += gpus.map { gpu in row.speedup[gpu].map { formatFixed($0, decimals: 2) + "x" } ?? "-" }
            line.append(row.fastest ?? "-")
            lines.append(line)
        }
        var text = alignedColumns(lines).joined(separator: "\n") + "\n"
        if let precision {
            let dtypes = DType.allCases.filter { dtype in precision.contains { $0.medianSeconds[dtype.rawValue] != nil } }
            var table = [["OP", "SIZE", "DEVICE"] + dtypes.map { $0.rawValue.uppercased() } + dtypes.map { "SPEEDUP \($0.rawValue.uppercased())" }]
            for row in precision {
                table.append(
                    [row.op.rawValue, String(row.size), row.device] + dtypes.map { row.medianSeconds[$0.rawValue].map(formatDuration) ?? "-" }
                        + dtypes.map { row.speedup[$0.rawValue].map { formatFixed($0, decimals: 2) + "x" } ?? "-" })
            }
            text += "\nprecisions (speed-up against the widest dtype measured):\n" + alignedColumns(table).joined(separator: "\n") + "\n"
        }
        text += "\nselection guide:\n"
        text += guide.map { "  \($0.line)\n" }.joined()
        if let recommendations, !recommendations.isEmpty { text += "\nrecommendations:\n" + recommendations.map { "  - \($0.line)\n" }.joined() }
        if let note { text += "\nnote: \(note)\n" }
        return text
    }

    public func json() throws -> [UInt8] { try ProjectJSON.file(self) }
}
