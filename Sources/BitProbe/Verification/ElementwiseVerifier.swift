/// Checks elementwise results exactly. An f32 op computed in float64 and rounded once to f32 is
/// the correctly rounded f32 result; for f16 operands the kernels compute in f32 and round to f16,
/// and because f32 has at least 2 * 11 + 2 significand bits that double rounding is innocuous, so
/// f16 results must match the float64 reference rounded to f16 exactly too.
enum ElementwiseVerifier {
    static let tolerance = "exact (correctly rounded)"

    static func verify(count: Int, got: (Int) -> Double, expected: (Int) -> Double) -> VerificationReport {
        var collector = MismatchCollector(tolerance: tolerance)
        for i in 0..<count {
            collector.checkExact(got: got(i), expected: expected(i)) { "c[\(i)]" }
        }
        return collector.report
    }
}
