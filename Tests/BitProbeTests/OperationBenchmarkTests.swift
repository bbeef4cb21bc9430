import Testing

@testable import BitProbe

@Suite struct OperationBenchmarkTests {
    func config(warmup: Int = 2, iterations: Int = 5, minTime: Double = 0, timeout: Double = 60) -> BenchmarkConfig {
        var config = BenchmarkConfig()
        config.warmupIterations = warmup
        config.measurementIterations = iterations
        config.minMeasurementSeconds = minTime
        config.timeoutSeconds = timeout
        return config
    }

    @Test func warmupAndTimedCallsFollowTheConfig() {
        var calls = 0
        let context = OperationContext(name: "sum", batchSize: 4, operationsPerCall: 1000, bytesPerCall: 4000)
        let result = OperationBenchmark(config: config()).run(context) {
            calls += 1
            var total = 0.0
            for i in 0..<1000 { total += Double(i) }
            if total < 0 { Issue.record("unreachable") }
        }
        #expect(calls == 7 && result.warmupIterations == 2 && result.samples.count == 5)
        #expect(result.outcome == .ok && result.statistics?.count == 5)
        let median = result.statistics!.median
        #expect(result.operationsPerSecond == 1000 / median && result.bytesPerSecond == 4000 / median)
        #expect(result.context.batchSize == 4)
    }

    @Test func aThrowingCallIsAFailureWithItsError() {
        struct Wrong: Error {}
        var calls = 0
        let result = OperationBenchmark(config: config()).run(OperationContext(name: "checked")) {
            calls += 1
            if calls == 4 { throw Wrong() }
        }
        #expect(result.outcome == .failed && result.detail == "Wrong()")
        #expect(result.samples.count == 1 && result.operationsPerSecond == nil)
    }

    @Test func theTimeoutEndsTheRunBetweenCalls() {
        let result = OperationBenchmark(config: config(warmup: 0, iterations: 1_000_000, timeout: 0.05)).run(OperationContext(name: "slow")) {
            let until = MonotonicClock.nanoseconds() + 5_000_000
            while MonotonicClock.nanoseconds() < until {}
        }
        #expect(result.outcome == .timeout)
        #expect(result.detail?.hasPrefix("exceeded the 0.05 s timeout after 0 warmup and ") == true)
        // The deadline is checked after each call: the calls add up to the timeout (give or take the
        // bookkeeping between them), and no 5 ms call starts after it; a loaded machine makes fewer calls.
        #expect(result.samples.reduce(0, +) >= 0.045)
        #expect(result.samples.count >= 1 && result.samples.count <= 12)
    }

    @Test func profiledRunsAreSpansWithPhases() throws {
        let (value, span) = try ProfileSpan.profile("forward") { span in
            _ = OperationBenchmark(config: config()).run(OperationContext(name: "mlp"), profile: span) {}
            return try span.measure("head") { 42 }
        }
        #expect(value == 42)
        let paths = ProfileAnalysis(traces: [span]).nodes.map { $0.path.joined(separator: "/") }
        #expect(paths == ["forward", "forward/operation mlp", "forward/operation mlp/warmup", "forward/operation mlp/measure", "forward/head"])
        struct Broken: Error {}
        #expect(throws: Broken.self) { _ = try ProfileSpan.profile("broken") { _ in throw Broken() } }
    }

    @Test func operationsEncodeIntoTheBenchDocument() throws {
        let result = OperationBenchmark(config: config()).run(OperationContext(name: "noop", precision: "f16")) {}
        let report = BenchReport(bitprobeVersion: "v", host: HostInfo.read(), config: config(), operations: [result])
        let decoded = try BenchReport.decode(json: try report.json())
        #expect(decoded.results.isEmpty && decoded.operations?.first?.context == OperationContext(name: "noop", precision: "f16"))
        #expect(String(decoding: try report.json(), as: UTF8.self).contains("\"operations_per_call\"") == false, "unset context fields are left out")
    }
}
