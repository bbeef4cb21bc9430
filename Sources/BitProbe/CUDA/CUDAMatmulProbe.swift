import CCUDAKernels

/// `matmul` on a GPU: f32 on CUDA cores (`bp_matmul_f32`), f16 and bf16 on tensor cores with f32
/// accumulation (`bp_matmul_f16` / `bp_matmul_bf16`, the 3-stage kernels that need no shared
/// memory opt-in, unless BITPROBE_CUDA_MATMUL_KERNEL chooses another: `CUDAMatmulVariant`).
/// Checked with the CPU's `MatmulVerifier` on sampled rows and columns; for the tensor cores the
/// accumulation term uses 2^-23 (their f32 accumulation truncates) and bf16's output term is its
/// unit roundoff 2^-8 (docs/probes.md, "Verification").
final class CUDAMatmulProbe: CUDAKernelProbe {
    private let backend: CUDABackend
    private let buffers: CUDAProbeBuffers
    let kernelRun: CUDAKernelRun
    private let dtype: DType
    private let m: Int, n: Int, k: Int
    private let a: UnsafeMutableRawPointer, b: UnsafeMutableRawPointer, c: UnsafeMutableRawPointer
    private let deviceA: CUDADeviceBuffer, deviceB: CUDADeviceBuffer, deviceC: CUDADeviceBuffer

    init(spec: ProbeSpec, backend: CUDABackend, random: inout SeededRandom) throws(ProbeRunError) {
        self.backend = backend
        buffers = CUDAProbeBuffers(backend: backend)
        dtype = spec.dtype
        (m, n, k) = (spec.shape[0], spec.shape[1], spec.shape[2])
        guard m <= Int(Int32.max), n <= Int(Int32.max), k <= Int(Int32.max) else {
            throw .kernelFailed("shape \(spec.shape) exceeds the kernel's int32 dimensions")
        }
        let kernel: String
        let shape: CUDALaunchShape
        if dtype == .f32 {
            let tile = Int(BP_CUDA_MATMUL_F32_TILE_M)
            guard CUDAGrid.blocks(m, per: tile) <= 65535 else {
                throw .kernelFailed("shape \(spec.shape): M over \(65535 * tile) exceeds bp_matmul_f32's grid")
            }
            kernel = BP_CUDA_KERNEL_MATMUL_F32
            shape = CUDALaunchShape(
                grid: (UInt32(CUDAGrid.blocks(n, per: Int(BP_CUDA_MATMUL_F32_TILE_N))), UInt32(CUDAGrid.blocks(m, per: tile)), 1),
                block: (UInt32(BP_CUDA_MATMUL_F32_BLOCK), 1, 1))
        } else {
            let variant = backend.matmulVariant
            let tiles = CUDAGrid.blocks(m, per: Int(BP_CUDA_MATMUL_TC_TILE_M)) * CUDAGrid.blocks(n, per: variant.tileN)
            // grid.x is at most 2^31 - 1.
            guard tiles <= Int(Int32.max) else { throw .kernelFailed("shape \(spec.shape) needs more tiles than one grid holds") }
            kernel = variant.kernel(bf16: dtype == .bf16)
            shape = CUDAGrid.linear(tiles, block: Int(BP_CUDA_MATMUL_TC_BLOCK), sharedBytes: variant.sharedBytes)
        }
        let element = dtype.floatElementBytes
        do {
            switch dtype {
            case .f32:
                let (a, b) = (try buffers.host(Float.self, count: m * k), try buffers.host(Float.self, count: k * n))
                random.fill(a, count: m * k)
                random.fill(b, count: k * n)
                (self.a, self.b) = (UnsafeMutableRawPointer(a), UnsafeMutableRawPointer(b))
            case .f16:
                let (a, b) = (try buffers.host(UInt16.self, count: m * k), try buffers.host(UInt16.self, count: k * n))
                random.fill(a, count: m * k)
                random.fill(b, count: k * n)
                (self.a, self.b) = (UnsafeMutableRawPointer(a), UnsafeMutableRawPointer(b))
            default:
                let (a, b) = (try buffers.host(UInt16.self, count: m * k), try buffers.host(UInt16.self, count: k * n))
                random.fillBFloat16(a, count: m * k)
                random.fillBFloat16(b, count: k * n)
                (self.a, self.b) = (UnsafeMutableRawPointer(a), UnsafeMutableRawPointer(b))
            }
            c = UnsafeMutableRawPointer(try buffers.host(UInt8.self, count: m * n * element))
            deviceA = try buffers.device(bytes: m * k * element)
            deviceB = try buffers.device(bytes: k * n * element)
            deviceC = try buffers.device(bytes: m * n * element)
            try buffers.upload(a, bytes: deviceA.bytes, to: deviceA)
            try buffers.upload(b, bytes: deviceB.bytes, to: deviceB)
            // All-ones bytes are NaN in f32, f16 and bf16.
            let output = deviceC
            try backend.run { () throws(CUDAError) in try backend.context.fill(output, byte: 0xFF) }
            kernelRun = try CUDAKernelRun(
                backend: backend,
                [
                    (
                        kernel, shape,
                        [
                            .buffer(deviceA), .buffer(deviceB), .buffer(deviceC), .int32(Int32(m)), .int32(Int32(n)), .int32(Int32(k)),
                        ]
                    )
                ])
        } catch {
            buffers.releaseAll()
            throw error
        }
    }

    func verify() throws(ProbeRunError) -> VerificationReport {
        try buffers.download(deviceC, bytes: deviceC.bytes, to: c)
        switch dtype {
        case .f32:
            let (a, b, c) = (a.assumingMemoryBound(to: Float.self), b.assumingMemoryBound(to: Float.self), c.assumingMemoryBound(to: Float.self))
            return MatmulVerifier(m: m, n: n, k: k, outputRoundoff: 0).verify(a: { Double(a[$0]) }, b: { Double(b[$0]) }, c: { Double(c[$0]) })
        case .f16:
            let (a, b, c) = (a.assumingMemoryBound(to: UInt16.self), b.assumingMemoryBound(to: UInt16.self), c.assumingMemoryBound(to: UInt16.self))
            return MatmulVerifier(m: m, n: n, k: k, outputRoundoff: 0x1p-11, accumulationRoundoff: Self.tensorCoreAccumulation)
                .verify(a: { f16ToDouble(a[$0]) }, b: { f16ToDouble(b[$0]) }, c: { f16ToDouble(c[$0]) })
        default:
            let (a, b, c) = (a.assumingMemoryBound(to: UInt16.self), b.assumingMemoryBound(to: UInt16.self), c.assumingMemoryBound(to: UInt16.self))
            return MatmulVerifier(m: m, n: n, k: k, outputRoundoff: BFloat16.unitRoundoff, accumulationRoundoff: Self.tensorCoreAccumulation)
                .verify(a: { BFloat16.double(a[$0]) }, b: { BFloat16.double(b[$0]) }, c: { BFloat16.double(c[$0]) })
        }
    }

    func release() { buffers.releaseAll() }

    /// Tensor cores accumulate in f32 with truncation rather than rounding to nearest (found on
    /// V100, T4 and A100 by Fasi, Higham, Mikaitis and Pranesh, "Numerical behavior of NVIDIA
    /// tensor cores", PeerJ Computer Science, 2021; not checked on newer GPUs here), so a step's
    /// error is up to 2^-23, not 2^-24.
    static let tensorCoreAccumulation = 0x1p-23
}
