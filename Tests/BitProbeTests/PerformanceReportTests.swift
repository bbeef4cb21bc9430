import Testing

@testable import BitProbe

@Suite struct PerformanceReportTests {
    typealias F = ReportFixtures

    func report(_ results: [ProbeResult] = F.suite, configure: (inout PerformanceReport.Inputs) -> Void = { _ in }) -> PerformanceReport {
        var inputs = PerformanceReport.Inputs(generatedAt: 1_800_000_000, results: results)
        configure(&inputs)
        return PerformanceReport(inputs)
    }

    @Test func theSummaryIsComputedFromTheResults() {
        let summary = report().summary
        #expect(summary.verified == 6 && summary.total == 6 && summary.healthy)
        #expect(
            summary.sentences == [
                "6 of 6 probes verified.",
                "The fastest matrix product, cpu0 matmul f32 512x512x512, reached 100.00 GFLOP/s; the copy probe moved 20.00 GB/s.",
                "Ternary W1.58A8 is 10.0x faster than the best float matmul at 1x4096x4096 on cpu0.",
            ])
    }

    @Test func aSlowerTernaryIsSaidSo() {
        let results = [F.result(.matmul, .f32, [1, 4096, 4096], median: 1e-4), F.result(.ternaryMatmul, .i8Ternary, [1, 4096, 4096], median: 2e-4)]
        #expect(report(results).summary.sentences.last == "Ternary W1.58A8 is 2.0x slower than matmul f32 at 1x4096x4096 on cpu0.")
    }

    @Test func aWrongResultMakesTheReportUnhealthyAndLeadsTheRecommendations() {
        let results = F.suite + [F.result(.multiply, .f32, [1024], median: 1e-5, outcome: .mismatch)]
        let built = report(results)
        #expect(!built.summary.healthy)
        #expect(built.summary.sentences[0] == "6 of 7 probes verified; 1 computed a wrong result (cpu0 multiply f32 1024).")
        #expect(built.recommendations.first?.category == .correctness)
    }

    @Test func tablesCarryTheMeasuredNumbers() throws {
        let built = report()
        let gemv = try #require(built.probes.first { $0.probe == "cpu0 matmul f32 1x4096x4096" })
        #expect(gemv.medianSeconds == 4e-3 && gemv.samples == 5 && gemv.minSeconds == 4e-3 && gemv.maxSeconds == 4e-3)
        let roofline = try #require(built.roofline)
        #expect(roofline.bandwidth.value == 20e9)
        #expect(roofline.compute?.value == 100e9)
        #expect(roofline.integerCompute?.probe == "cpu0 ternary_matmul i8_ternary 1x4096x4096")
        let gemvPoint = try #require(roofline.points.first { $0.probe == "cpu0 matmul f32 1x4096x4096" })
        #expect(gemvPoint.bound == .bandwidth)
        // 2*4096^2 op over (4*(4096 + 4096^2 + 4096)) bytes; attainable = intensity * 20 GB/s.
        let n: Double = 4096
        let operations: Double = 2 * n * n
        let bytes: Double = 4 * (n + n * n + n)
        let intensity: Double = operations / bytes
        let achieved: Double = operations / 4e-3
        #expect(abs(gemvPoint.intensity! - intensity) < 1e-12)
        #expect(abs(gemvPoint.efficiency - achieved / (intensity * 20e9)) < 1e-9)
        #expect(built.dtypeComparisons.count == 1 && abs(built.dtypeComparisons[0].f16Speedup - 1 / 1.02) < 1e-12)
    }

    @Test func sectionsWithoutDataAreAbsent() {
        let bare = report([F.result(.add, .f32, [1024], median: 1e-6)])
        #expect(bare.roofline == nil && bare.deviceComparison == nil && bare.memory == nil && bare.profile == nil && bare.regression == nil)
        #expect(bare.alerts == nil && bare.history == nil && bare.dtypeComparisons.isEmpty)
        #expect(bare.summary.sentences == ["1 of 1 probes verified."])
        let html = HTMLReport.render(bare)
        for id in ["comparisons", "memory", "profile", "regression", "agent"] { #expect(!html.contains("<section id=\"\(id)\"")) }
        #expect(html.contains("<section id=\"summary\"") && html.contains("<section id=\"recommendations\""))
        #expect(!html.contains("Roofline"))
    }

    @Test func alertsAndHistoryComeFromTheAgent() {
        let built = report { inputs in
            inputs.alerts = [
                .init(name: "BitprobeProbeRegression", severity: "warning", state: "firing", probe: "cpu0 add f32 1024", activeAt: 1_800_000_000, value: 1.3)
            ]
            inputs.history = [.init(probe: "cpu0 add f32 1024", medianSeconds: [1e-6, 2e-6, 1.5e-6])]
        }
        #expect(!built.summary.healthy)
        #expect(built.summary.sentences.last == "1 alert firing: BitprobeProbeRegression (cpu0 add f32 1024).")
        let html = HTMLReport.render(built)
        #expect(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"spark\""))
        #expect(html.contains("BitprobeProbeRegression"))
    }

    @Test func theJSONRoundTrips() throws {
        let built = report {
            $0.profile = ProfileAnalysis(traces: [
                ProfileSpan(testName: "cycle", durationNanos: 1000, children: [ProfileSpan(testName: "probe", durationNanos: 600)])
            ])
        }
        let decoded = try PerformanceReport.decode(json: try built.json())
        #expect(decoded.kind == "bitprobe-report" && decoded.schemaVersion == 1)
        #expect(decoded.probes == built.probes && decoded.summary == built.summary && decoded.recommendations == built.recommendations)
        #expect(decoded.profile?.nodes == built.profile?.nodes)
        #expect(decoded.roofline == built.roofline)
    }

    @Test func htmlIsSelfContainedAndEscapesWhatItShows() {
        let built = report { $0.title = "<script>alert(1)</script> & co" }
        let html = HTMLReport.render(built)
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        #expect(html.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</title>"))
        for external in ["http://", "https://", "src=", "@import", "url("] {
            // The SVG namespace is an identifier, not a request.
            #expect(html.replacingAll("xmlns=\"http://www.w3.org/2000/svg\"", with: "").contains(external) == false, "found \(external)")
        }
        #expect(html.contains("prefers-color-scheme:dark"))
    }

    @Test func markdownHasTheSameNumbers() {
        let md = MarkdownReport.render(report())
        #expect(md.hasPrefix("# bitprobe performance report\n"))
        #expect(md.contains("| cpu0 matmul f32 1x4096x4096 | ok | 4.00 ms | 4.00 ms | 0.0% | 8.39 Gop/s | 16.79 GB/s | 5 |"))
        #expect(md.contains("Ceilings measured here: 20.00 GB/s (cpu0 copy bytes 67108864), float 100.00 Gop/s (cpu0 matmul f32 512x512x512)"))
    }
}

@Suite struct FlameGraphTests {
    @Test func childrenLieInsideTheirParentsWithWidthsProportionalToTime() throws {
        let root = ProfileSpan(
            testName: "cycle", durationNanos: 1000,
            children: [
                ProfileSpan(
                    testName: "probe a", durationNanos: 600,
                    children: [ProfileSpan(testName: "measure", durationNanos: 300), ProfileSpan(testName: "verify", durationNanos: 200)]),
                ProfileSpan(testName: "probe b", durationNanos: 250),
            ])
        let analysis = ProfileAnalysis(traces: [root])
        let frames = FlameGraph.frames(nodes: analysis.nodes, rootNanos: analysis.rootNanos)
        let byName = Dictionary(uniqueKeysWithValues: frames.map { ($0.path.last!, $0) })
        #expect(byName["cycle"]!.x == 0 && byName["cycle"]!.width == FlameGraph.width)
        #expect(byName["probe a"]!.width == FlameGraph.width * 0.6 && byName["probe b"]!.x == FlameGraph.width * 0.6)
        #expect(byName["measure"]!.x == 0 && byName["verify"]!.x == FlameGraph.width * 0.3)
        for frame in frames where frame.depth > 0 {
            let parent = try #require(frames.first { $0.path == Array(frame.path.dropLast()) })
            #expect(frame.x >= parent.x && frame.x + frame.width <= parent.x + parent.width + 1e-9)
            #expect(frame.depth == parent.depth + 1)
        }
        let svg = FlameGraph.svg(analysis, title: "test")
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"flamegraph\""))
        #expect(svg.contains("<title>probe a: total 600 ns, self 100 ns, 60.0% of the profile, 1 call</title>"))
        #expect(!FlameGraph.svg(nodes: analysis.nodes, rootNanos: analysis.rootNanos, title: "t", interactive: false).contains("<script>"))
    }

    @Test func anEmptyProfileHasNoFrames() {
        #expect(FlameGraph.frames(nodes: [], rootNanos: 0).isEmpty)
    }
}

@Suite struct ReportSourcesTests {
    @Test func filesAreRecognisedByTheirKeys() throws {
        #expect(try ReportSources.kind(of: Array(#"{"kind":"bitprobe-report"}"#.utf8), path: "a") == .report)
        #expect(try ReportSources.kind(of: Array(#"{"results":[],"backend":{},"host":{}}"#.utf8), path: "a") == .bench)
        #expect(try ReportSources.kind(of: Array(#"{"rows":[],"guide":[],"cpu":"cpu0"}"#.utf8), path: "a") == .compare)
        #expect(try ReportSources.kind(of: Array(#"{"comparisons":[],"baseline":{},"status":"all_pass"}"#.utf8), path: "a") == .regress)
        #expect(try ReportSources.kind(of: Array(#"{"host":{},"devices":[],"leaks":[]}"#.utf8), path: "a") == .memory)
        #expect(
            throws: ReportSources.Failure(
                path: "x.json", reason: "not a file bitprobe wrote (expected the JSON of bench, compare, regress, memory, a baseline or a report)")
        ) {
            try ReportSources.kind(of: Array(#"{"groups":[]}"#.utf8), path: "x.json")
        }
        #expect(throws: ReportSources.Failure.self) { try ReportSources.kind(of: Array("[1,2]".utf8), path: "x.json") }
    }

    @Test func missingFilesAndDirectoriesAreNamed() {
        #expect(throws: ReportSources.Failure(path: "/nonexistent/b.json", reason: "No such file or directory")) {
            try ReportSources.load(paths: ["/nonexistent/b.json"])
        }
        #expect(throws: ReportSources.Failure(path: "/tmp", reason: "not a regular file")) { try ReportSources.load(paths: ["/tmp"]) }
    }
}
