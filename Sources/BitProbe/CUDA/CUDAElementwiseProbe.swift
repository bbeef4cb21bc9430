import CCUDAKernels

/// `add` and `multiply` over f32 or f16 vectors on a GPU: three streams, 16-byte vectors, one
/// launch of the grid-stride kernel. Checked exactly, like the CPU's (f16 is computed in f32 and
/// rounded once, which is correctly rounded).
final class CUDAElementwiseProbe: CUDAKernelProbe {
    private let backend: CUDABackend
    private let buffers: CUDAProbeBuffers
    let kernelRun: CUDAKernelRun
    private let isAdd: Bool
    private let dtype: DType
    private let count: Int
    private let a: UnsafeMutableRawPointer, b: UnsafeMutableRawPointer, c: UnsafeMutableRawPointer
    private let deviceA: CUDADeviceBuffer, deviceB: CUDADeviceBuffer, deviceC: CUDADeviceBuffer

    init(spec: ProbeSpec, backend: CUDABackend, random: inout SeededRandom) throws(ProbeRunError) {
        self.backend = backend
        buffers = CUDAProbeBuffers(backend: backend)
        isAdd = spec.op == .add
        dtype = spec.dtype
        count = spec.shape[0]
        let f32 = dtype == .f32
        let kernel =
            switch (isAdd, f32) {
            case (true, true): BP_CUDA_KERNEL_ADD_F32
            case (false, true): BP_CUDA_KERNEL_MUL_F32
            case (true, false): BP_CUDA_KERNEL_ADD_F16
            case (false, false): BP_CUDA_KERNEL_MUL_F16
            }
        let perBlock = Int(BP_CUDA_EW_BLOCK) * Int(f32 ? BP_CUDA_EW_VEC_F32 : BP_CUDA_EW_VEC_F16)
        let shape = CUDAGrid.linear(min(CUDAGrid.blocks(count, per: perBlock), backend.info.multiprocessors * 16), block: Int(BP_CUDA_EW_BLOCK))
        let bytes = count * (f32 ? 4 : 2)
        do {
            if f32 {
                let (a, b) = (try buffers.host(Float.self, count: count), try buffers.host(Float.self, count: count))
                random.fill(a, count: count)
                random.fill(b, count: count)
                (self.a, self.b) = (UnsafeMutableRawPointer(a), UnsafeMutableRawPointer(b))
                c = UnsafeMutableRawPointer(try buffers.host(Float.self, count: count))
            } else {
                let (a, b) = (try buffers.host(UInt16.self, count: count), try buffers.host(UInt16.self, count: count))
                random.fill(a, count: count)
                random.fill(b, count: count)
                (self.a, self.b) = (UnsafeMutableRawPointer(a), UnsafeMutableRawPointer(b))
                c = UnsafeMutableRawPointer(try buffers.host(UInt16.self, count: count))
            }
            (deviceA, deviceB, deviceC) = (try buffers.device(bytes: bytes), try buffers.device(bytes: bytes), try buffers.device(bytes: bytes))
            try buffers.upload(a, bytes: bytes, to: deviceA)
            try buffers.upload(b, bytes: bytes, to: deviceB)
            // All-ones bytes are NaN in f32 and f16: an output the kernel never wrote fails.
            let output = deviceC
            try backend.run { () throws(CUDAError) in try backend.context.fill(output, byte: 0xFF) }
            kernelRun = try CUDAKernelRun(backend: backend, [(kernel, shape, [.buffer(deviceA), .buffer(deviceB), .buffer(deviceC), .int64(Int64(count))])])
        } catch {
            buffers.releaseAll()
            throw error
        }
    }

    func verify() throws(ProbeRunError) -> VerificationReport {
        try buffers.download(deviceC, bytes: deviceC.bytes, to: c)
        let isAdd = isAdd
        if dtype == .f32 {
            let (a, b, c) = (a.assumingMemoryBound(to: Float.self), b.assumingMemoryBound(to: Float.self), c.assumingMemoryBound(to: Float.self))
            return ElementwiseVerifier.verify(
                count: count, got: { Double(c[$0]) },
                expected: { i in
                    Double(Float(isAdd ? Double(a[i]) + Double(b[i]) : Double(a[i]) * Double(b[i])))
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
