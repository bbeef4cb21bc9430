import CKernels

/// `ternary_matmul` (BitLinear W1.58A8): int8 activations with per-row scales times packed ternary
/// weights with one scale, exact int32 accumulation, rescaled to f32.
final class CPUTernaryMatmulProbe: PreparedProbe {
    private let kernels: CPUKernels
    private let buffers: CPUProbeBuffers
    private let m: Int, n: Int, k: Int
    private let xq: UnsafeMutablePointer<Int8>
    private let scales: UnsafeMutablePointer<Float>
    private let wq: UnsafeMutablePointer<UInt8>
    private let gamma: Float
    private let y: UnsafeMutablePointer<Float>
    private let acc: UnsafeMutablePointer<Int32>

    init(spec: ProbeSpec, kernels: CPUKernels, pool: BufferPool, random: inout SeededRandom) throws(ProbeRunError) {
        self.kernels = kernels
        self.buffers = CPUProbeBuffers(pool: pool)
        (m, n, k) = (spec.shape[0], spec.shape[1], spec.shape[2])
        let rowBytes = ternaryRowBytes(k: k)
        do {
            xq = try buffers.allocate(Int8.self, count: m * k)
            scales = try buffers.allocate(Float.self, count: m)
            wq = try buffers.allocate(UInt8.self, count: n * rowBytes)
            y = try buffers.allocate(Float.self, count: m * n)
            acc = try buffers.allocate(Int32.self, count: m * n)
        } catch {
            buffers.releaseAll()
            throw error
        }
        // Activations over the full int8 range (-128 included), positive per-row scales as absmax
        // quantization would produce, and weights drawn uniformly from {-1, 0, +1}.
        // Drawing the weights one at a time is the slowest part of preparation (a random word per
        // weight), so rows are drawn in slices of about 2^20 weights that stop once the probe
        // timeout cancels the pool, like the other probes' fills.
        let (activations, weights, outputs, accumulators) = (xq, wq, y, acc)
        let (scaleCount, depth) = (m, k)
        var drawnGamma: Float = 0
        do {
            try kernels.inSlices(of: m * k) { random.fill(activations + $0, count: $1) }
            for i in 0..<scaleCount { scales[i] = 127 / (0.25 + abs(random.nextSignedUnitFloat()) * 4) }
            drawnGamma = 0.01 + abs(random.nextSignedUnitFloat()) * 0.05
            var row = [Int8](repeating: 0, count: depth)
            try kernels.inSlices(of: n, slice: max(1, (1 << 20) / max(1, depth))) { first, count in
                for j in first..<(first + count) {
                    for p in 0..<depth { row[p] = Int8(Int(random.next() % 3) - 1) }
                    row.withUnsafeBufferPointer { bp_ternary_pack_row($0.baseAddress, Int64(depth), weights + j * rowBytes) }
                }
            }
            try kernels.inSlices(of: m * n) { outputs.advanced(by: $0).poison(count: $1) }
            try kernels.inSlices(of: m * n) { accumulators.advanced(by: $0).update(repeating: Int32.min, count: $1) }
        } catch {
            buffers.releaseAll()
            throw error
        }
        gamma = drawnGamma
    }

    func runIteration() throws(ProbeRunError) -> Double {
        let (kernels, m, n, k, xq, scales, wq, gamma, y, acc) = (kernels, m, n, k, xq, scales, wq, gamma, y, acc)
        return try timeKernel { () throws(ProbeRunError) in
            try kernels.ternaryMatmul(xq: xq, xScales: scales, wq: wq, gamma: gamma, y: y, acc: acc, m: m, n: n, k: k)
        }
    }

    func verify() -> VerificationReport {
        TernaryMatmulVerifier(m: m, n: n, k: k).verify(xq: xq, scales: scales, wq: wq, gamma: gamma, y: y, acc: acc)
    }

    func release() { buffers.releaseAll() }
}
