import Testing

@testable import BitProbe

/// The verifiers must reject wrong outputs, or a broken kernel would report throughput.
@Suite struct VerifierTests {
    @Test func matmulVerifierCatchesOneWrongElement() {
        // A = [[1, 2], [3, 4]], B = I: C = A.
        let a: [Double] = [1, 2, 3, 4]
        let b: [Double] = [1, 0, 0, 1]
        var c: [Double] = [1, 2, 3, 4]
        let verifier = MatmulVerifier(m: 2, n: 2, k: 2, outputRoundoff: 0)
        #expect(verifier.verify(a: { a[$0] }, b: { b[$0] }, c: { c[$0] }).passed)
        c[3] = 4.01
        let report = verifier.verify(a: { a[$0] }, b: { b[$0] }, c: { c[$0] })
        #expect(!report.passed)
        #expect(report.wrongValues == 1)
        #expect(report.firstMismatch?.hasPrefix("c[1,1] = 4.01, expected 4.0") == true)
    }

    @Test func matmulVerifierRejectsNaN() {
        let report = MatmulVerifier(m: 1, n: 1, k: 1, outputRoundoff: 0).verify(a: { _ in 1 }, b: { _ in 1 }, c: { _ in .nan })
        #expect(!report.passed)
    }

    @Test func matmulToleranceAllowsF32RoundingOnly() {
        // sum|a*b| = 3 for K = 3: allowed = 5 * 2^-24 * 3.
        let verifier = MatmulVerifier(m: 1, n: 1, k: 3, outputRoundoff: 0)
        let allowed = 5 * 0x1p-24 * 3.0
        #expect(verifier.verify(a: { _ in 1 }, b: { _ in 1 }, c: { _ in 3 + allowed * 0.9 }).passed)
        #expect(!verifier.verify(a: { _ in 1 }, b: { _ in 1 }, c: { _ in 3 + allowed * 1.1 }).passed)
    }

    @Test func elementwiseIsExact() {
        #expect(ElementwiseVerifier.verify(count: 3, got: { Double($0) }, expected: { Double($0) }).passed)
        let report = ElementwiseVerifier.verify(count: 3, got: { $0 == 2 ? 2.0000001 : Double($0) }, expected: { Double($0) })
        #expect(report.wrongValues == 1 && report.firstMismatch == "c[2] = 2.0000001, expected 2.0")
    }

    @Test func sampledIndicesIncludeBothEdges() {
        #expect(SampledIndices.evenly(count: 5, limit: 16) == [0, 1, 2, 3, 4])
        let sampled = SampledIndices.evenly(count: 1000, limit: 4)
        #expect(sampled == [0, 333, 666, 999])
    }
}
