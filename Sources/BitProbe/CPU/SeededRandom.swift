/// xoshiro256** seeded through splitmix64: fast, reproducible inputs for probes.
/// The same seed gives the same inputs on every machine and run.
public struct SeededRandom: RandomNumberGenerator {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var s = seed
        func splitmix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    public mutating func next() -> UInt64 {
        let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = state.3 << 45 | state.3 >> 19
        return result
    }

    /// Uniform in [-1, 1), with 24 random bits (exactly representable in f32).
    @inline(__always)
    public mutating func nextSignedUnitFloat() -> Float {
        Float(Int32(truncatingIfNeeded: next() >> 40) - (1 << 23)) * (1.0 / Float(1 << 23))
    }

    /// Fills `count` floats uniform in [-1, 1).
    public mutating func fill(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { pointer[i] = nextSignedUnitFloat() }
    }

    /// Fills `count` f16 bit patterns uniform in [-1, 1) (rounded to f16).
    public mutating func fill(_ pointer: UnsafeMutablePointer<UInt16>, count: Int) {
        for i in 0..<count { pointer[i] = Float16(nextSignedUnitFloat()).bitPattern }
    }

    /// Fills `count` int8 values uniform over the whole range, -128 included.
    public mutating func fill(_ pointer: UnsafeMutablePointer<Int8>, count: Int) {
        var i = 0
        while i < count {
            var bits = next()
            for _ in 0..<8 where i < count {
                pointer[i] = Int8(truncatingIfNeeded: bits)
                bits >>= 8
                i += 1
            }
        }
    }

    /// Fills bytes uniformly.
    public mutating func fill(_ pointer: UnsafeMutablePointer<UInt8>, count: Int) {
        pointer.withMemoryRebound(to: Int8.self, capacity: count) { fill($0, count: count) }
    }
}
