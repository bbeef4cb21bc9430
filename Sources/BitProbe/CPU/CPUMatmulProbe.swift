/// `matmul` f32 and f16 (f16 storage, f32 accumulation): C[M,N] = A[M,K] . B[K,N].
final class CPUMatmulProbe: PreparedProbe {
    private let kernels: CPUKernels
    private let buffers: CPUProbeBuffers
    private let dtype: DType
    private let m: Int, n: Int, k: Int
    private let a: UnsafeMutableRawPointer, b: UnsafeMutableRawPointer, c: UnsafeMutableRawPointer

    init(spec: ProbeSpec, kernels: CPUKernels, pool: BufferPool, random: inout SeededRandom) throws(ProbeRunError) {
        self.kernels = kernels
        self.buffers = CPUProbeBuffers(pool: pool)
        self.dtype = spec.dtype
        (m, n, k) = (spec.shape[0], spec.shape[1], spec.shape[2])
        do {
            switch dtype {
            case .f32:
                let a = try buffers.allocate(Float.self, count: m * k)
                let b = try buffers.allocate(Float.self, count: k * n)
                let c = try buffers.allocate(Float.self, count: m * n)
                try kernels.inSlices(of: m * k) { random.fill(a + $0, count: $1) }
                try kernels.inSlices(of: k * n) { random.fill(b + $0, count: $1) }
                c.poison(count: m * n)
                (self.a, self.b, self.c) = (UnsafeMutableRawPointer(a), UnsafeMutableRawPointer(b), UnsafeMutableRawPointer(c))
            default:
                let a = try buffers.allocate(UInt16.self, count: m * k)
                let b = try buffers.allocate(UInt16.self, count: k * n)
                let c = try buffers.allocate(UInt16.self, count: m * n)
                try kernels.inSlices(of: m * k) { random.fill(a + $0, count: $1) }
                try kernels.inSlices(of: k * n) { random.fill(b + $0, count: $1) }
                c.poison(count: m * n)
                (self.a, self.b, self.c) = (UnsafeMutableRawPointer(a), UnsafeMutableRawPointer(b), UnsafeMutableRawPointer(c))
            }
        } catch {
            buffers.releaseAll()
            throw error
        }
    }

    func runIteration() throws(ProbeRunError) -> Double {
        let (kernels, m, n, k) = (kernels, m, n, k)
        if dtype == .f32 {
            let (a, b, c) = (a.assumingMemoryBound(to: Float.self), b.assumingMemoryBound(to: Float.self), c.assumingMemoryBound(to: Float.self))
            return try timeKernel { () throws(ProbeRunError) in try kernels.matmulF32(a, b, c, m: m, n: n, k: k) }
        }
        let (a, b, c) = (a.assumingMemoryBound(to: UInt16.self), b.assumingMemoryBound(to: UInt16.self), c.assumingMemoryBound(to: UInt16.self))
        return try timeKernel { () throws(ProbeRunError) in try kernels.matmulF16(a, b, c, m: m, n: n, k: k) }
    }

    func verify() -> VerificationReport {
        if dtype == .f32 {
            let (a, b, c) = (a.assumingMemoryBound(to: Float.self), b.assumingMemoryBound(to: Float.self), c.assumingMemoryBound(to: Float.self))
            return MatmulVerifier(m: m, n: n, k: k, outputRoundoff: 0)
                .verify(a: { Double(a[$0]) }, b: { Double(b[$0]) }, c: { Double(c[$0]) })
        }
        let (a, b, c) = (a.assumingMemoryBound(to: UInt16.self), b.assumingMemoryBound(to: UInt16.self), c.assumingMemoryBound(to: UInt16.self))
        return MatmulVerifier(m: m, n: n, k: k, outputRoundoff: 0x1p-11)
            .verify(a: { f16ToDouble(a[$0]) }, b: { f16ToDouble(b[$0]) }, c: { f16ToDouble(c[$0]) })
    }

    func release() { buffers.releaseAll() }
}
