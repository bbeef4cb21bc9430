import CKernels

/// A 64-byte-aligned allocation owned by a `BufferPool`.
public final class AlignedBuffer {
    public let byteCount: Int
    let raw: UnsafeMutableRawPointer

    fileprivate init?(byteCount: Int) {
        guard let pointer = bp_aligned_alloc(byteCount) else { return nil }
        self.byteCount = byteCount
        self.raw = pointer
    }

    deinit { bp_aligned_free(raw) }

    func typed<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        precondition(count * MemoryLayout<T>.stride <= byteCount)
        return raw.bindMemory(to: type, capacity: count)
    }
}

/// Reuses probe buffers across iterations and cycles, so a steady agent allocates nothing after its
/// first cycle. Buffers are kept by exact size; the pool holds at most `retainedLimit` bytes of
/// idle buffers and frees the oldest beyond that.
public final class BufferPool {
    public struct Counters: Equatable, Sendable {
        public var hits = 0
        public var misses = 0
        public var outstandingBytes = 0
        public var peakOutstandingBytes = 0
        public var idleBytes = 0
    }

    private var idle: [AlignedBuffer] = []
    public private(set) var counters = Counters()
    public let retainedLimit: Int
    private let tracker: MemoryTracker?
    private let device: String

    /// Every acquire, release, allocation and free is reported to `tracker` for `device`.
    public init(retainedLimit: Int = 1 << 30, tracker: MemoryTracker? = nil, device: String = "cpu0") {
        self.retainedLimit = retainedLimit
        self.tracker = tracker
        self.device = device
    }

    public func acquire(bytes: Int) -> AlignedBuffer? {
        let size = max(bytes, 64)
        let buffer: AlignedBuffer
        if let index = idle.firstIndex(where: { $0.byteCount == size }) {
            buffer = idle.remove(at: index)
            counters.idleBytes -= size
            counters.hits += 1
            tracker?.record(.poolHit, device: device, bytes: size, held: size)
        } else {
            // Idle buffers of other sizes go back to the system first if keeping them would push
            // the pool past its limit together with this allocation.
            while !idle.isEmpty, counters.idleBytes + size > retainedLimit { evictOldest() }
            guard let fresh = AlignedBuffer(byteCount: size) else {
                tracker?.record(.allocationFailure, device: device, bytes: size)
                return nil
            }
            buffer = fresh
            counters.misses += 1
            tracker?.record(.poolMiss, device: device, bytes: size)
            tracker?.record(.allocate, device: device, bytes: size, held: size)
        }
        counters.outstandingBytes += size
        counters.peakOutstandingBytes = max(counters.peakOutstandingBytes, counters.outstandingBytes)
        return buffer
    }

    public func release(_ buffer: AlignedBuffer) {
        counters.outstandingBytes -= buffer.byteCount
        tracker?.record(.release, device: device, bytes: buffer.byteCount, held: -buffer.byteCount)
        idle.append(buffer)
        counters.idleBytes += buffer.byteCount
        while counters.idleBytes > retainedLimit, !idle.isEmpty { evictOldest() }
    }

    /// Gives every idle buffer back to the system. The agent trims after each cycle: between
    /// cycles (95 % of its life) it should hold no probe memory, and re-allocating once per cycle
    /// costs only the untimed prepare phase.
    public func trim() {
        while !idle.isEmpty { evictOldest() }
    }

    private func evictOldest() {
        let buffer = idle.removeFirst()
        counters.idleBytes -= buffer.byteCount
        tracker?.record(.free, device: device, bytes: buffer.byteCount)
    }
}
