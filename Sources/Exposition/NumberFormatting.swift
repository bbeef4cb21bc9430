// How numbers are written. Prometheus' Go client is the reference (client_golang's writeFloat is
// strconv.FormatFloat(f, 'g', -1, 64): shortest round-trip digits, exponent when the decimal exponent
// is below -4 or at least 6, at least two exponent digits). We differ in one deliberate way for sample
// values: an integer below 2^53 is written in full (85899345920, where Go writes 8.589934592e+10),
// because it is exact, greppable, and any parser reads it. Label values that are numbers (`le`) follow
// Go exactly, since a bucket's identity is that string. docs/exposition.md has the table.

enum NumberStyle {
    /// Sample values: integers below 2^53 in full, anything else as Go's shortest %g.
    case value
    /// Timestamps (exemplars, `_created`): never an exponent, as OpenMetrics recommends.
    case timestamp
    /// `le` in text 0.0.4: exactly what client_golang writes (`1`, `0.005`, `1e+06`).
    case goLabel
    /// `le` in OpenMetrics: Go's %g with `.0` added when it has neither `.` nor `e` (`1.0`, `1e+06`),
    /// the spec's canonical form.
    case canonicalLabel
}

extension Double {
    /// The number as the exposition writes a sample value, for error messages.
    var expositionText: String {
        var bytes: [UInt8] = []
        bytes.appendNumber(self, .value)
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension [UInt8] {
    mutating func appendNumber(_ value: Double, _ style: NumberStyle) {
        if value.isNaN {
            append(contentsOf: "NaN".utf8)
            return
        }
        if value.isInfinite {
            append(contentsOf: (value < 0 ? "-Inf" : "+Inf").utf8)
            return
        }
        // Integers below these limits print the same digits in every style, without the float
        // round trip through a String.
        let integerLimit: Double =
            switch style {
            case .value, .timestamp: 9_007_199_254_740_992  // 2^53: every integer below is exact
            case .goLabel, .canonicalLabel: 1_000_000  // from 1e+06 on, Go switches to an exponent
            }
        if value.magnitude < integerLimit, value == value.rounded(.towardZero) {
            appendInteger(Int64(value))
            if case .canonicalLabel = style { append(contentsOf: ".0".utf8) }
            return
        }
        appendShortest(value, style)
    }

    mutating func appendInteger(_ value: Int64) {
        if value < 0 { append(UInt8(ascii: "-")) }
        appendInteger(value.magnitude)
    }

    mutating func appendInteger(_ value: UInt64) {
        if value < 10 {
            append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        // Digits come out last first; a stack buffer holds them (UInt64.max has 20).
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = digits.count
            var rest = value
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            append(contentsOf: digits[start...])
        }
    }

    /// Swift's `description` yields the shortest digits that read back as the same double, as Go's
    /// strconv does, and already lays most values out as Go would: positional from 1e-4 up to 1e6,
    /// with an exponent below that and (from somewhere under 1e17) above it, written the same way
    /// (`1e-05`, `1.5e+20`). Only the values where the two disagree are laid out again.
    private mutating func appendShortest(_ value: Double, _ style: NumberStyle) {
        var text = value.description
        text.withUTF8 { text in
            let verbatim: Bool =
                switch style {
                case .timestamp: !text.contains(UInt8(ascii: "e"))
                case .value, .goLabel, .canonicalLabel: value.magnitude < 1e6 || value.magnitude >= 1e17
                }
            if verbatim {
                append(contentsOf: text)
            } else {
                appendLaidOut(text, style)
            }
        }
    }

    /// Lays out the digits of a `description` as `style` wants them.
    private mutating func appendLaidOut(_ text: UnsafeBufferPointer<UInt8>, _ style: NumberStyle) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { digits in
            var count = 0
            // The decimal point sits after `point` digits: value = 0.d1d2d3... × 10^point.
            var point = 0
            var negative = false
            var afterPoint = false
            var inExponent = false
            var exponentNegative = false
            var exponent = 0
            for byte in text {
                switch byte {
                case UInt8(ascii: "-"):
                    if inExponent { exponentNegative = true } else { negative = true }
                case UInt8(ascii: "."): afterPoint = true
                case UInt8(ascii: "e"): inExponent = true
                case UInt8(ascii: "0")...UInt8(ascii: "9"):
                    if inExponent {
                        exponent = exponent * 10 + Int(byte - UInt8(ascii: "0"))
                    } else if count == 0 && byte == UInt8(ascii: "0") {
                        if afterPoint { point -= 1 }
                    } else {
                        digits[count] = byte
                        count += 1
                        if !afterPoint { point += 1 }
                    }
                default: break
                }
            }
            point += exponentNegative ? -exponent : exponent
            while count > 1 && digits[count - 1] == UInt8(ascii: "0") { count -= 1 }

            if negative { append(UInt8(ascii: "-")) }
            let decimalExponent = point - 1
            let scientific: Bool =
                switch style {
                case .timestamp: false
                case .value, .goLabel, .canonicalLabel: decimalExponent < -4 || decimalExponent >= 6
                }
            if scientific {
                append(digits[0])
                if count > 1 {
                    append(UInt8(ascii: "."))
                    append(contentsOf: digits[1..<count])
                }
                append(UInt8(ascii: "e"))
                append(UInt8(ascii: decimalExponent < 0 ? "-" : "+"))
                let magnitude = decimalExponent.magnitude
                if magnitude < 10 { append(UInt8(ascii: "0")) }
                appendInteger(UInt64(magnitude))
                return
            }
            if point <= 0 {
                append(contentsOf: "0.".utf8)
                append(contentsOf: repeatElement(UInt8(ascii: "0"), count: -point))
                append(contentsOf: digits[0..<count])
            } else if point >= count {
                append(contentsOf: digits[0..<count])
                append(contentsOf: repeatElement(UInt8(ascii: "0"), count: point - count))
                if case .canonicalLabel = style { append(contentsOf: ".0".utf8) }
            } else {
                append(contentsOf: digits[0..<point])
                append(UInt8(ascii: "."))
                append(contentsOf: digits[point..<count])
            }
        }
    }
}
