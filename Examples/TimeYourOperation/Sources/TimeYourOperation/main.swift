// An operation of your own, timed and profiled like a bitprobe probe: RMSNorm over a batch of
// activations, checked against a float64 reference on every call (a wrong result throws, and the
// run ends `failed`, never with a throughput).
import BitProbe

#if canImport(Glibc)
import Glibc
#endif

struct WrongResult: Error, CustomStringConvertible {
    var description: String
}

struct RMSNorm {
    let rows: Int, columns: Int
    var input: [Float]
    var output: [Float]

    init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
        var state: UInt64 = 42
        input = (0..<rows * columns).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state >> 11) % 2000) / 500
        }
        output = [Float](repeating: 0, count: rows * columns)
    }

    mutating func callAsFunction() throws {
        for row in 0..<rows {
            var sum: Float = 0
            for c in 0..<columns { sum += input[row * columns + c] * input[row * columns + c] }
            let scale = 1 / (sum / Float(columns) + 1e-6).squareRoot()
            for c in 0..<columns { output[row * columns + c] = input[row * columns + c] * scale }
        }
        // The reference for the first row, in float64: cheap enough to check on every call.
        var sum = 0.0
        for c in 0..<columns { sum += Double(input[c]) * Double(input[c]) }
        let scale = 1 / (sum / Double(columns) + 1e-6).squareRoot()
        for c in 0..<columns where abs(Double(output[c]) - Double(input[c]) * scale) > 1e-4 * max(1, abs(Double(input[c]) * scale)) {
            throw WrongResult(description: "output[\(c)] = \(output[c]), expected \(Double(input[c]) * scale)")
        }
    }
}

func main() throws -> Int32 {
    var norm = RMSNorm(rows: 8, columns: 4096)
    var config = BenchmarkConfig()
    config.minMeasurementSeconds = 0.1
    let context = OperationContext(
        name: "rmsnorm", batchSize: norm.rows, parameterCount: norm.columns, precision: "f32", parallel: false,
        operationsPerCall: Double(3 * norm.rows * norm.columns), bytesPerCall: Double(2 * 4 * norm.rows * norm.columns))
    let (result, span) = try ProfileSpan.profile("example") { span in
        OperationBenchmark(config: config).run(context, profile: span) { try norm() }
    }
    print(
        "\(context.name): \(result.outcome.rawValue), median \(result.statistics.map { formatDuration($0.median) } ?? "-") over \(result.samples.count) calls, "
            + "\(result.bytesPerSecond.map { formatSI($0, unit: "B/s") } ?? "-")")
    print(ProfileAnalysis(traces: [span]).treeText, terminator: "")
    if CommandLine.arguments.count > 1 {
        let report = BenchReport(bitprobeVersion: BitProbeVersion.version, host: HostInfo.read(), config: config, operations: [result])
        try AtomicFile.write(try report.json(), to: CommandLine.arguments[1])
    }
    guard result.outcome == .ok else {
        print("error: \(result.detail ?? result.outcome.rawValue)")
        return 1
    }
    return 0
}

exit(try main())
