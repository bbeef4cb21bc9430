import CKernels
import Testing

@testable import BitProbe

/// Hand-checked values of the BitNet building blocks, on every SIMD path this machine has.
@Suite struct KnownValueKernelTests {
    static let paths = SIMDPath.supported

    func kernels(_ path: SIMDPath, threads: Int = 2) throws -> CPUKernels {
        try #require(CPUKernels(threads: threads, path: path))
    }

    @Test(arguments: paths)
    func absmeanOfFourWeights(path: SIMDPath) throws {
        let k = try kernels(path)
        let w: [Float] = [0.5, -0.5, 0.1, -2.0]
        var packed = [UInt8](repeating: 0xFF, count: ternaryRowBytes(k: 4))
        var gamma: Float = 0
        try k.quantizeWeightsF32(w, rows: 1, cols: 4, packed: &packed, gamma: &gamma)
        #expect(abs(gamma - 0.775) < 1e-7)
        var codes = [Int8](repeating: 9, count: 4)
        bp_ternary_unpack_row(packed, 4, &codes)
        #expect(codes == [1, -1, 0, -1])
    }

    @Test(arguments: paths)
    func fourTermTernaryDotProduct(path: SIMDPath) throws {
        let k = try kernels(path)
        var packed = [UInt8](repeating: 0, count: ternaryRowBytes(k: 4))
        bp_ternary_pack_row([1, -1, 0, 1], 4, &packed)
        let x: [Int8] = [127, -128, 5, -1]
        var y: Float = 0
        var acc: Int32 = 0
        try k.ternaryMatmul(xq: x, xScales: [2], wq: packed, gamma: 0.5, y: &y, acc: &acc, m: 1, n: 1, k: 4)
        #expect(acc == 254)
        #expect(y == 254 * 0.5 / 2)
    }

    @Test(arguments: paths)
    func longestRowStaysExact(path: SIMDPath) throws {
        let k = try kernels(path)
        let length = 16384
        var packed = [UInt8](repeating: 0, count: ternaryRowBytes(k: length))
        bp_ternary_pack_row([Int8](repeating: 1, count: length), Int64(length), &packed)
        let x = [Int8](repeating: -128, count: length)
        var y: Float = 0
        var acc: Int32 = 0
        try k.ternaryMatmul(xq: x, xScales: [1], wq: packed, gamma: 1, y: &y, acc: &acc, m: 1, n: 1, k: length)
        #expect(acc == -2_097_152)
        #expect(y == -2_097_152)
    }

    @Test(arguments: paths)
    func activationRoundingIsHalfToEven(path: SIMDPath) throws {
        let k = try kernels(path)
        // max|x| = 127 gives s = 1, so each value is rounded as written.
        let x: [Float] = [127, 62.5, 63.5, -62.5, 0.5, 1.5, -0.5, 2.4999998]
        var q = [Int8](repeating: 0, count: x.count)
        var scale: Float = 0
        try k.quantizeActivationsF32(x, rows: 1, cols: x.count, q: &q, scales: &scale)
        #expect(scale == 1)
        #expect(q == [127, 62, 64, -62, 0, 2, 0, 2])
    }

    @Test(arguments: paths)
    func allZeroActivationRowHasUnitScale(path: SIMDPath) throws {
        let k = try kernels(path)
        var q = [Int8](repeating: 7, count: 5)
        var scale: Float = 0
        try k.quantizeActivationsF32([0, 0, 0, 0, 0], rows: 1, cols: 5, q: &q, scales: &scale)
        #expect(scale == 1 && q == [0, 0, 0, 0, 0])
    }

    @Test func packUnpackRoundTripAtAwkwardLengths() {
        var random = SeededRandom(seed: 7)
        for length in [1, 3, 17, 33, 127, 128, 129, 1000, 4096] {
            let weights = (0..<length).map { _ in Int8(Int(random.next() % 3) - 1) }
            var packed = [UInt8](repeating: 0xFF, count: ternaryRowBytes(k: length))
            bp_ternary_pack_row(weights, Int64(length), &packed)
            var back = [Int8](repeating: 9, count: length)
            bp_ternary_unpack_row(packed, Int64(length), &back)
            #expect(back == weights, "length \(length)")
        }
    }

    @Test func packedLayoutIsGroupsOf128() {
        // Weight k = 128 g + 32 i + j lives in byte 32 g + j at bits 2i; code = w + 1.
        var weights = [Int8](repeating: 0, count: 130)
        weights[0] = 1  // byte 0, bits 0-1 = 0b10
        weights[33] = -1  // i = 1, j = 1: byte 1, bits 2-3 = 0b00
        weights[129] = 1  // g = 1, i = 0, j = 1: byte 33, bits 0-1 = 0b10
        var packed = [UInt8](repeating: 0, count: ternaryRowBytes(k: 130))
        bp_ternary_pack_row(weights, 130, &packed)
        #expect(packed.count == 64)
        #expect(packed[0] == 0b0101_0110)
        #expect(packed[1] == 0b0101_0001)
        #expect(packed[2] == 0b0101_0101)
        #expect(packed[33] == 0b0101_0110)
        #expect(packed[32] == 0b0101_0101)
        // Past K = 130 the padding is the zero code.
        #expect(packed[34] == 0b0101_0101)
    }

    @Test func f16ConversionRoundsHalfToEven() {
        #expect(bp_f32_to_f16(1.0) == 0x3C00)
        // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: rounds to even (1).
        #expect(bp_f32_to_f16(1.0 + 0x1p-11) == 0x3C00)
        #expect(bp_f32_to_f16(1.0 + 3 * 0x1p-11) == 0x3C02)
        #expect(bp_f32_to_f16(65520) == 0x7C00)
        #expect(bp_f16_to_f32(0x0001) == 0x1p-24)
        for bits in stride(from: UInt16(0), to: 0x7C00, by: 7) {
            #expect(bp_f32_to_f16(bp_f16_to_f32(bits)) == bits)
            #expect(bp_f16_to_f32(bits) == Float(Float16(bitPattern: bits)))
        }
    }

    @Test(arguments: paths)
    func invalidSizesAreRejected(path: SIMDPath) throws {
        let k = try kernels(path)
        var c: Float = 0
        #expect(throws: ProbeRunError.self) { try k.matmulF32([1], [1], &c, m: 0, n: 1, k: 1) }
    }
}
