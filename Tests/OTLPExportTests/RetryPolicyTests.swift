import Testing

@testable import OTLPExport

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(config: OTLPExporterConfig.Retry())

    @Test func onlyTransientStatusesAreRetried() {
        let retried = (100...599).filter(RetryPolicy.isRetryable(status:))
        #expect(retried == [429, 502, 503, 504])
    }

    @Test func backoffGrowsByTheMultiplierUpToTheMaximum() {
        let ceilings = (1...12).map { Double(policy.backoffCeiling(afterAttempt: $0)) / 1e9 }
        #expect(ceilings.prefix(4) == [1, 1.5, 2.25, 3.375])
        #expect(ceilings.last == 30)
        #expect(ceilings.allSatisfy { $0 <= 30 })
    }

    @Test func jitterOnlyShortensTheWait() {
        var generator = SystemRandomNumberGenerator()
        for attempt in 1...6 {
            let ceiling = policy.backoffCeiling(afterAttempt: attempt)
            for _ in 0..<200 {
                let wait = policy.backoff(afterAttempt: attempt, using: &generator)
                #expect(wait <= ceiling && Double(wait) >= Double(ceiling) * 0.8)
            }
        }
    }

    private func decide(retryable: Bool = true, retryAfter: Double? = nil, attempt: Int = 1, remaining: Double = 30) -> RetryPolicy.Decision {
        var generator = SystemRandomNumberGenerator()
        return policy.decide(
            failure: "HTTP 503", retryable: retryable, retryAfterSeconds: retryAfter, attempt: attempt,
            remainingNanoseconds: UInt64(remaining * 1e9), using: &generator
        )
    }

    @Test func decisions() {
        #expect(decide(retryable: false) == .stop("HTTP 503 (not retryable)"))
        #expect(decide(attempt: 5) == .stop("HTTP 503; gave up after 5 attempts"))
        #expect(decide(retryAfter: 2) == .retry(afterNanoseconds: 2_000_000_000))
        #expect(decide(retryAfter: 0) == .retry(afterNanoseconds: 0))
        #expect(decide(retryAfter: 40, remaining: 30) == .stop("HTTP 503; Retry-After 40.0 s is past the export deadline"))
        #expect(decide(remaining: 0.5) == .stop("HTTP 503; no time left for a retry before the export deadline"))
        guard case .retry(let wait) = decide(attempt: 2) else {
            Issue.record("expected a retry")
            return
        }
        #expect((1_200_000_000...1_500_000_000).contains(wait))
    }

    @Test func oneAttemptMeansNoRetries() {
        var config = OTLPExporterConfig.Retry()
        config.maxAttempts = 1
        var generator = SystemRandomNumberGenerator()
        let decision = RetryPolicy(config: config).decide(
            failure: "HTTP 429", retryable: true, retryAfterSeconds: nil, attempt: 1, remainingNanoseconds: .max, using: &generator
        )
        #expect(decision == .stop("HTTP 429; gave up after 1 attempt"))
    }

    @Test(arguments: [
        ("2", 2.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("Sun, 06 Nov 1994 08:49:47 GMT", 10.0),
        ("Sun, 06 Nov 1994 08:49:27 GMT", 0.0),
        ("Thu, 01 Jan 1970 00:00:00 GMT", 0.0),
    ])
    func retryAfterIsRead(value: String, seconds: Double) {
        // 784111777 is Sun, 06 Nov 1994 08:49:37 GMT, RFC 9110's example date.
        #expect(RetryAfter.seconds(from: value, unixNow: 784_111_777) == seconds)
    }

    @Test(arguments: [
        "", "-1", "1.5", "soon", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
        "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT",
    ])
    func unreadableRetryAfterFallsBackToBackoff(value: String) {
        #expect(RetryAfter.seconds(from: value, unixNow: 784_111_777) == nil)
    }

    @Test func imfFixdateMatchesKnownEpochSeconds() {
        #expect(RetryAfter.imfFixdate("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(RetryAfter.imfFixdate("Tue, 29 Feb 2028 12:00:00 GMT") == 1_835_438_400)
        #expect(RetryAfter.imfFixdate("Thu, 01 Jan 1970 00:00:00 GMT") == 0)
    }
}

@Suite struct BatchScheduleTests {
    var config: OTLPExporterConfig.Batch {
        var config = OTLPExporterConfig.Batch()
        config.maxExportBatchSize = 10
        config.scheduleDelay = .milliseconds(100)
        return config
    }

    private func next(_ queued: Int, oldest: UInt64?, now: UInt64, stopping: Bool = false) -> BatchSchedule.Step {
        BatchSchedule.next(queued: queued, oldestEnqueuedAt: oldest, now: now, stopping: stopping, config: config)
    }

    @Test func steps() {
        #expect(next(0, oldest: nil, now: 0) == .wait(untilNanoseconds: nil))
        #expect(next(3, oldest: 1_000, now: 2_000) == .wait(untilNanoseconds: 100_001_000))
        #expect(next(3, oldest: 1_000, now: 100_001_000) == .export(count: 3))
        #expect(next(10, oldest: 1_000, now: 2_000) == .export(count: 10))
        #expect(next(25, oldest: 1_000, now: 2_000) == .export(count: 10))
        #expect(next(25, oldest: 1_000, now: 2_000, stopping: true) == .export(count: 10))
        #expect(next(3, oldest: 1_000, now: 2_000, stopping: true) == .export(count: 3))
        #expect(next(0, oldest: nil, now: 2_000, stopping: true) == .finish)
    }
}
