/// When to try again to bring back a GPU whose context broke: 1 s after it went down, then 2 s,
/// 4 s, … doubling after every failed attempt, capped at 5 minutes. A GPU that fell off the bus
/// costs one cheap attempt every 5 minutes; one that hit a transient fault is back within seconds.
/// A GPU that goes down again within 5 minutes of a recovery continues the doubling
/// (`CUDAPlatform.markDown`), so one whose recovery succeeds but whose probes keep failing is not
/// retried every second.
public struct CUDARecoveryBackoff: Sendable, Equatable {
    public static let firstDelay = 1.0
    public static let maximumDelay = 300.0

    /// Failed recovery attempts so far.
    public private(set) var attempts = 0
    /// Monotonic seconds (MonotonicClock) of the next attempt.
    public private(set) var nextAttempt: Double

    /// `failures`: failed attempts to count already (a GPU down again soon after a recovery).
    public init(downAt now: Double, failures: Int = 0) {
        attempts = failures
        nextAttempt = now + Self.delay(afterFailures: failures)
    }

    public var delay: Double { Self.delay(afterFailures: attempts) }

    public static func delay(afterFailures failures: Int) -> Double {
        var delay = firstDelay
        for _ in 0..<failures where delay < maximumDelay { delay *= 2 }
        return min(delay, maximumDelay)
    }

    public func isDue(at now: Double) -> Bool { now >= nextAttempt }

    /// Records a failed attempt at `now` and schedules the next one.
    public mutating func failed(at now: Double) {
        attempts += 1
        nextAttempt = now + delay
    }
}
