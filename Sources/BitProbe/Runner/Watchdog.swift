import Dispatch
import Synchronization

/// Cancels the backend's work in flight when a probe passes its deadline. Disarming is final:
/// once `disarm()` returns, the cancel action of that arming can no longer run, so a late timer
/// never cancels the next probe.
final class Watchdog: Sendable {
    private let generation = Mutex<UInt64>(0)
    private let queue = DispatchQueue(label: "bitprobe.watchdog")

    /// Calls `onExpiry` after `seconds`, unless disarmed first.
    func arm(seconds: Double, onExpiry: @escaping @Sendable () -> Void) {
        let armed = generation.withLock { value -> UInt64 in
            value &+= 1
            return value
        }
        let nanoseconds = Int(min(seconds, 1e9) * 1e9)
        queue.asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { [self] in
            generation.withLock { current in
                if current == armed { onExpiry() }
            }
        }
    }

    func disarm() {
        generation.withLock { $0 &+= 1 }
    }
}
