import BitProbe
import Exposition
import Glibc
import Logging
import Testing

@testable import Agent

/// A whole agent cycle, as node_exporter's end-to-end test does it: fake device runners (no
/// kernels) and a fixed clock through `ProbeCycle`, the consumers and the published snapshot,
/// rendered as /metrics renders it, compared byte for byte with Fixtures/agent-cycle.*. Any change
/// to what the agent exports shows up as a diff here.
/// `BITPROBE_UPDATE_GOLDEN=1 swift test --filter AgentCycleGoldenTests` rewrites the fixtures;
/// review the diff before committing it.
@Suite struct AgentCycleGoldenTests {
    /// A CPU or GPU that returns fixed results and reports a fixed status.
    final class FixedRunner: DeviceRunner {
        let status: DeviceStatus
        let results: [ProbeResult]

        init(status: DeviceStatus, results: [ProbeResult]) {
            self.status = status
            self.results = results
        }

        func run(_ context: CycleContext) -> [ProbeResult] { results }
        func finishCycle(host: HostMemoryStatus) {}
        var statuses: [DeviceStatus] { [status] }
        func cancel() {}
    }

    static func result(
        _ backend: BackendKind, _ device: String, _ op: ProbeOp, _ outcome: ProbeOutcome, samples: [Double] = [],
        at startedAt: Double
    ) throws -> ProbeResult {
        let spec = try ProbeSpec(backend: backend, device: device, op: op, dtype: .f32, shape: ProbeShape([1 << 20]))
        var result = ProbeResult.notRun(spec, outcome: outcome, reason: outcome == .ok ? "" : "wrong at [7]", kernelPath: "avx2", threads: 2)
        result.startedAt = startedAt
        if outcome == .ok {
            result.detail = nil
            result.samples = samples
            result.wallSeconds = samples.reduce(0, +)
            result.bytesPerSecond = 3 * 4 * Double(1 << 20) / samples.sorted()[samples.count / 2]
        }
        return result
    }

    static func exposition() throws -> [ExpositionFormat: [UInt8]] {
        let cpu = FixedRunner(
            status: DeviceStatus(
                backend: .cpu, device: "cpu0", name: "Fake CPU @ 2.00GHz", up: true, reason: "",
                extraInfo: [("simd_path", "avx2"), ("threads", "2")], memoryFreeBytes: 1 << 30, memoryTotalBytes: 8 << 30),
            results: [
                try result(.cpu, "cpu0", .add, .ok, samples: [0.0012, 0.0010, 0.0011], at: 1_700_000_000),
                try result(.cpu, "cpu0", .multiply, .mismatch, at: 1_700_000_001),
            ])
        let gpu = FixedRunner(
            status: DeviceStatus(
                backend: .cuda, device: "cuda0", name: "Fake GPU", up: true, reason: "",
                extraInfo: [("compute_capability", "9.0"), ("driver", "13.0"), ("sms", "132"), ("uuid", "GPU-0")],
                memoryFreeBytes: 1 << 30, memoryTotalBytes: 80 << 30),
            results: [try result(.cuda, "cuda0", .add, .ok, samples: [0.00002, 0.00003, 0.00002], at: 1_700_000_002)])
        let cycle = ProbeCycle(
            runners: [cpu, gpu],
            readHostMemory: { HostMemoryStatus(totalBytes: 8 << 30, availableBytes: 1 << 30, pressureSomeAvg10: 0.5, pressureFullAvg10: 0) },
            readCPUStall: { nil }, monotonicSeconds: { 5 }, wallSeconds: { 1_700_000_000 })
        let state = AgentState(configLoadedAt: 1_699_999_990)
        var consumers = CycleConsumers(
            state: state, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            rules: [
                AlertRule(name: "ProbeMismatch", kind: .probeMismatch, severity: "critical"),
                AlertRule(name: "MemoryPressure", kind: .memoryPressure(minimum: .high), severity: "warning"),
            ],
            startedAt: 1_699_999_990, traceSink: nil, notify: { _ in }, build: (version: "1.2.3", revision: "abcdef0"))
        let report = cycle.run(number: 1, isStopping: { false })
        consumers.take(report, baseline: nil, now: 1_700_000_003)
        consumers.publish(
            report, pacing: .init(cycles: 1, cycleSeconds: 0.5, dutyCycleRatio: 0.05, dutyCycleBudget: 0.1), baseline: nil,
            cpuBackend: nil, specs: [], syntheticSeries: 0, host: nil, completedAt: 1_700_000_004)
        let snapshot = state.current()
        // What /metrics serves, less the families that change per scrape (process_*, HTTP counters).
        let reload = AgentFamilies.reload(state.reload())
        return Dictionary(
            uniqueKeysWithValues: ExpositionFormat.allCases.map { format in
                (format, ExpositionRenderer.render(reload, merging: snapshot.rendered, as: format))
            })
    }

    static let fixtures: [(ExpositionFormat, String)] = [(.prometheusText, "agent-cycle.prom"), (.openMetrics, "agent-cycle.openmetrics")]

    @Test(arguments: fixtures)
    func matchesFixture(format: ExpositionFormat, fixture: String) throws {
        let rendered = try #require(try Self.exposition()[format])
        let path = String(#filePath[..<#filePath.lastIndex(of: "/")!]) + "/Fixtures/" + fixture
        if let update = getenv("BITPROBE_UPDATE_GOLDEN"), String(cString: update) == "1" {
            let file = try #require(fopen(path, "wb"))
            #expect(fwrite(rendered, 1, rendered.count, file) == rendered.count)
            #expect(fclose(file) == 0)
            return
        }
        let expected = try #require(SystemFile.readText(path), "missing fixture \(path); run with BITPROBE_UPDATE_GOLDEN=1")
        let lines = String(decoding: rendered, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let first = zip(lines, expectedLines).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(first == nil, "\(fixture) line \((first?.offset ?? 0) + 1): got '\(first?.element.0 ?? "")', expected '\(first?.element.1 ?? "")'")
        #expect(lines.count == expectedLines.count)
    }
}
