/// Checks C = A . B against a float64 reference on sampled rows and columns.
///
/// Tolerance: |c - ref| <= (K + 2) * 2^-24 * sum_k |a_ik * b_kj| + r * |ref|, where r is the unit
/// roundoff of the stored output (0 for f32, 2^-11 for f16, 2^-8 for bf16). The first term is the classic bound on
/// any order of f32 summation (Higham, gamma_K), so a correct kernel can never fail it, while any
/// indexing or blocking bug (a missing or doubled term) is caught.
struct MatmulVerifier {
    static let maxRows = 16
    static let maxColumns = 256

    let m: Int, n: Int, k: Int
    let outputRoundoff: Double
    /// The unit roundoff of one step of the f32 accumulation: 2^-24 when it rounds to nearest
    /// (FMA on CPUs and GPU CUDA cores), 2^-23 for tensor cores, whose f32 accumulation was found
    /// to truncate (docs/probes.md).
    let accumulationRoundoff: Double

    init(m: Int, n: Int, k: Int, outputRoundoff: Double, accumulationRoundoff: Double = 0x1p-24) {
        (self.m, self.n, self.k) = (m, n, k)
        self.outputRoundoff = outputRoundoff
        self.accumulationRoundoff = accumulationRoundoff
    }

    /// r is 2^-e for the stored output types (f16 2^-11, bf16 2^-8), written as such.
    var tolerance: String {
        let sum = "|c - ref| <= (K + 2) * 2^\(accumulationRoundoff.exponent) * sum|a*b|"
        guard outputRoundoff > 0 else { return sum }
        return sum + " + 2^\(outputRoundoff.exponent) * |ref|"
    }

    /// `a(i)`, `b(i)` and `c(i)` read element i of the row-major buffers as Double.
    func verify(a: (Int) -> Double, b: (Int) -> Double, c: (Int) -> Double) -> VerificationReport {
        var collector = MismatchCollector(tolerance: tolerance)
        let rows = SampledIndices.evenly(count: m, limit: Self.maxRows)
        let columns = SampledIndices.evenly(count: n, limit: Self.maxColumns)
        var columnValues = [[Double]](repeating: [], count: columns.count)
        for (slot, j) in columns.enumerated() {
            columnValues[slot] = (0..<k).map { b($0 * n + j) }
        }
        let sumBound = Double(k + 2) * accumulationRoundoff
        var rowValues = [Double](repeating: 0, count: k)
        for i in rows {
            for p in 0..<k { rowValues[p] = a(i * k + p) }
            for (slot, j) in columns.enumerated() {
                var sum = 0.0
                var magnitude = 0.0
                columnValues[slot].withUnsafeBufferPointer { column in
                    for p in 0..<k {
                        let product = rowValues[p] * column[p]
                        sum += product
                        magnitude += abs(product)
                    }
                }
                let allowed = sumBound * magnitude + outputRoundoff * abs(sum)
                collector.check(got: c(i * n + j), expected: sum, allowed: allowed) { "c[\(i),\(j)]" }
            }
        }
        return collector.report
    }
}
