import Synchronization

/// How the shutdown deadline reaches the worker wherever it is waiting: in the queue, in a retry
/// backoff, or inside libcurl with a request in flight.
final class ShutdownSignal: Sendable {
    private let deadlineNanoseconds = Atomic<UInt64>(.max)
    /// Interrupts the transport's wait for network activity, so that it sees a new deadline
    /// at once. Called and replaced under the lock, so it never runs on a freed transport.
    private let waker = Mutex<(@Sendable () -> Void)?>(nil)

    /// CLOCK_MONOTONIC nanoseconds by which everything must stop; `.max` until shutdown begins.
    var deadline: UInt64 { deadlineNanoseconds.load(ordering: .acquiring) }

    /// Only ever moves the deadline earlier.
    func bringForward(to deadline: UInt64) {
        var current = deadlineNanoseconds.load(ordering: .relaxed)
        while deadline < current {
            let (exchanged, original) = deadlineNanoseconds.compareExchange(
                expected: current, desired: deadline, ordering: .acquiringAndReleasing
            )
            if exchanged { break }
            current = original
        }
        waker.withLock { $0?() }
    }

    /// The transport installs its waker when it is created and removes it (nil) before it is freed.
    func setWaker(_ wake: (@Sendable () -> Void)?) {
        waker.withLock { $0 = wake }
    }
}
