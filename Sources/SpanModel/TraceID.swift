/// A W3C trace ID: 16 bytes, never all zero (an all-zero ID means "invalid" to every collector).
///
/// ```swift
/// let trace = TraceID.random()
/// print(trace.hex)  // "4bf92f3577b34da6a3ce929d0e0e4736"
/// ```
public struct TraceID: Hashable, Sendable, CustomStringConvertible {
    /// The first 8 bytes, big-endian.
    public let high: UInt64
    /// The last 8 bytes, big-endian.
    public let low: UInt64

    /// nil for all zeroes.
    public init?(high: UInt64, low: UInt64) {
        guard high != 0 || low != 0 else { return nil }
        self.high = high
        self.low = low
    }

    /// nil unless exactly 16 bytes, not all zero.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        self.init(high: UInt64(bigEndianBytes: bytes[0..<8]), low: UInt64(bigEndianBytes: bytes[8..<16]))
    }

    /// nil unless 32 hex digits (either case), not all zero.
    public init?(hex: String) {
        guard let bytes = HexDigits.decode(hex), bytes.count == 16 else { return nil }
        self.init(bytes: bytes)
    }

    /// A random ID from `SystemRandomNumberGenerator` (the kernel's CSPRNG), as the W3C
    /// trace-context recommends so that IDs stay unique across agents.
    public static func random() -> TraceID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    public static func random(using generator: inout some RandomNumberGenerator) -> TraceID {
        while true {
            if let id = TraceID(high: generator.next(), low: generator.next()) { return id }
        }
    }

    public var bytes: [UInt8] { high.bigEndianBytes + low.bigEndianBytes }

    /// 32 lowercase hex digits, as in a `traceparent` header and in exemplar labels.
    public var hex: String { HexDigits.encode(bytes) }

    public var description: String { hex }
}

/// A W3C span ID: 8 bytes, never all zero.
public struct SpanID: Hashable, Sendable, CustomStringConvertible {
    /// The 8 bytes, big-endian.
    public let value: UInt64

    /// nil for zero.
    public init?(value: UInt64) {
        guard value != 0 else { return nil }
        self.value = value
    }

    /// nil unless exactly 8 bytes, not all zero.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 8 else { return nil }
        self.init(value: UInt64(bigEndianBytes: bytes[...]))
    }

    /// nil unless 16 hex digits (either case), not all zero.
    public init?(hex: String) {
        guard let bytes = HexDigits.decode(hex), bytes.count == 8 else { return nil }
        self.init(bytes: bytes)
    }

    /// A random ID from `SystemRandomNumberGenerator`.
    public static func random() -> SpanID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    public static func random(using generator: inout some RandomNumberGenerator) -> SpanID {
        while true {
            if let id = SpanID(value: generator.next()) { return id }
        }
    }

    public var bytes: [UInt8] { value.bigEndianBytes }

    /// 16 lowercase hex digits.
    public var hex: String { HexDigits.encode(bytes) }

    public var description: String { hex }
}

extension UInt64 {
    package init(bigEndianBytes bytes: ArraySlice<UInt8>) {
        self = bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    package var bigEndianBytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: self >> (56 - 8 * $0)) }
    }
}

/// Lowercase hex for IDs and the OTLP tests; decoding for IDs and percent-escapes (KeyValueList).
package enum HexDigits {
    private static let digits = Array("0123456789abcdef".utf8)

    package static func encode(_ bytes: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
            for (index, byte) in bytes.enumerated() {
                buffer[2 * index] = digits[Int(byte >> 4)]
                buffer[2 * index + 1] = digits[Int(byte & 0x0F)]
            }
            return bytes.count * 2
        }
    }

    /// nil for an odd length or a character that is not a hex digit.
    package static func decode(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(characters.count / 2)
        var index = 0
        while index < characters.count {
            guard let high = value(of: characters[index]), let low = value(of: characters[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    package static func value(of character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
