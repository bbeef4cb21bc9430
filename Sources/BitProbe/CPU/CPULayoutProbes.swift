/// `strided_add`: `add` in f32 with both inputs read `stride` elements apart, written
/// contiguously. Shape `N x STRIDE`; verified exactly like `add` (a float32 sum is correctly
/// rounded, so the float64 sum rounded to float32 is the only right answer).
final class CPUStridedAddProbe: PreparedProbe {
    private let kernels: CPUKernels
    private let buffers: CPUProbeBuffers
    private let count: Int
    private let stride: Int
    private let a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>

    init(spec: ProbeSpec, kernels: CPUKernels, pool: BufferPool, random: inout SeededRandom) throws(ProbeRunError) {
        self.kernels = kernels
        self.buffers = CPUProbeBuffers(pool: pool)
        count = spec.shape[0]
        stride = spec.shape[1]
        let span = (count - 1) * stride + 1
        do {
            a = try buffers.allocate(Float.self, count: span)
            b = try buffers.allocate(Float.self, count: span)
            c = try buffers.allocate(Float.self, count: count)
        } catch {
            buffers.releaseAll()
            throw error
        }
        random.fill(a, count: span)
        random.fill(b, count: span)
        c.poison(count: count)
    }

    func runIteration() throws(ProbeRunError) -> Double {
        let (kernels, a, b, c, count, stride) = (kernels, a, b, c, count, stride)
        return try timeKernel { () throws(ProbeRunError) in try kernels.stridedAddF32(a, b, c, count: count, stride: stride) }
    }

    func verify() -> VerificationReport {
        let (a, b, c, stride) = (a, b, c, stride)
        return ElementwiseVerifier.verify(
            count: count, got: { Double(c[$0]) },
            expected: { i in
                Double(Float(Double(a[i * stride]) + Double(b[i * stride])))
            })
    }

    func release() { buffers.releaseAll() }
}
