import CKernels

/// Checks absmean ternary weight quantization and absmax int8 activation quantization against
/// float64 references.
///
/// Rounding is half to even. The kernels compute in f32, so a value within 1e-4 of a rounding
/// boundary (x.5) may round either way; elsewhere the quantized value must match exactly.
enum QuantizationVerifier {
    static let weightTolerance = "|gamma - ref| <= 1e-5 * ref; codes exact except within 1e-4 of a .5 boundary"
    static let activationTolerance = "|s - ref| <= 2^-22 * ref; q exact except within 1e-4 of a .5 boundary"
    static let boundaryWindow = 1e-4

    static func isNearHalf(_ value: Double) -> Bool {
        abs(value - value.rounded(.down) - 0.5) <= boundaryWindow
    }

    static func roundHalfEven(_ value: Double) -> Double { value.rounded(.toNearestOrEven) }

    /// gamma = max(mean |W|, 1e-5); q = clamp(round(W / gamma), -1, 1).
    static func referenceGamma(count: Int, value: (Int) -> Double) -> Double {
        var sum = 0.0
        for i in 0..<count { sum += abs(value(i)) }
        return max(sum / Double(count), 1e-5)
    }

    /// `sampledRows` nil checks every row's codes (gamma always comes from every weight).
    static func verifyWeights(
        rows: Int, cols: Int, value: (Int) -> Double, packed: UnsafePointer<UInt8>, gamma: Float,
        sampledRows: [Int]? = nil
    ) -> VerificationReport {
        var collector = MismatchCollector(tolerance: weightTolerance)
        let reference = referenceGamma(count: rows * cols, value: value)
        collector.check(got: Double(gamma), expected: reference, allowed: 1e-5 * reference) { "gamma" }
        let rowBytes = ternaryRowBytes(k: cols)
        var codes = [Int8](repeating: 0, count: cols)
        for r in sampledRows ?? Array(0..<rows) {
            codes.withUnsafeMutableBufferPointer { bp_ternary_unpack_row(packed + r * rowBytes, Int64(cols), $0.baseAddress) }
            for c in 0..<cols {
                let scaled = value(r * cols + c) / reference
                let expected = Int8(min(1, max(-1, roundHalfEven(scaled))))
                if codes[c] != expected, isNearHalf(abs(scaled)), abs(Int(codes[c]) - Int(expected)) <= 1 { continue }
                collector.checkExact(got: codes[c], expected: expected) { "w[\(r),\(c)] (w/gamma = \(scaled))" }
            }
        }
        return collector.report
    }

    /// s = 127 / max|x| per row (1 for an all-zero row); q = clamp(round(x * s), -128, 127).
    static func verifyActivations(
        rows: Int, cols: Int, value: (Int) -> Double, q: UnsafePointer<Int8>, scales: UnsafePointer<Float>,
        sampledRows: [Int]? = nil
    ) -> VerificationReport {
        var collector = MismatchCollector(tolerance: activationTolerance)
        for r in sampledRows ?? Array(0..<rows) {
            var absMax = 0.0
            for c in 0..<cols { absMax = max(absMax, abs(value(r * cols + c))) }
            let scale = absMax > 0 ? 127 / absMax : 1
            collector.check(got: Double(scales[r]), expected: scale, allowed: 0x1p-22 * scale) { "s[\(r)]" }
            for c in 0..<cols {
                let scaled = value(r * cols + c) * scale
                let expected = Int8(min(127, max(-128, roundHalfEven(scaled))))
                let got = q[r * cols + c]
                if got != expected, isNearHalf(abs(scaled)), abs(Int(got) - Int(expected)) <= 1 { continue }
                collector.checkExact(got: got, expected: expected) { "q[\(r),\(c)] (x*s = \(scaled))" }
            }
        }
        return collector.report
    }
}
