import Synchronization

/// What happened to probe memory on a device.
public enum MemoryEventKind: String, Codable, Sendable, CaseIterable {
    /// A fresh allocation from the system (or the device driver).
    case allocate
    /// A buffer a probe gave back to the pool (still allocated, no longer held).
    case release
    /// Memory given back to the system.
    case free
    /// A buffer served from the pool without allocating.
    case poolHit = "pool_hit"
    /// A buffer the pool could not serve, so it allocated.
    case poolMiss = "pool_miss"
    /// Host-to-device and device-to-host copies (CUDA backend).
    case transferToDevice = "transfer_h2d"
    case transferToHost = "transfer_d2h"
    /// An allocation that failed.
    case allocationFailure = "allocation_failure"
}

public struct MemoryEvent: Codable, Sendable, Equatable {
    public var kind: MemoryEventKind
    public var device: String
    public var bytes: Int
    /// The probe that caused it, when one was running.
    public var probe: String?
    public var unixSeconds: Double
    /// Bytes probes held on the device right after the event: the tracker's timeline.
    public var heldBytesAfter: Int
}

/// An allocation a probe made and had not released when it ended.
public struct MemoryLeak: Codable, Sendable, Equatable {
    public var device: String
    public var probe: String
    public var bytes: Int
    public var allocations: Int
}

/// Per-device accounting of probe memory: current and peak bytes held by probes, event counts, a
/// bounded ring of recent events, and leak detection at probe boundaries. Safe from any thread.
public final class MemoryTracker: Sendable {
    public struct DeviceTotals: Codable, Sendable, Equatable {
        /// Bytes probes hold right now (allocated, not yet released).
        public var trackedBytes = 0
        public var peakBytes = 0
        public var events: [MemoryEventKind: Int] = [:]
        /// Bytes named by the events of each kind (allocated, freed, transferred, ...).
        public var eventBytes: [MemoryEventKind: Int] = [:]

        public init() {}
    }

    private struct State {
        var devices: [String: DeviceTotals] = [:]
        var ring: [MemoryEvent] = []
        var next = 0
        var currentProbe: String?
        /// Outstanding allocations of the current probe: device → (bytes, count).
        var outstanding: [String: (bytes: Int, count: Int)] = [:]
        var leaks: [MemoryLeak] = []
    }

    public let capacity: Int
    private let state = Mutex(State())

    /// `capacity` bounds the ring of recent events (and the list of recent leaks).
    public init(capacity: Int = 1024) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// Records an event. `held` is the change in bytes held by probes (+ on acquire, - on release).
    public func record(_ kind: MemoryEventKind, device: String, bytes: Int, held: Int = 0) {
        let now = WallClock.unixSeconds()
        state.withLock { state in
            var totals = state.devices[device] ?? DeviceTotals()
            totals.events[kind, default: 0] += 1
            totals.eventBytes[kind, default: 0] += bytes
            totals.trackedBytes += held
            totals.peakBytes = max(totals.peakBytes, totals.trackedBytes)
            state.devices[device] = totals
            if state.currentProbe != nil, held != 0 {
                var entry = state.outstanding[device] ?? (0, 0)
                entry.bytes += held
                entry.count += held > 0 ? 1 : -1
                state.outstanding[device] = entry
            }
            let event = MemoryEvent(
                kind: kind, device: device, bytes: bytes, probe: state.currentProbe, unixSeconds: now,
                heldBytesAfter: totals.trackedBytes)
            if state.ring.count < capacity {
                state.ring.append(event)
            } else {
                state.ring[state.next] = event
            }
            state.next = (state.next + 1) % capacity
        }
    }

    /// Attributes the following events to `probe` until `endProbe`.
    public func beginProbe(_ probe: String) {
        state.withLock {
            $0.currentProbe = probe
            $0.outstanding = [:]
        }
    }

    /// Ends the probe's attribution and returns what it still holds (leaks), also remembered.
    @discardableResult
    public func endProbe() -> [MemoryLeak] {
        state.withLock { state in
            guard let probe = state.currentProbe else { return [] }
            let leaks = state.outstanding.filter { $0.value.bytes > 0 }.sorted { $0.key < $1.key }
                .map { MemoryLeak(device: $0.key, probe: probe, bytes: $0.value.bytes, allocations: $0.value.count) }
            state.leaks.append(contentsOf: leaks)
            if state.leaks.count > capacity { state.leaks.removeFirst(state.leaks.count - capacity) }
            state.currentProbe = nil
            state.outstanding = [:]
            return leaks
        }
    }

    public var totals: [String: DeviceTotals] { state.withLock { $0.devices } }

    /// Recent events, oldest first.
    public var recentEvents: [MemoryEvent] {
        state.withLock { state in
            state.ring.count < capacity ? state.ring : Array(state.ring[state.next...] + state.ring[..<state.next])
        }
    }

    public var leaks: [MemoryLeak] { state.withLock { $0.leaks } }
}
