/// `quantize_weights`: absmean ternary quantization of W[rows, cols] (f32 or f16) into the packed
/// bp-i2-g128 layout.
final class CPUQuantizeWeightsProbe: PreparedProbe {
    private let kernels: CPUKernels
    private let buffers: CPUProbeBuffers
    private let dtype: DType
    private let rows: Int, cols: Int
    private let w: UnsafeMutableRawPointer
    private let packed: UnsafeMutablePointer<UInt8>
    private let gamma: UnsafeMutablePointer<Float>

    init(spec: ProbeSpec, kernels: CPUKernels, pool: BufferPool, random: inout SeededRandom) throws(ProbeRunError) {
        self.kernels = kernels
        self.buffers = CPUProbeBuffers(pool: pool)
        self.dtype = spec.dtype
        (rows, cols) = (spec.shape[0], spec.shape[1])
        do {
            if dtype == .f32 {
                let w = try buffers.allocate(Float.self, count: rows * cols)
                try kernels.inSlices(of: rows * cols) { random.fill(w + $0, count: $1) }
                self.w = UnsafeMutableRawPointer(w)
            } else {
                let w = try buffers.allocate(UInt16.self, count: rows * cols)
                try kernels.inSlices(of: rows * cols) { random.fill(w + $0, count: $1) }
                self.w = UnsafeMutableRawPointer(w)
            }
            packed = try buffers.allocate(UInt8.self, count: rows * ternaryRowBytes(k: cols))
            gamma = try buffers.allocate(Float.self, count: 1)
        } catch {
            buffers.releaseAll()
            throw error
        }
        packed.update(repeating: 0xFF, count: rows * ternaryRowBytes(k: cols))
        gamma.pointee = .nan
    }

    func runIteration() throws(ProbeRunError) -> Double {
        let (kernels, rows, cols, packed, gamma) = (kernels, rows, cols, packed, gamma)
        if dtype == .f32 {
            let w = w.assumingMemoryBound(to: Float.self)
            return try timeKernel { () throws(ProbeRunError) in try kernels.quantizeWeightsF32(w, rows: rows, cols: cols, packed: packed, gamma: gamma) }
        }
        let w = w.assumingMemoryBound(to: UInt16.self)
        return try timeKernel { () throws(ProbeRunError) in try kernels.quantizeWeightsF16(w, rows: rows, cols: cols, packed: packed, gamma: gamma) }
    }

    func verify() -> VerificationReport {
        if dtype == .f32 {
            let w = w.assumingMemoryBound(to: Float.self)
            return QuantizationVerifier.verifyWeights(rows: rows, cols: cols, value: { Double(w[$0]) }, packed: packed, gamma: gamma.pointee)
        }
        let w = w.assumingMemoryBound(to: UInt16.self)
        return QuantizationVerifier.verifyWeights(rows: rows, cols: cols, value: { f16ToDouble(w[$0]) }, packed: packed, gamma: gamma.pointee)
    }

    func release() { buffers.releaseAll() }
}

/// `quantize_activations`: per-row absmax int8 quantization of X[rows, cols] (f32 or f16).
final class CPUQuantizeActivationsProbe: PreparedProbe {
    private let kernels: CPUKernels
    private let buffers: CPUProbeBuffers
    private let dtype: DType
    private let rows: Int, cols: Int
    private let x: UnsafeMutableRawPointer
    private let q: UnsafeMutablePointer<Int8>
    private let scales: UnsafeMutablePointer<Float>

    init(spec: ProbeSpec, kernels: CPUKernels, pool: BufferPool, random: inout SeededRandom) throws(ProbeRunError) {
        self.kernels = kernels
        self.buffers = CPUProbeBuffers(pool: pool)
        self.dtype = spec.dtype
        (rows, cols) = (spec.shape[0], spec.shape[1])
        do {
            if dtype == .f32 {
                let x = try buffers.allocate(Float.self, count: rows * cols)
                try kernels.inSlices(of: rows * cols) { random.fill(x + $0, count: $1) }
                self.x = UnsafeMutableRawPointer(x)
            } else {
                let x = try buffers.allocate(UInt16.self, count: rows * cols)
                try kernels.inSlices(of: rows * cols) { random.fill(x + $0, count: $1) }
                self.x = UnsafeMutableRawPointer(x)
            }
            q = try buffers.allocate(Int8.self, count: rows * cols)
            scales = try buffers.allocate(Float.self, count: rows)
        } catch {
            buffers.releaseAll()
            throw error
        }
        scales.poison(count: rows)
    }

    func runIteration() throws(ProbeRunError) -> Double {
        let (kernels, rows, cols, q, scales) = (kernels, rows, cols, q, scales)
        if dtype == .f32 {
            let x = x.assumingMemoryBound(to: Float.self)
            return try timeKernel { () throws(ProbeRunError) in try kernels.quantizeActivationsF32(x, rows: rows, cols: cols, q: q, scales: scales) }
        }
        let x = x.assumingMemoryBound(to: UInt16.self)
        return try timeKernel { () throws(ProbeRunError) in try kernels.quantizeActivationsF16(x, rows: rows, cols: cols, q: q, scales: scales) }
    }

    func verify() -> VerificationReport {
        if dtype == .f32 {
            let x = x.assumingMemoryBound(to: Float.self)
            return QuantizationVerifier.verifyActivations(rows: rows, cols: cols, value: { Double(x[$0]) }, q: q, scales: scales)
        }
        let x = x.assumingMemoryBound(to: UInt16.self)
        return QuantizationVerifier.verifyActivations(rows: rows, cols: cols, value: { f16ToDouble(x[$0]) }, q: q, scales: scales)
    }

    func release() { buffers.releaseAll() }
}
