import CKernels

/// Checks BitLinear W1.58A8 output: the int32 sums exactly against int64 sums, and the rescaled
/// f32 output within 2^-22 relative of acc * gamma / scale computed in float64 (a few f32
/// roundings), on sampled rows and columns.
struct TernaryMatmulVerifier {
    static let maxRows = 16
    static let maxColumns = 512
    static let tolerance = "acc == int64 sum exactly; |y - acc*gamma/s| <= 2^-22 * |acc*gamma/s|"

    let m: Int, n: Int, k: Int

    func verify(
        xq: UnsafePointer<Int8>, scales: UnsafePointer<Float>, wq: UnsafePointer<UInt8>, gamma: Float,
        y: UnsafePointer<Float>, acc: UnsafePointer<Int32>
    ) -> VerificationReport {
        var collector = MismatchCollector(tolerance: Self.tolerance)
        let rowBytes = ternaryRowBytes(k: k)
        var weights = [Int8](repeating: 0, count: k)
        for j in SampledIndices.evenly(count: n, limit: Self.maxColumns) {
            weights.withUnsafeMutableBufferPointer { bp_ternary_unpack_row(wq + j * rowBytes, Int64(k), $0.baseAddress) }
            for i in SampledIndices.evenly(count: m, limit: Self.maxRows) {
                var sum: Int64 = 0
                let row = xq + i * k
                for p in 0..<k { sum += Int64(row[p]) * Int64(weights[p]) }
                collector.checkExact(got: Int64(acc[i * n + j]), expected: sum) { "acc[\(i),\(j)]" }
                let expected = Double(sum) * Double(gamma) / Double(scales[i])
                collector.check(got: Double(y[i * n + j]), expected: expected, allowed: 0x1p-22 * abs(expected)) { "y[\(i),\(j)]" }
            }
        }
        return collector.report
    }
}
