import Dispatch
import Synchronization
import Testing

@testable import Agent

/// An Alertmanager that accepts and never answers (issue 12): shutdown waited for every queued post
/// (over 90 s), and the queue grew without bound meanwhile.
@Suite struct AlertmanagerNotifierTests {
    func firing(_ name: String) -> RuleEngine.Alert {
        RuleEngine.Alert(labels: ["alertname": name], annotations: [:], state: .firing, activeAt: 0, firedAt: 0, resolvedAt: nil, value: 1)
    }

    @Test func aReceiverThatNeverAnswersNeitherGrowsTheQueueNorHoldsUpShutdown() {
        let entered = DispatchSemaphore(value: 0)
        let never = DispatchSemaphore(value: 0)
        let notifier = AlertmanagerNotifier(resendInterval: 1, timeout: 3600, generatorURL: "http://node:9961/api/v1/alerts") { _, _ in
            entered.signal()
            never.wait()
            return nil
        }
        notifier.notify([firing("First")], now: 0)
        entered.wait()
        // One post is in flight; 20 more arrive, of which the newest 8 may wait.
        for second in 1...20 { notifier.notify([firing("First")], now: Double(second)) }
        #expect(notifier.counters == AlertmanagerNotifier.Counters(sent: 0, failed: 0, dropped: 12))
        let start = ContinuousClock.now
        #expect(notifier.shutdown(deadline: 0.3) == false)
        #expect(ContinuousClock.now - start < .seconds(2))
        #expect(notifier.counters.dropped == 20)
        notifier.notify([firing("Late")], now: 30)
        #expect(notifier.counters.dropped == 21)
        never.signal()
    }

    @Test func shutdownWaitsForPostsThatFinishInTime() {
        let posted = Mutex(0)
        let notifier = AlertmanagerNotifier(resendInterval: 1, timeout: 1, generatorURL: "http://node:9961/api/v1/alerts") { _, _ in
            posted.withLock { $0 += 1 }
            return 200
        }
        for second in 0..<3 { notifier.notify([firing("A")], now: Double(second)) }
        #expect(notifier.shutdown(deadline: 5) == true)
        #expect(posted.withLock { $0 } == 3)
        #expect(notifier.counters == AlertmanagerNotifier.Counters(sent: 3, failed: 0, dropped: 0))
    }
}
