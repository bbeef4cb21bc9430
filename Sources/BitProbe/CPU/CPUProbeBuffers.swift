/// The buffers of one prepared CPU probe, taken from the backend's pool and returned together.
final class CPUProbeBuffers {
    private let pool: BufferPool
    private var held: [AlignedBuffer] = []

    init(pool: BufferPool) { self.pool = pool }

    func allocate<T>(_ type: T.Type, count: Int) throws(ProbeRunError) -> UnsafeMutablePointer<T> {
        let bytes = count * MemoryLayout<T>.stride
        guard let buffer = pool.acquire(bytes: bytes) else { throw .allocationFailed(bytes: bytes) }
        held.append(buffer)
        return buffer.typed(type, count: count)
    }

    func releaseAll() {
        for buffer in held { pool.release(buffer) }
        held.removeAll()
    }
}

/// Times one kernel call on the monotonic clock. CPU kernels return only when every thread of the
/// pool has finished its share, so the interval covers the complete work.
@inline(__always)
func timeKernel(_ body: () throws(ProbeRunError) -> Void) throws(ProbeRunError) -> Double {
    let start = MonotonicClock.nanoseconds()
    try body()
    return Double(MonotonicClock.nanoseconds() - start) / 1e9
}

extension UnsafeMutablePointer where Pointee == Float {
    /// Fills with quiet NaN, so an output the kernel never wrote fails verification.
    func poison(count: Int) { update(repeating: .nan, count: count) }
}

extension UnsafeMutablePointer where Pointee == UInt16 {
    /// Fills with the f16 quiet NaN pattern.
    func poison(count: Int) { update(repeating: 0x7E00, count: count) }
}

@inline(__always)
func f16ToDouble(_ bits: UInt16) -> Double { Double(Float16(bitPattern: bits)) }
