import Testing

@testable import OTLPExport

@Suite struct ExportSenderTests {
    let clock = FakeClock()

    private func sender(_ transport: ScriptedTransport, retry: OTLPExporterConfig.Retry = .init(), sleeps: SleepLog) -> ExportSender {
        let clock = clock
        return ExportSender(
            transport: transport, policy: RetryPolicy(config: retry), requestTimeout: 10_000_000_000,
            endpoint: "http://collector/v1/traces", clock: clock,
            sleep: { until in
                sleeps.waits.append(until - clock.monotonicNanoseconds())
                clock.advance(by: until - clock.monotonicNanoseconds())
                return true
            }
        )
    }

    final class SleepLog {
        var waits: [UInt64] = []
    }

    private var deadline30s: () -> UInt64 {
        let end = clock.monotonicNanoseconds() + 30_000_000_000
        return { end }
    }

    @Test func retriesTransientStatusesThenDelivers() {
        let transport = ScriptedTransport([status(503), status(502), status(504), status(429)], clock: clock)
        let sleeps = SleepLog()
        let outcome = sender(transport, sleeps: sleeps).send([1, 2, 3], spanCount: 3, deadline: deadline30s)
        #expect(outcome == .init(delivered: true, rejectedSpans: 0, requests: 5, failure: nil))
        #expect(sleeps.waits.count == 4)
        for (index, wait) in sleeps.waits.enumerated() {
            let ceiling = RetryPolicy(config: .init()).backoffCeiling(afterAttempt: index + 1)
            #expect(wait <= ceiling && Double(wait) >= Double(ceiling) * 0.8)
        }
    }

    @Test func permanentFailuresAreNotRetried() {
        for code in [400, 401, 403, 404, 413, 500, 501] {
            let transport = ScriptedTransport([status(code)], clock: clock)
            let sleeps = SleepLog()
            let outcome = sender(transport, sleeps: sleeps).send([1], spanCount: 1, deadline: deadline30s)
            #expect(outcome == .init(delivered: false, rejectedSpans: 0, requests: 1, failure: "POST http://collector/v1/traces: HTTP \(code) (not retryable)"))
            #expect(sleeps.waits.isEmpty)
        }
    }

    @Test func givesUpAfterMaxAttempts() {
        let transport = ScriptedTransport([], then: .failed(message: "POST x: Connection refused", retryable: true), clock: clock)
        let sleeps = SleepLog()
        let outcome = sender(transport, sleeps: sleeps).send([1], spanCount: 1, deadline: deadline30s)
        #expect(outcome == .init(delivered: false, rejectedSpans: 0, requests: 5, failure: "POST x: Connection refused; gave up after 5 attempts"))
        #expect(transport.posts.count == 5)
    }

    @Test func nonTransientTransportErrorsStopAtOnce() {
        let transport = ScriptedTransport([.failed(message: "POST x: SSL certificate problem", retryable: false)], clock: clock)
        let outcome = sender(transport, sleeps: SleepLog()).send([1], spanCount: 1, deadline: deadline30s)
        #expect(outcome.requests == 1)
        #expect(outcome.failure == "POST x: SSL certificate problem (not retryable)")
    }

    @Test func retryAfterSecondsAndDatesAreHonoured() {
        let date = "Tue, 14 Nov 2023 22:13:27 GMT"  // unixStart (1_700_000_000 = 22:13:20) + 7 s
        let transport = ScriptedTransport([status(429, retryAfter: "3"), status(503, retryAfter: date)], clock: clock, latency: 0)
        let sleeps = SleepLog()
        let outcome = sender(transport, sleeps: sleeps).send([1], spanCount: 1, deadline: deadline30s)
        #expect(outcome.delivered)
        #expect(sleeps.waits == [3_000_000_000, 4_000_000_000])
    }

    @Test func retryAfterBeyondTheDeadlineEndsTheExport() {
        let transport = ScriptedTransport([status(503, retryAfter: "120")], clock: clock)
        let outcome = sender(transport, sleeps: SleepLog()).send([1], spanCount: 1, deadline: deadline30s)
        #expect(
            outcome
                == .init(
                    delivered: false, rejectedSpans: 0, requests: 1,
                    failure: "POST http://collector/v1/traces: HTTP 503; Retry-After 120.0 s is past the export deadline"))
    }

    @Test func requestTimeoutIsCappedByTheDeadline() {
        let transport = ScriptedTransport([], clock: clock)
        let end = clock.monotonicNanoseconds() + 2_500_000_000
        _ = sender(transport, sleeps: SleepLog()).send([1], spanCount: 1) { end }
        #expect(transport.posts.map(\.timeout) == [2_500_000_000])
    }

    @Test func anAbortedRequestFailsTheExport() {
        let transport = ScriptedTransport([.aborted], clock: clock)
        let outcome = sender(transport, sleeps: SleepLog()).send([1], spanCount: 1, deadline: deadline30s)
        #expect(
            outcome
                == .init(
                    delivered: false, rejectedSpans: 0, requests: 1,
                    failure: "POST http://collector/v1/traces: stopped by the shutdown deadline"))
    }

    @Test func partialSuccessIsCounted() {
        // ExportTraceServiceResponse{partial_success{rejected_spans: 2, error_message: "too old"}}
        let body: [UInt8] = [0x0A, 0x0B, 0x08, 0x02, 0x12, 0x07] + Array("too old".utf8)
        let transport = ScriptedTransport([.response(status: 200, retryAfter: nil, protobufBody: body)], clock: clock)
        let outcome = sender(transport, sleeps: SleepLog()).send([1], spanCount: 5, deadline: deadline30s)
        #expect(outcome == .init(delivered: true, rejectedSpans: 2, requests: 1, failure: "collector rejected 2 of 5 spans: too old"))
    }

    @Test func partialSuccessWithOnlyAMessageIsAWarning() {
        // ExportTraceServiceResponse{partial_success{error_message: "slow down"}}
        let body: [UInt8] = [0x0A, 0x0B, 0x12, 0x09] + Array("slow down".utf8)
        let transport = ScriptedTransport([.response(status: 200, retryAfter: nil, protobufBody: body)], clock: clock)
        let outcome = sender(transport, sleeps: SleepLog()).send([1], spanCount: 5, deadline: deadline30s)
        #expect(outcome == .init(delivered: true, rejectedSpans: 0, requests: 1, failure: "collector accepted all 5 spans with a warning: slow down"))
    }

    @Test func responseBodiesThatDoNotDecodeStillMeanSuccess() {
        #expect(ExportResponse.partialSuccess(in: [0xFF, 0xFF, 0xFF]) == nil)
        #expect(ExportResponse.partialSuccess(in: []) == nil)
        #expect(ExportResponse.partialSuccess(in: [0x0A, 0x00]) == PartialSuccess(rejectedSpans: 0, errorMessage: ""))
    }
}
