import Dispatch
import Testing

@testable import BitProbe

#if canImport(Glibc)
import Glibc
#endif

@Suite struct ProfileSpanTests {
    @Test func childrenShareTheTraceAndPointAtTheirParent() {
        let root = ProfileSpan.root("cycle", attributes: [("cycle", .int(1))])
        let probe = root.child("probe")
        let phase = probe.child("measure")
        phase.end()
        probe.end()
        root.end()
        #expect(probe.traceID == root.traceID && phase.traceID == root.traceID)
        #expect(probe.parentSpanID == root.spanID && phase.parentSpanID == probe.spanID)
        #expect(root.parentSpanID == nil)
        #expect(root.flattened().map(\.name) == ["cycle", "probe", "measure"])
        #expect(root.startUnixNanos <= probe.startUnixNanos && probe.endUnixNanos <= root.endUnixNanos)
        #expect(root.traceID.hex.count == 32 && root.spanID.hex.count == 16)
    }

    @Test func endingTwiceKeepsTheFirstEnd() {
        let span = ProfileSpan.root("x")
        span.end()
        let first = span.durationNanos
        usleep(2000)
        span.end()
        #expect(span.durationNanos == first)
    }

    @Test func attributesReplaceAndEventsAppend() {
        let span = ProfileSpan.root("x")
        span.setAttribute("result", .string("ok"))
        span.setAttribute("result", .string("timeout"))
        span.addEvent("timeout", attributes: [("after_seconds", .double(2))])
        #expect(span.attributes.count == 1 && span.attributes[0].1 == .string("timeout"))
        #expect(span.events.map(\.name) == ["timeout"])
    }

    @Test func identifiersAreDistinctNonZeroAndUseEveryBit() {
        var seen = Set<UInt64>()
        var bitCounts = [Int](repeating: 0, count: 64)
        let draws = 100_000
        for _ in 0..<draws {
            let id = IdentifierSource.spanID().value
            #expect(id != 0)
            seen.insert(id)
            for bit in 0..<64 where id & (1 << UInt64(bit)) != 0 { bitCounts[bit] += 1 }
        }
        #expect(seen.count == draws)
        // Each bit is set in about half of the draws (a counter would leave the high bits fixed).
        #expect(bitCounts.allSatisfy { abs($0 - draws / 2) < draws / 50 }, "\(bitCounts)")
        let traces = (0..<1000).map { _ in IdentifierSource.traceID() }
        #expect(Set(traces).count == 1000 && traces.allSatisfy { $0.high != $0.low })
    }

    @Test func childrenMayBeOpenedFromManyThreads() {
        let root = ProfileSpan.root("parallel")
        DispatchQueue.concurrentPerform(iterations: 64) { i in root.child("worker \(i % 4)").end() }
        #expect(root.children.count == 64)
    }
}

@Suite struct ProfileAnalysisTests {
    func cycle() -> ProfileSpan {
        ProfileSpan(
            testName: "cycle", durationNanos: 10_000_000,
            children: [
                ProfileSpan(
                    testName: "probe a", durationNanos: 6_000_000,
                    children: [
                        ProfileSpan(testName: "warmup", durationNanos: 1_000_000),
                        ProfileSpan(testName: "measure", durationNanos: 4_000_000),
                    ]),
                ProfileSpan(
                    testName: "probe b", durationNanos: 3_000_000,
                    children: [
                        ProfileSpan(testName: "measure", durationNanos: 2_500_000)
                    ]),
            ])
    }

    @Test func callTreeMergesCyclesByPath() {
        let analysis = ProfileAnalysis(traces: [cycle(), cycle()])
        #expect(
            analysis.nodes.map { $0.path.joined(separator: "/") } == [
                "cycle", "cycle/probe a", "cycle/probe a/warmup", "cycle/probe a/measure", "cycle/probe b", "cycle/probe b/measure",
            ])
        let root = analysis.nodes[0]
        #expect(root.calls == 2 && root.totalNanos == 20_000_000 && root.selfNanos == 2_000_000 && root.shareOfTotal == 1)
        #expect(analysis.nodes[1].selfNanos == 2_000_000)
        #expect(analysis.nodes[1].shareOfTotal == 0.6)
    }

    @Test func hotspotsRankNamesBySelfTime() {
        let hotspots = ProfileAnalysis(traces: [cycle()]).hotspots
        #expect(hotspots.map { $0.path[0] } == ["measure", "cycle", "probe a", "warmup", "probe b"])
        #expect(hotspots[0].selfNanos == 6_500_000 && hotspots[0].calls == 2)
        #expect(hotspots[0].shareOfTotal == 0.65)
    }

    @Test func foldedStacksCarrySelfMicroseconds() {
        #expect(
            ProfileAnalysis(traces: [cycle()]).foldedStacks == """
                cycle 1000
                cycle;probe a 1000
                cycle;probe a;warmup 1000
                cycle;probe a;measure 4000
                cycle;probe b 500
                cycle;probe b;measure 2500

                """)
    }

    @Test func foldedStackNamesLoseTheirSeparators() {
        let trace = ProfileSpan(testName: "a;b", durationNanos: 5000)
        #expect(ProfileAnalysis(traces: [trace]).foldedStacks == "a,b 5\n")
    }
}
