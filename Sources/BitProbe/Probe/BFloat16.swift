/// bfloat16 as a 16-bit pattern: the top half of an f32 (8 exponent bits, 8 significand bits
/// counting the implicit one). Swift has no BFloat16 type; the GPU probes need it for `matmul bf16`.
enum BFloat16 {
    /// Rounds an f32 to the nearest bf16, ties to even (as `__float2bfloat16_rn`); NaN stays NaN.
    static func bits(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let rounding = UInt32(0x7FFF) + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
    }

    static func float(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    static func double(_ bits: UInt16) -> Double { Double(float(bits)) }

    /// Unit roundoff of a stored bf16 result (2^-8): the verifier's output term.
    static let unitRoundoff = 0x1p-8
}

extension SeededRandom {
    /// Fills `count` bf16 bit patterns uniform in [-1, 1) (rounded to bf16), from the same stream
    /// of f32 values the f32 and f16 fills use.
    mutating func fillBFloat16(_ pointer: UnsafeMutablePointer<UInt16>, count: Int) {
        for i in 0..<count { pointer[i] = BFloat16.bits(from: nextSignedUnitFloat()) }
    }
}
