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

    public init(retainedLimit: Int = 1 << 30) {
        self.retainedLimit = retainedLimit
    }

    public func acquire(bytes: Int) -> AlignedBuffer? {
        let size = max(bytes, 64)
        let buffer: AlignedBuffer
        if let index = idle.firstIndex(where: { $0.byteCount == size }) {
            buffer = idle.remove(at: index)
            counters.idleBytes -= size
            counters.hits += 1
        } else {
            guard let fresh = AlignedBuffer(byteCount: size) else { return nil }
            buffer = fresh
            counters.misses += 1
        }
        counters.outstandingBytes += size
        counters.peakOutstandingBytes = max(counters.peakOutstandingBytes, counters.outstandingBytes)
        return buffer
    }

    public func release(_ buffer: AlignedBuffer) {
        counters.outstandingBytes -= buffer.byteCount
        idle.append(buffer)
        counters.idleBytes += buffer.byteCount
        while counters.idleBytes > retainedLimit, !idle.isEmpty {
            counters.idleBytes -= idle.removeFirst().byteCount
        }
    }
}
