import CCUDAKernels

/// Rows of a large quantization output the GPU probes check (the first, the last and evenly spaced
/// ones): copying a whole output back is cheap, checking every row of it on the host is not.
let cudaQuantizeVerifiedRows = 64

/// `quantize_weights` (absmean ternary) on a GPU: three launches in the stream — partial sums of
/// |W| in double, gamma, and the bp-i2-g128 pack — timed together as one iteration (and repeated
/// together when the sequence is short: `CUDAKernelRun`).
final class CUDAQuantizeWeightsProbe: CUDAKernelProbe {
    private let backend: CUDABackend
    private let buffers: CUDAProbeBuffers
    let kernelRun: CUDAKernelRun
    private let dtype: DType
    private let rows: Int, cols: Int
    private let w: UnsafeMutableRawPointer
    private let packed: UnsafeMutablePointer<UInt8>
    private let gamma: UnsafeMutablePointer<Float>
    private let deviceW: CUDADeviceBuffer, devicePartial: CUDADeviceBuffer, deviceGamma: CUDADeviceBuffer, devicePacked: CUDADeviceBuffer

    init(spec: ProbeSpec, backend: CUDABackend, random: inout SeededRandom) throws(ProbeRunError) {
        self.backend = backend
        buffers = CUDAProbeBuffers(backend: backend)
        dtype = spec.dtype
        (rows, cols) = (spec.shape[0], spec.shape[1])
        guard rows <= Int(Int32.max), cols <= Int(Int32.max) else { throw .kernelFailed("shape \(spec.shape) exceeds the kernel's int32 dimensions") }
        let count = rows * cols
        let partials = CUDAGrid.blocks(count, per: Int(BP_CUDA_QW_CHUNK))
        let groups = rows * CUDAGrid.blocks(cols, per: 128)
        let packShape = CUDAGrid.linear(min(CUDAGrid.blocks(groups, per: 8), backend.info.multiprocessors * 32), block: Int(BP_CUDA_QW_BLOCK))
        let packedBytes = rows * ternaryRowBytes(k: cols)
        do {
            if dtype == .f32 {
                let w = try buffers.host(Float.self, count: count)
                random.fill(w, count: count)
                self.w = UnsafeMutableRawPointer(w)
            } else {
                let w = try buffers.host(UInt16.self, count: count)
                random.fill(w, count: count)
                self.w = UnsafeMutableRawPointer(w)
            }
            packed = try buffers.host(UInt8.self, count: packedBytes)
            gamma = try buffers.host(Float.self, count: 1)
            deviceW = try buffers.device(bytes: count * dtype.floatElementBytes)
            devicePartial = try buffers.device(bytes: 8 * partials)
            deviceGamma = try buffers.device(bytes: 4)
            devicePacked = try buffers.device(bytes: packedBytes)
            try buffers.upload(w, bytes: deviceW.bytes, to: deviceW)
            let (packedOutput, gammaOutput) = (devicePacked, deviceGamma)
            try backend.run { () throws(CUDAError) in
                try backend.context.fill(packedOutput, byte: 0xFF)
                try backend.context.fill(gammaOutput, byte: 0xFF)
            }
            let f32 = dtype == .f32
            let block = Int(BP_CUDA_QW_BLOCK)
            kernelRun = try CUDAKernelRun(
                backend: backend,
                [
                    (
                        f32 ? BP_CUDA_KERNEL_QW_ABSUM_F32 : BP_CUDA_KERNEL_QW_ABSUM_F16, CUDAGrid.linear(partials, block: block),
                        [.buffer(deviceW), .int64(Int64(count)), .buffer(devicePartial)]
                    ),
                    (
                        BP_CUDA_KERNEL_QW_GAMMA, CUDAGrid.linear(1, block: block),
                        [.buffer(devicePartial), .int64(Int64(partials)), .int64(Int64(count)), .buffer(deviceGamma)]
                    ),
                    (
                        f32 ? BP_CUDA_KERNEL_QW_PACK_F32 : BP_CUDA_KERNEL_QW_PACK_F16, packShape,
                        [.buffer(deviceW), .int32(Int32(rows)), .int32(Int32(cols)), .buffer(deviceGamma), .buffer(devicePacked)]
                    ),
                ])
        } catch {
            buffers.releaseAll()
            throw error
        }
    }

    func verify() throws(ProbeRunError) -> VerificationReport {
        try buffers.download(devicePacked, bytes: devicePacked.bytes, to: packed)
        try buffers.download(deviceGamma, bytes: 4, to: gamma)
        let sampled = SampledIndices.evenly(count: rows, limit: cudaQuantizeVerifiedRows)
        if dtype == .f32 {
            let w = w.assumingMemoryBound(to: Float.self)
            return QuantizationVerifier.verifyWeights(
                rows: rows, cols: cols, value: { Double(w[$0]) }, packed: packed, gamma: gamma.pointee, sampledRows: sampled)
        }
        let w = w.assumingMemoryBound(to: UInt16.self)
        return QuantizationVerifier.verifyWeights(
            rows: rows, cols: cols, value: { f16ToDouble(w[$0]) }, packed: packed, gamma: gamma.pointee, sampledRows: sampled)
    }

    func release() { buffers.releaseAll() }
}

/// `quantize_activations` (per-row absmax int8) on a GPU: one block per row.
final class CUDAQuantizeActivationsProbe: CUDAKernelProbe {
    private let backend: CUDABackend
    private let buffers: CUDAProbeBuffers
    let kernelRun: CUDAKernelRun
    private let dtype: DType
    private let rows: Int, cols: Int
    private let x: UnsafeMutableRawPointer
    private let q: UnsafeMutablePointer<Int8>
    private let scales: UnsafeMutablePointer<Float>
    private let deviceX: CUDADeviceBuffer, deviceQ: CUDADeviceBuffer, deviceScales: CUDADeviceBuffer

    init(spec: ProbeSpec, backend: CUDABackend, random: inout SeededRandom) throws(ProbeRunError) {
        self.backend = backend
        buffers = CUDAProbeBuffers(backend: backend)
        dtype = spec.dtype
        (rows, cols) = (spec.shape[0], spec.shape[1])
        guard rows < Int(Int32.max), cols <= Int(Int32.max) else { throw .kernelFailed("shape \(spec.shape) exceeds the kernel's int32 dimensions") }
        let count = rows * cols
        do {
            if dtype == .f32 {
                let x = try buffers.host(Float.self, count: count)
                random.fill(x, count: count)
                self.x = UnsafeMutableRawPointer(x)
            } else {
                let x = try buffers.host(UInt16.self, count: count)
                random.fill(x, count: count)
                self.x = UnsafeMutableRawPointer(x)
            }
            q = try buffers.host(Int8.self, count: count)
            scales = try buffers.host(Float.self, count: rows)
            deviceX = try buffers.device(bytes: count * dtype.floatElementBytes)
            deviceQ = try buffers.device(bytes: count)
            deviceScales = try buffers.device(bytes: 4 * rows)
            try buffers.upload(x, bytes: deviceX.bytes, to: deviceX)
            let scalesOutput = deviceScales
            try backend.run { () throws(CUDAError) in try backend.context.fill(scalesOutput, byte: 0xFF) }
            kernelRun = try CUDAKernelRun(
                backend: backend,
                [
                    (
                        dtype == .f32 ? BP_CUDA_KERNEL_QA_F32 : BP_CUDA_KERNEL_QA_F16, CUDAGrid.linear(rows, block: Int(BP_CUDA_QA_BLOCK)),
                        [.buffer(deviceX), .int32(Int32(rows)), .int32(Int32(cols)), .buffer(deviceQ), .buffer(deviceScales)]
                    )
                ])
        } catch {
            buffers.releaseAll()
            throw error
        }
    }

    func verify() throws(ProbeRunError) -> VerificationReport {
        try buffers.download(deviceQ, bytes: deviceQ.bytes, to: q)
        try buffers.download(deviceScales, bytes: deviceScales.bytes, to: scales)
        let sampled = SampledIndices.evenly(count: rows, limit: cudaQuantizeVerifiedRows)
        if dtype == .f32 {
            let x = x.assumingMemoryBound(to: Float.self)
            return QuantizationVerifier.verifyActivations(rows: rows, cols: cols, value: { Double(x[$0]) }, q: q, scales: scales, sampledRows: sampled)
        }
        let x = x.assumingMemoryBound(to: UInt16.self)
        return QuantizationVerifier.verifyActivations(rows: rows, cols: cols, value: { f16ToDouble(x[$0]) }, q: q, scales: scales, sampledRows: sampled)
    }

    func release() { buffers.releaseAll() }
}
