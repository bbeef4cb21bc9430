import Testing

@testable import BitProbe

#if canImport(Glibc)
import Glibc
#endif

/// A fixed report rendered as HTML and Markdown, compared byte for byte with the fixtures, so any
/// change to what a person reads shows up as a diff. `BITPROBE_UPDATE_GOLDEN=1 swift test --filter
/// ReportGoldenTests` rewrites them instead; review the diff before committing it.
@Suite struct ReportGoldenTests {
    static var fixedReport: PerformanceReport {
        let sweep = DeviceComparison.Sweep(op: .matmul, dtype: .f16, sizes: [64, 256, 1024])
        let cpu = [1e-5, 1e-3, 1e-1].map { ReportFixtures.result(.matmul, .f16, [64, 64, 64], median: $0) }
        let gpu = [1e-4, 1e-4, 1e-3].map { ReportFixtures.result(.matmul, .f16, [64, 64, 64], median: $0, device: "cuda0", backend: .cuda) }
        var inputs = PerformanceReport.Inputs(generatedAt: 1_800_000_000, results: ReportFixtures.suite)
        inputs.host = HostInfo(cpuModel: "Test CPU", availableCPUs: 2, memoryAvailableBytes: 8 << 30, memoryTotalBytes: 16 << 30)
        inputs.cpuPressureShare = 0.05
        inputs.comparison = DeviceComparison(sweeps: [sweep], cpu: "cpu0", gpus: ["cuda0"], results: ["cpu0": cpu, "cuda0": gpu])
        inputs.profile = ProfileAnalysis(traces: [
            ProfileSpan(
                testName: "report", durationNanos: 10_000_000,
                children: [
                    ProfileSpan(
                        testName: "probe cpu0 add f32 4194304", durationNanos: 6_000_000,
                        children: [
                            ProfileSpan(testName: "prepare", durationNanos: 1_000_000), ProfileSpan(testName: "measure", durationNanos: 4_000_000),
                            ProfileSpan(testName: "verify", durationNanos: 900_000),
                        ]),
                    ProfileSpan(
                        testName: "probe cpu0 copy bytes 67108864", durationNanos: 3_000_000,
                        children: [ProfileSpan(testName: "measure", durationNanos: 2_500_000)]),
                ])
        ])
        inputs.layout = LayoutComparison(
            elements: 1 << 20,
            results: [(1, 1e-4), (4, 4e-4), (16, 2e-3)].map { stride, median in
                ReportFixtures.result(.stridedAdd, .f32, [1 << 20, stride], median: median)
            })
        inputs.batch = BatchComparison(
            n: 4096, k: 4096, batches: [1, 4, 16],
            results: [(1, 2e-4), (4, 3e-4), (16, 1.1e-3)].map { m, median in
                ReportFixtures.result(.ternaryMatmul, .i8Ternary, [m, 4096, 4096], median: median)
            })
        inputs.alerts = [
            .init(name: "BitprobeProbeRegression", severity: "warning", state: "pending", probe: "cpu0 add f32 4194304", activeAt: 1_800_000_000, value: 1.2)
        ]
        inputs.history = [.init(probe: "cpu0 add f32 4194304", medianSeconds: [2.8e-3, 2.9e-3, 3.1e-3, 2.7e-3])]
        var report = PerformanceReport(inputs)
        // The build's version would change the fixture with every commit.
        report.environment.bitprobeVersion = "VERSION"
        report.environment.bitprobeRevision = "REVISION"
        return report
    }

    @Test(arguments: ["report.html", "report.md"])
    func matchesFixture(name: String) throws {
        let report = Self.fixedReport
        let rendered = name.hasSuffix(".html") ? HTMLReport.render(report) : MarkdownReport.render(report)
        let file = #filePath
        let path = file[..<file.lastIndex(of: "/")!] + "/Fixtures/" + name
        if let update = getenv("BITPROBE_UPDATE_GOLDEN"), String(cString: update) == "1" {
            try AtomicFile.write(Array(rendered.utf8), to: path)
            return
        }
        let expected = try #require(SystemFile.readText(path), "missing fixture \(path); run with BITPROBE_UPDATE_GOLDEN=1")
        let lines = rendered.split(separator: "\n", omittingEmptySubsequences: false)
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let firstDifferent = zip(lines, expectedLines).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(
            firstDifferent == nil && lines.count == expectedLines.count,
            "\(name) differs at line \((firstDifferent?.offset ?? min(lines.count, expectedLines.count)) + 1): \(firstDifferent.map { "\($0.element.0)" } ?? "")"
        )
    }
}
