import CKernels

/// The CPU kernels bound to one thread pool and SIMD path. The only place that calls into
/// CKernels for computation; C return codes become `ProbeRunError` here.
final class CPUKernels: @unchecked Sendable {
    // @unchecked: the pool pointer is only used for kernels by the probing thread; bp_pool_cancel is
    // documented as safe from any thread, which is all the watchdog calls.
    private let pool: OpaquePointer
    let path: SIMDPath
    let threads: Int

    init?(threads: Int, path: SIMDPath) {
        guard path.isSupported, let pool = bp_pool_create(Int32(threads)) else { return nil }
        self.pool = pool
        self.path = path
        self.threads = threads
    }

    deinit { bp_pool_destroy(pool) }

    func cancel() { bp_pool_cancel(pool) }
    func releaseScratch() { bp_pool_release_scratch(pool) }
    func resetCancellation() { bp_pool_reset_cancel(pool) }

    /// Runs `body` over `count` elements in slices of 2^20, throwing `.cancelled` between slices once
    /// the pool is cancelled. Filling a probe's inputs takes seconds for large shapes (2.4 GB of
    /// `add` buffers: 4.4 s, mostly first-touch page faults), and the probe timeout covers that
    /// preparation too. The slice is a multiple of 8, so byte fills draw the same random words as a
    /// single call would and inputs stay identical for a seed.
    func inSlices(of count: Int, _ body: (_ offset: Int, _ count: Int) -> Void) throws(ProbeRunError) {
        try inSlices(of: count, slice: 1 << 20, body)
    }

    /// `inSlices(of:_:)` with slices of `slice` items, for items (such as weight rows) that are
    /// not single elements.
    func inSlices(of count: Int, slice: Int, _ body: (_ offset: Int, _ count: Int) -> Void) throws(ProbeRunError) {
        var offset = 0
        while offset < count {
            if bp_pool_is_cancelled(pool) != 0 { throw .cancelled }
            body(offset, min(slice, count - offset))
            offset += slice
        }
    }

    @inline(__always)
    private func call(_ body: (UnsafePointer<bp_ctx>) -> Int32) throws(ProbeRunError) {
        var context = bp_ctx(pool: pool, isa: path.isa)
        let code = withUnsafePointer(to: &context) { body($0) }
        switch Int(code) {
        case Int(BP_OK): return
        case Int(BP_CANCELLED): throw .cancelled
        case Int(BP_ENOMEM): throw .kernelFailed("kernel could not allocate scratch memory")
        default: throw .kernelFailed("kernel rejected its arguments (code \(code))")
        }
    }

    func matmulF32(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int) throws(ProbeRunError) {
        try call { bp_matmul_f32($0, a, b, c, Int64(m), Int64(n), Int64(k)) }
    }

    func matmulF16(_ a: UnsafePointer<UInt16>, _ b: UnsafePointer<UInt16>, _ c: UnsafeMutablePointer<UInt16>, m: Int, n: Int, k: Int) throws(ProbeRunError) {
        try call { bp_matmul_f16($0, a, b, c, Int64(m), Int64(n), Int64(k)) }
    }

    func quantizeWeightsF32(_ w: UnsafePointer<Float>, rows: Int, cols: Int, packed: UnsafeMutablePointer<UInt8>, gamma: UnsafeMutablePointer<Float>)
        throws(ProbeRunError)
    {
        try call { bp_quantize_weights_f32($0, w, Int64(rows), Int64(cols), packed, gamma) }
    }

    func quantizeWeightsF16(_ w: UnsafePointer<UInt16>, rows: Int, cols: Int, packed: UnsafeMutablePointer<UInt8>, gamma: UnsafeMutablePointer<Float>)
        throws(ProbeRunError)
    {
        try call { bp_quantize_weights_f16($0, w, Int64(rows), Int64(cols), packed, gamma) }
    }

    func quantizeActivationsF32(_ x: UnsafePointer<Float>, rows: Int, cols: Int, q: UnsafeMutablePointer<Int8>, scales: UnsafeMutablePointer<Float>)
        throws(ProbeRunError)
    {
        try call { bp_quantize_activations_f32($0, x, Int64(rows), Int64(cols), q, scales) }
    }

    func quantizeActivationsF16(_ x: UnsafePointer<UInt16>, rows: Int, cols: Int, q: UnsafeMutablePointer<Int8>, scales: UnsafeMutablePointer<Float>)
        throws(ProbeRunError)
    {
        try call { bp_quantize_activations_f16($0, x, Int64(rows), Int64(cols), q, scales) }
    }

    func ternaryMatmul(
        xq: UnsafePointer<Int8>, xScales: UnsafePointer<Float>, wq: UnsafePointer<UInt8>, gamma: Float,
        y: UnsafeMutablePointer<Float>, acc: UnsafeMutablePointer<Int32>?, m: Int, n: Int, k: Int
    ) throws(ProbeRunError) {
        try call { bp_ternary_matmul($0, xq, xScales, wq, gamma, y, acc, Int64(m), Int64(n), Int64(k)) }
    }

    func addF32(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, count: Int) throws(ProbeRunError) {
        try call { bp_add_f32($0, a, b, c, Int64(count)) }
    }

    func mulF32(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, count: Int) throws(ProbeRunError) {
        try call { bp_mul_f32($0, a, b, c, Int64(count)) }
    }

    func addF16(_ a: UnsafePointer<UInt16>, _ b: UnsafePointer<UInt16>, _ c: UnsafeMutablePointer<UInt16>, count: Int) throws(ProbeRunError) {
        try call { bp_add_f16($0, a, b, c, Int64(count)) }
    }

    func mulF16(_ a: UnsafePointer<UInt16>, _ b: UnsafePointer<UInt16>, _ c: UnsafeMutablePointer<UInt16>, count: Int) throws(ProbeRunError) {
        try call { bp_mul_f16($0, a, b, c, Int64(count)) }
    }

    func copy(_ source: UnsafeRawPointer, _ destination: UnsafeMutableRawPointer, bytes: Int) throws(ProbeRunError) {
        try call { bp_copy($0, source, destination, Int64(bytes)) }
    }

    func stridedAddF32(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, count: Int, stride: Int) throws(ProbeRunError) {
        try call { bp_strided_add_f32($0, a, b, c, Int64(count), Int64(stride)) }
    }
}
