import SpanModel

/// The `key1=value1,key2=value2` lists of `OTEL_RESOURCE_ATTRIBUTES` and
/// `OTEL_EXPORTER_OTLP_HEADERS`: the W3C Baggage format without properties. Whitespace around
/// keys and values is trimmed, values are percent-decoded (`+` stays a plus), and an empty entry
/// (a trailing comma) is skipped.
enum KeyValueList {
    struct Parsed {
        var pairs: [(key: String, value: String)] = []
        /// One sentence per bad entry; naming the key, never the value.
        var problems: [String] = []
    }

    static func parse(_ text: String) -> Parsed {
        var parsed = Parsed()
        for (index, entry) in text.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).enumerated() {
            let trimmedEntry = trim(entry)
            if trimmedEntry.isEmpty { continue }
            guard let equals = trimmedEntry.firstIndex(of: UInt8(ascii: "=")) else {
                parsed.problems.append("entry \(index + 1) is not key=value")
                continue
            }
            let key = String(decoding: trim(trimmedEntry[..<equals]), as: UTF8.self)
            guard !key.isEmpty else {
                parsed.problems.append("entry \(index + 1) has an empty key")
                continue
            }
            guard let value = percentDecode(trim(trimmedEntry[trimmedEntry.index(after: equals)...])) else {
                parsed.problems.append("the value of '\(key)' is not valid percent-encoded UTF-8")
                continue
            }
            parsed.pairs.append((key, value))
        }
        return parsed
    }

    /// nil for a `%` not followed by two hex digits, or bytes that are not UTF-8.
    static func percentDecode(_ bytes: some Collection<UInt8>) -> String? {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            index = bytes.index(after: index)
            guard byte == UInt8(ascii: "%") else {
                decoded.append(byte)
                continue
            }
            guard index != bytes.endIndex, let high = HexDigits.value(of: bytes[index]) else { return nil }
            index = bytes.index(after: index)
            guard index != bytes.endIndex, let low = HexDigits.value(of: bytes[index]) else { return nil }
            index = bytes.index(after: index)
            decoded.append(high << 4 | low)
        }
        return String(validating: decoded, as: UTF8.self)
    }

    private static func trim<C: BidirectionalCollection<UInt8>>(_ bytes: C) -> C.SubSequence {
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }),
            let last = bytes.lastIndex(where: { !isSpace($0) })
        else { return bytes[bytes.endIndex...] }
        return bytes[first...last]
    }
}
