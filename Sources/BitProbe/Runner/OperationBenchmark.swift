/// Times a caller's own operation with the rules probes follow: untimed warmup calls, then at least
/// `measurementIterations` timed calls and until they add up to `minMeasurementSeconds` (at most
/// `maxSamples`), the same statistics, and a `timeout` outcome once `timeoutSeconds` have passed
/// (checked between calls: a call in flight is not interrupted).
///
/// ```swift
/// let context = OperationContext(name: "rmsnorm", batchSize: 8, operationsPerCall: 3 * 8 * 4096)
/// let result = OperationBenchmark(config: BenchmarkConfig()).run(context) {
///     try rmsnorm(&activations)          // throw to report a wrong result as `failed`
/// }
/// print(result.statistics?.median ?? 0)
/// ```
public struct OperationBenchmark: Sendable {
    public let config: BenchmarkConfig

    public init(config: BenchmarkConfig) {
        self.config = config
    }

    /// With `profile`, the run is a child span of it (`operation <name>`) with warmup and measure
    /// children, as a probe's is.
    public func run(_ context: OperationContext, profile parent: ProfileSpan? = nil, _ body: () throws -> Void) -> OperationResult {
        let span = parent?.child("operation \(context.name)", attributes: [("bitprobe.operation", .string(context.name))])
        let start = MonotonicClock.nanoseconds()
        let deadline = start + UInt64(min(config.timeoutSeconds, 1e9) * 1e9)
        var result = OperationResult(
            context: context, outcome: .ok, detail: nil, startedAt: WallClock.unixSeconds(), wallSeconds: 0,
            warmupIterations: 0, samples: [], statistics: nil, operationsPerSecond: nil, bytesPerSecond: nil)
        var phase = span?.child("warmup")
        do {
            while result.warmupIterations < config.warmupIterations {
                try body()
                result.warmupIterations += 1
                if MonotonicClock.nanoseconds() > deadline { throw Timeout() }
            }
            phase?.end()
            phase = span?.child("measure")
            var measured = 0.0
            while result.samples.count < config.measurementIterations
                || (measured < config.minMeasurementSeconds && result.samples.count < config.maxSamples)
            {
                let before = MonotonicClock.nanoseconds()
                try body()
                let seconds = Double(MonotonicClock.nanoseconds() - before) / 1e9
                result.samples.append(seconds)
                measured += seconds
                if MonotonicClock.nanoseconds() > deadline { throw Timeout() }
            }
            phase?.setAttribute("bitprobe.iterations", .int(Int64(result.samples.count)))
            phase?.end()
        } catch is Timeout {
            result.outcome = .timeout
            result.detail =
                "exceeded the \(formatSeconds(config.timeoutSeconds)) timeout after \(result.warmupIterations) warmup and \(result.samples.count) measured calls"
        } catch {
            result.outcome = .failed
            result.detail = "\(error)"
        }
        if result.outcome != .ok {
            phase?.fail(result.detail ?? result.outcome.rawValue)
            phase?.end()
        }
        result.statistics = SampleStatistics(result.samples)
        if result.outcome == .ok, let median = result.statistics?.median, median > 0 {
            result.operationsPerSecond = context.operationsPerCall.map { $0 / median }
            result.bytesPerSecond = context.bytesPerCall.map { $0 / median }
        }
        result.wallSeconds = Double(MonotonicClock.nanoseconds() - start) / 1e9
        if let span {
            span.setAttribute("bitprobe.result", .string(result.outcome.rawValue))
            if result.outcome != .ok { span.fail(result.detail ?? result.outcome.rawValue) }
            span.end()
            result.traceID = span.traceID.hex
            result.spanID = span.spanID.hex
        }
        return result
    }

    private struct Timeout: Error {}
}
