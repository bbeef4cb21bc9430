import ArgumentParser
import BitProbe

#if canImport(Glibc)
import Glibc
#endif

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Run the same probes on the CPU and every GPU across sizes: speedups, crossover sizes, a selection guide.",
        discussion: """
            Without --op: matmul f32 and f16 at 64³..4096³, add f32 at 2^12..2^26 elements and the
            ternary GEMV 1xNxN at N = 1024..8192. --sizes replaces the sizes of every op selected
            (N means N³ for matmul, 1xNxN for ternary_matmul, NxN for quantize_*, N elements or bytes
            otherwise). Without a GPU the CPU column is printed with a note saying why (exit 0).
            --dtype f32,f16 (with bf16 on a GPU) compares precisions at the same sizes: the f16 speed-up
            is in the recommendations. --batch 1,2,4,...,64 instead grows the batch M of matmul and
            ternary_matmul against fixed --weights NxK (default 4096x4096) on each device, and names the
            batch from which throughput stops growing (by 10 % or more per step). --strides 1,2,4,16
            instead runs strided_add (add with inputs read STRIDE elements apart) over --elements N
            (default 4194304) on the CPU: what a non-contiguous layout costs against stride 1.
            Exit status: 0 every probe ok; 1 a probe failed, timed out or computed a wrong result;
            3 could not run; 64 bad flag value.
            """
    )

    @Option(help: "Ops to compare: matmul, ternary_matmul, quantize_weights, quantize_activations, add, multiply, copy.")
    var op: [String] = []

    @Option(
        name: [.customLong("dtype"), .customLong("dtypes")], help: "Element types, e.g. f32,f16 to compare precisions (default: each op's compare defaults).")
    var dtype: [String] = []

    @Option(help: "Sizes to sweep, e.g. 256,1024,4096 (default: each op's sweep).")
    var sizes: [String] = []

    @Option(help: "Compare only this GPU (default: every GPU that is up).")
    var device: String?

    @Option(help: "Untimed warmup iterations per probe.")
    var warmup: Int = 1

    @Option(help: "Minimum timed iterations per probe.")
    var iterations: Int = 3

    @Option(name: .customLong("min-time"), help: "Keep timing until the iterations add up to this many seconds.")
    var minTime: Double = 0.05

    @Option(help: "Seconds after which a probe ends as 'timeout'.")
    var timeout: Double = BenchmarkConfig().timeoutSeconds

    @Option(help: "CPU kernel threads (default: every CPU this process may use).")
    var threads: Int?

    @Option(help: "Seed of the probe inputs.")
    var seed: UInt64 = BenchmarkConfig().seed

    @Option(help: "Batch sizes M to grow matmul and ternary_matmul through, e.g. 1,2,4,8,16,32,64 (instead of --sizes).")
    var batch: [String] = []

    @Option(help: "Weights NxK of the batch study (default 4096x4096).")
    var weights: String?

    @Option(help: "Strides of the layout study, e.g. 1,2,4,8,16 (instead of --sizes; stride 1 is added as the reference).")
    var strides: [String] = []

    @Option(help: "Elements of the layout study (default 4194304).")
    var elements: Int?

    @Option(name: [.customLong("format"), .customLong("output-format")], help: "Output format.")
    var format: OutputFormat = .table

    @OptionGroup var destination: OutputFileOption

    /// The studies exclude one another, and each takes only its own flags.
    func validate() throws {
        if !batch.isEmpty && !strides.isEmpty { throw ValidationError("--batch and --strides are separate studies: give one") }
        if !strides.isEmpty {
            if !sizes.isEmpty || !op.isEmpty || !dtype.isEmpty || weights != nil || device != nil {
                throw ValidationError("--strides runs strided_add f32 on cpu0: it takes --elements, not --sizes, --op, --dtype, --weights or --device")
            }
            return
        }
        if elements != nil { throw ValidationError("--elements applies to --strides only") }
        if !batch.isEmpty {
            if !sizes.isEmpty { throw ValidationError("--batch and --sizes both choose what grows: give one") }
            return
        }
        if weights != nil { throw ValidationError("--weights applies to --batch only") }
    }

    func run() throws {
        var config = BenchmarkConfig()
        config.warmupIterations = warmup
        config.measurementIterations = iterations
        config.minMeasurementSeconds = minTime
        config.timeoutSeconds = timeout
        config.seed = seed
        if let problem = config.validationErrors().first { throw fail("compare", problem, status: ExitStatus.usage) }
        if let threads, threads < 1 { throw fail("compare", "--threads must be at least 1 (got \(threads))", status: ExitStatus.usage) }
        let showProgress = isatty(2) == 1
        let progress = { @Sendable (done: Int, total: Int, spec: ProbeSpec) in
            if showProgress { writeStandardError("[\(done)/\(total)] \(spec)\n") }
        }
        if !strides.isEmpty {
            try compareLayouts(config: config, progress: progress)
            return
        }
        if !batch.isEmpty {
            try compareBatches(config: config, progress: progress)
            return
        }
        let sweeps = try self.sweeps()
        try destination.checkWritable(command: "compare")
        let comparison: DeviceComparison
        do {
            let devices = try DeviceSet.open(threads: threads, gpus: .every(device: device))
            defer { devices.close() }
            comparison = try devices.sweep(sweeps, config: config, progress: progress)
        } catch { throw error.exit("compare") }
        switch format {
        case .json: try destination.write(String(decoding: try comparison.json(), as: UTF8.self), command: "compare")
        case .csv: try destination.write(comparison.csv(), command: "compare")
        case .table: try destination.write(comparison.table(), command: "compare")
        }
        if comparison.rows.contains(where: { row in row.cells.contains { $0.outcome != .ok } }) { throw ExitCode(ExitStatus.probeNotOK) }
    }

    /// strided_add on the CPU at each stride, against stride 1.
    func compareLayouts(config: BenchmarkConfig, progress: @escaping (Int, Int, ProbeSpec) -> Void) throws {
        var list = [1]
        for text in splitList(strides) {
            guard let value = Int(text), value > 0 else { throw fail("compare", "--strides: '\(text)' is not a positive integer", status: ExitStatus.usage) }
            if !list.contains(value) { list.append(value) }
        }
        list.sort()
        let count = elements ?? LayoutStudy.defaultElements
        guard count > 0 else { throw fail("compare", "--elements must be at least 1 (got \(count))", status: ExitStatus.usage) }
        try destination.checkWritable(command: "compare")
        var plan: [ProbeSpec] = []
        for stride in list {
            do { plan.append(try LayoutStudy.spec(elements: count, stride: stride)) } catch {
                throw fail("compare", error.description, status: ExitStatus.usage)
            }
        }
        let results: [ProbeResult]
        do {
            // The layout study runs on the CPU only: no driver is opened for it.
            let devices = try DeviceSet.open(threads: threads, gpus: .none)
            defer { devices.close() }
            results = try devices.run(plan, config: config, progress: progress)
        } catch { throw error.exit("compare") }
        let comparison = LayoutComparison(elements: count, results: results)
        switch format {
        case .json: try destination.write(String(decoding: try ProjectJSON.file(comparison), as: UTF8.self), command: "compare")
        case .csv: try destination.write(comparison.csv(), command: "compare")
        case .table: try destination.write(comparison.table(), command: "compare")
        }
        if results.contains(where: { $0.outcome != .ok }) { throw ExitCode(ExitStatus.probeNotOK) }
    }

    /// matmul and ternary_matmul with a growing batch on every device, against the same weights.
    func compareBatches(config: BenchmarkConfig, progress: @escaping (Int, Int, ProbeSpec) -> Void) throws {
        var batches: [Int] = []
        for text in splitList(batch) {
            guard let value = Int(text), value > 0 else { throw fail("compare", "--batch: '\(text)' is not a positive integer", status: ExitStatus.usage) }
            if !batches.contains(value) { batches.append(value) }
        }
        batches.sort()
        var n = 4096, k = 4096
        if let weights {
            let parts = weights.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
            guard parts.count == 2, let rows = parts[0], let columns = parts[1], rows > 0, columns > 0 else {
                throw fail("compare", "--weights: expected NxK such as 4096x4096, got '\(weights)'", status: ExitStatus.usage)
            }
            (n, k) = (rows, columns)
        }
        var ops: [ProbeOp] = []
        for text in splitList(op) {
            guard let parsed = ProbeOp(rawValue: text) else { throw fail("compare", ProbeInputError.unknownOp(text).description, status: ExitStatus.usage) }
            guard parsed == .matmul || parsed == .ternaryMatmul else {
                throw fail("compare", "--batch grows matrix products: --op matmul or ternary_matmul, got '\(text)'", status: ExitStatus.usage)
            }
            if !ops.contains(parsed) { ops.append(parsed) }
        }
        if ops.isEmpty { ops = [.ternaryMatmul, .matmul] }
        var dtypes: [DType] = []
        for text in splitList(dtype) {
            guard let parsed = DType(rawValue: text) else { throw fail("compare", ProbeInputError.unknownDType(text).description, status: ExitStatus.usage) }
            dtypes.append(parsed)
        }
        try destination.checkWritable(command: "compare")
        let devices: DeviceSet
        do { devices = try DeviceSet.open(threads: threads, gpus: .every(device: device)) } catch { throw error.exit("compare") }
        defer { devices.close() }
        var plan: [ProbeSpec] = []
        for (backend, name) in devices.devices {
            for op in ops {
                // matmul in f32 and f16 unless --dtype says otherwise; ternary in its one dtype.
                let wanted = dtypes.isEmpty ? (op == .matmul ? [DType.f32, .f16] : op.dtypes(on: backend)) : dtypes
                for dtype in wanted where op.dtypes(on: backend).contains(dtype) {
                    for m in batches {
                        do { plan.append(try ProbeSpec(backend: backend, device: name, op: op, dtype: dtype, shape: ProbeShape([m, n, k]))) } catch {
                            throw fail("compare", error.description, status: ExitStatus.usage)
                        }
                    }
                }
            }
        }
        guard !plan.isEmpty else {
            throw fail(
                "compare", "none of the dtypes (\(dtypes.map(\.rawValue).joined(separator: ", "))) runs matmul or ternary_matmul", status: ExitStatus.usage)
        }
        let results: [ProbeResult]
        do { results = try devices.run(plan, config: config, progress: progress) } catch { throw error.exit("compare") }
        let comparison = BatchComparison(n: n, k: k, batches: batches, results: results)
        switch format {
        case .json: try destination.write(String(decoding: try ProjectJSON.file(comparison), as: UTF8.self), command: "compare")
        case .csv: try destination.write(comparison.csv(), command: "compare")
        case .table: try destination.write(comparison.table() + (devices.note.map { "note: \($0)\n" } ?? ""), command: "compare")
        }
        if results.contains(where: { $0.outcome != .ok }) { throw ExitCode(ExitStatus.probeNotOK) }
    }

    /// The sweeps the flags select; every one must run on the CPU (the column compared against).
    func sweeps() throws -> [DeviceComparison.Sweep] {
        var ops: [ProbeOp] = []
        for text in splitList(op) {
            guard let parsed = ProbeOp(rawValue: text) else { throw fail("compare", ProbeInputError.unknownOp(text).description, status: ExitStatus.usage) }
            guard parsed != .stridedAdd else {
                throw fail("compare", "strided_add compares layouts, not devices: use --strides, e.g. --strides 1,2,4,8,16", status: ExitStatus.usage)
            }
            guard !parsed.dtypes(on: .cpu).isEmpty else {
                throw fail(
                    "compare", ProbeInputError.opUnavailable(op: parsed, backend: .cpu).description + " (compare needs the cpu0 column)",
                    status: ExitStatus.usage)
            }
            if !ops.contains(parsed) { ops.append(parsed) }
        }
        var dtypes: [DType] = []
        for text in splitList(dtype) {
            guard let parsed = DType(rawValue: text) else { throw fail("compare", ProbeInputError.unknownDType(text).description, status: ExitStatus.usage) }
            dtypes.append(parsed)
        }
        var sizeList: [Int] = []
        for text in splitList(sizes) {
            guard let value = Int(text), value > 0 else { throw fail("compare", "--sizes: '\(text)' is not a positive integer", status: ExitStatus.usage) }
            sizeList.append(value)
        }
        var sweeps = ops.isEmpty ? DeviceComparison.Sweep.standard : ops.flatMap { DeviceComparison.Sweep.defaults(for: $0) }
        if !dtypes.isEmpty {
            var selected: [DeviceComparison.Sweep] = []
            let bases = ops.isEmpty ? Array(Set(sweeps.map(\.op))).sorted() : ops
            for op in bases {
                for dtype in dtypes where op.dtypes(on: .cpu).contains(dtype) {
                    let sizes = sweeps.first { $0.op == op }?.sizes ?? []
                    selected.append(.init(op: op, dtype: dtype, sizes: sizes))
                }
            }
            guard !selected.isEmpty else {
                throw fail(
                    "compare", "none of the dtypes (\(dtypes.map(\.rawValue).joined(separator: ", "))) runs on cpu0 for the selected ops",
                    status: ExitStatus.usage)
            }
            sweeps = selected
        }
        if !sizeList.isEmpty { sweeps = sweeps.map { .init(op: $0.op, dtype: $0.dtype, sizes: sizeList) } }
        return sweeps
    }
}
