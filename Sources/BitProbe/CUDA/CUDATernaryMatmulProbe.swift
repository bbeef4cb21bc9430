import CCUDAKernels
import CKernels

/// `ternary_matmul` (BitLinear W1.58A8) on a GPU: the same inputs as the CPU probe (int8
/// activations, per-row scales, weights from {-1, 0, +1} packed bp-i2-g128), `bp_ternary_gemv`
/// for M <= 4 (token generation) and `bp_ternary_gemm` above. The kernels also write the int32
/// sums, so `TernaryMatmulVerifier` checks them exactly and the rescaled output within 2^-22.
final class CUDATernaryMatmulProbe: CUDAKernelProbe {
    private let backend: CUDABackend
    private let buffers: CUDAProbeBuffers
    let kernelRun: CUDAKernelRun
    private let m: Int, n: Int, k: Int
    private let gamma: Float
    private let xq: UnsafeMutablePointer<Int8>, scales: UnsafeMutablePointer<Float>, wq: UnsafeMutablePointer<UInt8>
    private let y: UnsafeMutablePointer<Float>, acc: UnsafeMutablePointer<Int32>
    private let deviceX: CUDADeviceBuffer, deviceScales: CUDADeviceBuffer, deviceW: CUDADeviceBuffer
    private let deviceY: CUDADeviceBuffer, deviceAcc: CUDADeviceBuffer

    init(spec: ProbeSpec, backend: CUDABackend, random: inout SeededRandom) throws(ProbeRunError) {
        self.backend = backend
        buffers = CUDAProbeBuffers(backend: backend)
        (m, n, k) = (spec.shape[0], spec.shape[1], spec.shape[2])
        guard k <= 1 << 23, n <= Int(Int32.max), m <= Int(Int32.max) else {
            throw .kernelFailed("shape \(spec.shape) exceeds the ternary kernels' limits (K <= 8388608)")
        }
        let kernel: String
        let shape: CUDALaunchShape
        if m <= Int(BP_CUDA_TERNARY_GEMV_MAX_M) {
            kernel = BP_CUDA_KERNEL_TERNARY_GEMV
            shape = CUDALaunchShape(
                grid: (UInt32(CUDAGrid.blocks(n, per: Int(BP_CUDA_TERNARY_GEMV_ROWS))), UInt32(m), 1),
                block: (UInt32(BP_CUDA_TERNARY_BLOCK), 1, 1))
        } else {
            let tile = Int(BP_CUDA_TERNARY_GEMM_TILE)
            guard CUDAGrid.blocks(m, per: tile) <= 65535 else { throw .kernelFailed("shape \(spec.shape): M exceeds bp_ternary_gemm's grid") }
            kernel = BP_CUDA_KERNEL_TERNARY_GEMM
            shape = CUDALaunchShape(
                grid: (UInt32(CUDAGrid.blocks(n, per: tile)), UInt32(CUDAGrid.blocks(m, per: tile)), 1),
                block: (UInt32(BP_CUDA_TERNARY_BLOCK), 1, 1))
        }
        let rowBytes = ternaryRowBytes(k: k)
        do {
            xq = try buffers.host(Int8.self, count: m * k)
            scales = try buffers.host(Float.self, count: m)
            wq = try buffers.host(UInt8.self, count: n * rowBytes)
            y = try buffers.host(Float.self, count: m * n)
            acc = try buffers.host(Int32.self, count: m * n)
            // The CPU probe's generator, draw for draw: same seed, same problem on both backends.
            random.fill(xq, count: m * k)
            for i in 0..<m { scales[i] = 127 / (0.25 + abs(random.nextSignedUnitFloat()) * 4) }
            gamma = 0.01 + abs(random.nextSignedUnitFloat()) * 0.05
            var row = [Int8](repeating: 0, count: k)
            let (packedWeights, width) = (wq, k)
            for j in 0..<n {
                for p in 0..<width { row[p] = Int8(Int(random.next() % 3) - 1) }
                row.withUnsafeBufferPointer { bp_ternary_pack_row($0.baseAddress, Int64(width), packedWeights + j * rowBytes) }
            }
            deviceX = try buffers.device(bytes: m * k)
            deviceScales = try buffers.device(bytes: 4 * m)
            deviceW = try buffers.device(bytes: n * rowBytes)
            deviceY = try buffers.device(bytes: 4 * m * n)
            deviceAcc = try buffers.device(bytes: 4 * m * n)
            try buffers.upload(xq, bytes: deviceX.bytes, to: deviceX)
            try buffers.upload(scales, bytes: deviceScales.bytes, to: deviceScales)
            try buffers.upload(wq, bytes: deviceW.bytes, to: deviceW)
            let (yOutput, accOutput) = (deviceY, deviceAcc)
            try backend.run { () throws(CUDAError) in
                try backend.context.fill(yOutput, byte: 0xFF)
                try backend.context.fill(accOutput, byte: 0x80)
            }
            kernelRun = try CUDAKernelRun(
                backend: backend,
                [
                    (
                        kernel, shape,
                        [
                            .buffer(deviceX), .buffer(deviceScales), .buffer(deviceW), .float(gamma), .buffer(deviceY), .buffer(deviceAcc),
                            .int32(Int32(m)), .int32(Int32(n)), .int32(Int32(k)),
                        ]
                    )
                ])
        } catch {
            buffers.releaseAll()
            throw error
        }
    }

    func verify() throws(ProbeRunError) -> VerificationReport {
        try buffers.download(deviceY, bytes: deviceY.bytes, to: y)
        try buffers.download(deviceAcc, bytes: deviceAcc.bytes, to: acc)
        return TernaryMatmulVerifier(m: m, n: n, k: k).verify(xq: xq, scales: scales, wq: wq, gamma: gamma, y: y, acc: acc)
    }

    func release() { buffers.releaseAll() }
}
