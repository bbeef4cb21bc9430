#if canImport(Glibc)
import Glibc
#endif

/// `add` and `multiply` over f32 or f16 vectors: three streams (two reads, one write).
final class CPUElementwiseProbe: PreparedProbe {
    private let kernels: CPUKernels
    private let buffers: CPUProbeBuffers
    private let op: ProbeOp
    private let dtype: DType
    private let count: Int
    private let a: UnsafeMutableRawPointer, b: UnsafeMutableRawPointer, c: UnsafeMutableRawPointer

    init(spec: ProbeSpec, kernels: CPUKernels, pool: BufferPool, random: inout SeededRandom) throws(ProbeRunError) {
        self.kernels = kernels
        self.buffers = CPUProbeBuffers(pool: pool)
        self.op = spec.op
        self.dtype = spec.dtype
        count = spec.shape[0]
        do {
            if dtype == .f32 {
                let (a, b, c) = (
                    try buffers.allocate(Float.self, count: count), try buffers.allocate(Float.self, count: count),
                    try buffers.allocate(Float.self, count: count)
                )
                try kernels.inSlices(of: count) { random.fill(a + $0, count: $1) }
                try kernels.inSlices(of: count) { random.fill(b + $0, count: $1) }
                c.poison(count: count)
                (self.a, self.b, self.c) = (UnsafeMutableRawPointer(a), UnsafeMutableRawPointer(b), UnsafeMutableRawPointer(c))
            } else {
                let (a, b, c) = (
                    try buffers.allocate(UInt16.self, count: count), try buffers.allocate(UInt16.self, count: count),
                    try buffers.allocate(UInt16.self, count: count)
                )
                try kernels.inSlices(of: count) { random.fill(a + $0, count: $1) }
                try kernels.inSlices(of: count) { random.fill(b + $0, count: $1) }
                c.poison(count: count)
                (self.a, self.b, self.c) = (UnsafeMutableRawPointer(a), UnsafeMutableRawPointer(b), UnsafeMutableRawPointer(c))
            }
        } catch {
            buffers.releaseAll()
            throw error
        }
    }

    func runIteration() throws(ProbeRunError) -> Double {
        let (kernels, count, isAdd) = (kernels, count, op == .add)
        if dtype == .f32 {
            let (a, b, c) = (a.assumingMemoryBound(to: Float.self), b.assumingMemoryBound(to: Float.self), c.assumingMemoryBound(to: Float.self))
            return try timeKernel { () throws(ProbeRunError) in
                if isAdd { try kernels.addF32(a, b, c, count: count) } else { try kernels.mulF32(a, b, c, count: count) }
            }
        }
        let (a, b, c) = (a.assumingMemoryBound(to: UInt16.self), b.assumingMemoryBound(to: UInt16.self), c.assumingMemoryBound(to: UInt16.self))
        return try timeKernel { () throws(ProbeRunError) in
            if isAdd { try kernels.addF16(a, b, c, count: count) } else { try kernels.mulF16(a, b, c, count: count) }
        }
    }

    func verify() -> VerificationReport {
        let isAdd = op == .add
        if dtype == .f32 {
            let (a, b, c) = (a.assumingMemoryBound(to: Float.self), b.assumingMemoryBound(to: Float.self), c.assumingMemoryBound(to: Float.self))
            return ElementwiseVerifier.verify(
                count: count, got: { Double(c[$0]) },
                expected: { i in
                    let exact = isAdd ? Double(a[i]) + Double(b[i]) : Double(a[i]) * Double(b[i])
                    return Double(Float(exact))
                })
        }
        let (a, b, c) = (a.assumingMemoryBound(to: UInt16.self), b.assumingMemoryBound(to: UInt16.self), c.assumingMemoryBound(to: UInt16.self))
        return ElementwiseVerifier.verify(
            count: count, got: { f16ToDouble(c[$0]) },
            expected: { i in
                let (x, y) = (f16ToDouble(a[i]), f16ToDouble(b[i]))
                return Double(Float16(isAdd ? x + y : x * y))
            })
    }

    func release() { buffers.releaseAll() }
}

/// `copy`: memory bandwidth, counted as bytes read plus bytes written.
final class CPUCopyProbe: PreparedProbe {
    private let kernels: CPUKernels
    private let buffers: CPUProbeBuffers
    private let bytes: Int
    private let source: UnsafeMutablePointer<UInt8>, destination: UnsafeMutablePointer<UInt8>

    init(spec: ProbeSpec, kernels: CPUKernels, pool: BufferPool, random: inout SeededRandom) throws(ProbeRunError) {
        self.kernels = kernels
        self.buffers = CPUProbeBuffers(pool: pool)
        bytes = spec.shape[0]
        do {
            source = try buffers.allocate(UInt8.self, count: bytes)
            destination = try buffers.allocate(UInt8.self, count: bytes)
        } catch {
            buffers.releaseAll()
            throw error
        }
        let (source, destination) = (source, destination)
        do {
            try kernels.inSlices(of: bytes) { random.fill(source + $0, count: $1) }
            // Differs from every source byte, so an uncopied byte cannot pass.
            try kernels.inSlices(of: bytes) { offset, count in
                for i in offset..<(offset + count) { destination[i] = ~source[i] }
            }
        } catch {
            buffers.releaseAll()
            throw error
        }
    }

    func runIteration() throws(ProbeRunError) -> Double {
        let (kernels, source, destination, bytes) = (kernels, source, destination, bytes)
        return try timeKernel { () throws(ProbeRunError) in try kernels.copy(source, destination, bytes: bytes) }
    }

    func verify() -> VerificationReport {
        var collector = MismatchCollector(tolerance: "byte-exact")
        if memcmp(source, destination, bytes) == 0 {
            return VerificationReport(checkedValues: bytes, wrongValues: 0, worstErrorRatio: 0, tolerance: collector.tolerance, firstMismatch: nil)
        }
        for i in 0..<bytes { collector.checkExact(got: destination[i], expected: source[i]) { "byte[\(i)]" } }
        return collector.report
    }

    func release() { buffers.releaseAll() }
}
