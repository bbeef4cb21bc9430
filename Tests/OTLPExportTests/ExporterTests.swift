import Synchronization
import Testing

@testable import OTLPExport

#if canImport(Glibc)
import Glibc
#endif

/// The exporter with its worker thread and real time, over an in-memory transport.
@Suite(.serialized) struct ExporterTests {
    static func span(_ name: String = "phase") -> FinishedSpan {
        FinishedSpan(traceID: .random(), spanID: .random(), parentSpanID: nil, name: name, startUnixNano: 1, endUnixNano: 2)
    }

    final class TransportBox: Sendable {
        let transport = Mutex<RecordingTransport?>(nil)
        var value: RecordingTransport { transport.withLock { $0! } }
    }

    private func exporter(
        _ configure: (inout OTLPExporterConfig) -> Void = { _ in },
        transport state: RecordingTransport.State = .init()
    ) -> (OTLPTraceExporter, TransportBox) {
        var config = OTLPExporterConfig(endpoint: "http://unused.invalid/v1/traces")
        config.batch.scheduleDelay = .milliseconds(50)
        config.retry.initialBackoff = .milliseconds(10)
        configure(&config)
        let box = TransportBox()
        let exporter = OTLPTraceExporter(
            config: config, resource: OTLPResource(attributes: []), scope: OTLPInstrumentationScope(name: "test", version: "0"),
            clock: SystemClock(),
            makeTransport: { _, _, shutdown in
                let transport = RecordingTransport(state: state, shutdown: shutdown)
                box.transport.withLock { $0 = transport }
                return transport
            }
        )
        return (exporter, box)
    }

    private func waitUntil(_ seconds: Double = 5, _ condition: () -> Bool) -> Bool {
        let clock = SystemClock()
        let end = clock.monotonicNanoseconds() + UInt64(seconds * 1e9)
        while clock.monotonicNanoseconds() < end {
            if condition() { return true }
            usleep(2_000)
        }
        return condition()
    }

    @Test func fullBatchesGoOutAtOnceAndTheRestAfterTheDelay() throws {
        let (exporter, box) = exporter {
            $0.batch.maxExportBatchSize = 10
            $0.batch.scheduleDelay = .seconds(1)
        }
        try exporter.start()
        let start = SystemClock().monotonicNanoseconds()
        exporter.export((0..<25).map { _ in Self.span() })
        #expect(waitUntil { box.value.state.withLock { $0.bodies.count } == 2 })
        #expect(SystemClock().monotonicNanoseconds() - start < 900_000_000, "full batches do not wait for the 1 s delay")
        #expect(waitUntil { box.value.state.withLock { $0.bodies.count } == 3 })
        #expect(SystemClock().monotonicNanoseconds() - start >= 1_000_000_000)
        #expect(exporter.shutdown(deadline: .seconds(2)))
        let statistics = exporter.statistics
        #expect(statistics.spansExported == 25)
        #expect(statistics.exports == 3)
        #expect(statistics.exportRequests == 3)
        #expect(statistics.exportDurationBucketCounts.reduce(0, +) == 3)
    }

    @Test func aFullQueueDropsAndCountsWithoutBlocking() throws {
        let (exporter, box) = exporter(
            {
                $0.batch.maxQueueSize = 20
                $0.batch.maxExportBatchSize = 20
            }, transport: .init(delayMicroseconds: 300_000))
        try exporter.start()
        let clock = SystemClock()
        exporter.export((0..<20).map { _ in Self.span() })
        // Once the worker sits in its 300 ms request, the queue refills and then overflows.
        #expect(waitUntil { box.value.state.withLock { $0.bodies.count } == 1 })
        let before = clock.monotonicNanoseconds()
        for _ in 0..<100 { exporter.export([Self.span(), Self.span()]) }
        #expect(clock.monotonicNanoseconds() - before < 200_000_000, "export must never wait for the worker")
        #expect(exporter.statistics.spansDropped == 180)
        #expect(exporter.statistics.queuedSpans == 20)
        #expect(exporter.shutdown(deadline: .seconds(3)))
        let statistics = exporter.statistics
        #expect(statistics.spansExported == 40)
        #expect(statistics.spansExported + statistics.spansDropped + statistics.spansFailed == 220)
    }

    @Test func shutdownFlushesWhatIsQueued() throws {
        let (exporter, box) = exporter { $0.batch.scheduleDelay = .seconds(60) }
        try exporter.start()
        exporter.export((0..<5).map { _ in Self.span() })
        #expect(exporter.shutdown(deadline: .seconds(2)))
        #expect(box.value.state.withLock { $0.bodies.count } == 1)
        #expect(exporter.statistics.spansExported == 5)
        exporter.export([Self.span()])
        #expect(exporter.statistics.spansDropped == 1, "spans after shutdown are dropped")
    }

    @Test func shutdownDeadlineCutsARetryingExportShort() throws {
        let (exporter, box) = exporter(
            {
                $0.batch.scheduleDelay = .milliseconds(10)
                $0.retry.initialBackoff = .seconds(10)
            }, transport: .init(fallback: status(503)))
        try exporter.start()
        exporter.export((0..<5).map { _ in Self.span() })
        // The batch got a 503 and now waits 10 s to retry.
        #expect(waitUntil { box.value.state.withLock { $0.bodies.count } == 1 })
        let clock = SystemClock()
        let before = clock.monotonicNanoseconds()
        #expect(exporter.shutdown(deadline: .milliseconds(300)))
        let took = clock.monotonicNanoseconds() - before
        #expect(took >= 250_000_000 && took < 1_000_000_000)
        let statistics = exporter.statistics
        #expect(statistics.spansFailed == 5)
        #expect(statistics.lastFailure == "POST http://unused.invalid/v1/traces: HTTP 503; stopped by the shutdown deadline")
    }

    @Test func shutdownAbortsASlowRequest() throws {
        let (exporter, _) = exporter({ $0.batch.scheduleDelay = .zero }, transport: .init(delayMicroseconds: 5_000_000))
        try exporter.start()
        exporter.export([Self.span()])
        usleep(50_000)
        let clock = SystemClock()
        let before = clock.monotonicNanoseconds()
        exporter.shutdown(deadline: .milliseconds(200))
        #expect(clock.monotonicNanoseconds() - before < 1_000_000_000)
        #expect(waitUntil { exporter.statistics.spansFailed == 1 })
    }

    @Test func spansQueuedBeforeStartWaitForIt() throws {
        let (exporter, box) = exporter()
        exporter.export([Self.span()])
        #expect(exporter.statistics.queuedSpans == 1)
        try exporter.start()
        #expect(exporter.shutdown(deadline: .seconds(2)))
        #expect(box.value.state.withLock { $0.bodies.count } == 1)
    }

    @Test func neverStartedExporterFailsItsQueueOnShutdown() {
        let (exporter, _) = exporter()
        exporter.export([Self.span(), Self.span()])
        #expect(!exporter.shutdown(deadline: .seconds(1)))
        #expect(exporter.statistics.spansFailed == 2)
    }

    @Test func partialSuccessCountsRejectedSpansAsFailed() throws {
        let body: [UInt8] = [0x0A, 0x02, 0x08, 0x02]  // partial_success { rejected_spans: 2 }
        let (exporter, _) = exporter(transport: .init(fallback: .response(status: 200, retryAfter: nil, protobufBody: body)))
        try exporter.start()
        exporter.export((0..<5).map { _ in Self.span() })
        #expect(exporter.shutdown(deadline: .seconds(2)))
        let statistics = exporter.statistics
        #expect(statistics.spansExported == 3)
        #expect(statistics.spansFailed == 2)
        #expect(statistics.spansRejected == 2)
        #expect(statistics.lastFailure == "collector rejected 2 of 5 spans: ")
    }
}
