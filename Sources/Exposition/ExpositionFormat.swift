/// The two text formats /metrics speaks.
public enum ExpositionFormat: Sendable, Equatable, CaseIterable {
    /// Prometheus text format 0.0.4: what browsers, curl and most tools get.
    case prometheusText
    /// OpenMetrics 1.0.0 text: what Prometheus asks for first; the only one carrying exemplars.
    case openMetrics

    /// The `Content-Type` of a response in this format.
    public var contentType: String {
        switch self {
        case .prometheusText: "text/plain; version=0.0.4; charset=utf-8"
        case .openMetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8"
        }
    }

    /// Picks the format for a request's `Accept` header (RFC 9110 §12.5.1).
    ///
    /// OpenMetrics when the header names `application/openmetrics-text` with `version=1.0.0`
    /// (or `0.0.1`, or no version) at a q above 0 that is at least text/plain's; text 0.0.4 otherwise,
    /// including for a missing or unparsable header: text is never refused. Wildcards count for text
    /// only, so `*/*` (curl, browsers) gets text. docs/exposition.md lists the headers Prometheus sends.
    ///
    /// ```swift
    /// ExpositionFormat.negotiate(accept: "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")
    /// // .openMetrics
    /// ```
    public static func negotiate(accept: String?) -> ExpositionFormat {
        guard let accept else { return .prometheusText }
        var preference = Preference()
        for element in Array(accept.utf8).splitOutsideQuotes(on: UInt8(ascii: ",")) {
            if let range = MediaRange(element) { preference.add(range) }
        }
        return preference.choice
    }
}

/// The best q the header gives each format, by how specifically a range names it.
private struct Preference {
    // Most specific first: version=1.0.0, version=0.0.1 (same text, older name), no version.
    var openMetrics: [Int?] = [nil, nil, nil]
    // version=0.0.4, version=1.0.0 (a superset we satisfy: our names never need quoting), no
    // version, text/*, */*.
    var text: [Int?] = [nil, nil, nil, nil, nil]

    mutating func add(_ range: MediaRange) {
        let version = range.parameters["version"]
        switch range.type {
        case "application/openmetrics-text":
            switch version {
            case "1.0.0": record(range.quality, in: &openMetrics, at: 0)
            case "0.0.1": record(range.quality, in: &openMetrics, at: 1)
            case nil: record(range.quality, in: &openMetrics, at: 2)
            default: break
            }
        case "text/plain":
            switch version {
            case "0.0.4": record(range.quality, in: &text, at: 0)
            case "1.0.0": record(range.quality, in: &text, at: 1)
            case nil: record(range.quality, in: &text, at: 2)
            default: break
            }
        case "text/*": record(range.quality, in: &text, at: 3)
        case "*/*": record(range.quality, in: &text, at: 4)
        default: break
        }
    }

    private func record(_ quality: Int, in levels: inout [Int?], at level: Int) {
        levels[level] = Swift.max(levels[level] ?? 0, quality)
    }

    var choice: ExpositionFormat {
        guard let openMetricsQuality = openMetrics.lazy.compactMap({ $0 }).first, openMetricsQuality > 0 else {
            return .prometheusText
        }
        let textQuality = text.lazy.compactMap { $0 }.first ?? 0
        return openMetricsQuality >= textQuality ? .openMetrics : .prometheusText
    }
}

/// One element of an Accept header: `type/subtype;name=value;q=0.5`.
private struct MediaRange {
    /// Lowercased `type/subtype`.
    var type: String
    /// Lowercased names, unquoted values; `q` is taken out into `quality`.
    var parameters: [String: String] = [:]
    /// Thousandths, 0...1000.
    var quality = 1000

    /// Nil for an element that is not a media range or has a malformed q: it is ignored.
    init?(_ element: ArraySlice<UInt8>) {
        let parts = Array(element).splitOutsideQuotes(on: UInt8(ascii: ";"))
        guard let first = parts.first else { return nil }
        let mediaType = first.trimmed.lowercased
        let slash = mediaType.firstIndex(of: UInt8(ascii: "/"))
        guard let slash, slash > mediaType.startIndex, slash < mediaType.endIndex - 1 else { return nil }
        type = String(decoding: mediaType, as: UTF8.self)
        for part in parts.dropFirst() {
            let parameter = part.trimmed
            guard let equals = parameter.firstIndex(of: UInt8(ascii: "=")) else { return nil }
            let name = String(decoding: parameter[..<equals].trimmed.lowercased, as: UTF8.self)
            let value = parameter[(equals + 1)...].trimmed.unquoted
            if name == "q" {
                guard let quality = MediaRange.quality(value) else { return nil }
                self.quality = quality
            } else {
                parameters[name] = String(decoding: value, as: UTF8.self)
            }
        }
    }

    /// RFC 9110 qvalue: `0`, `0.` and up to three digits, or `1`, `1.` and up to three zeros.
    private static func quality(_ text: [UInt8]) -> Int? {
        guard let first = text.first, first == UInt8(ascii: "0") || first == UInt8(ascii: "1") else { return nil }
        var result = first == UInt8(ascii: "1") ? 1000 : 0
        guard text.count > 1 else { return result }
        guard text[1] == UInt8(ascii: "."), text.count <= 5 else { return nil }
        var scale = 100
        for digit in text[2...] {
            guard digit.isASCIIDigit else { return nil }
            result += Int(digit - UInt8(ascii: "0")) * scale
            scale /= 10
        }
        return result <= 1000 ? result : nil
    }
}

extension [UInt8] {
    /// Splits on `separator`, except inside a quoted string (where `\` escapes the next byte).
    func splitOutsideQuotes(on separator: UInt8) -> [ArraySlice<UInt8>] {
        var parts: [ArraySlice<UInt8>] = []
        var start = startIndex
        var inQuotes = false
        var escaped = false
        for index in indices {
            let byte = self[index]
            if escaped {
                escaped = false
            } else if inQuotes && byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                inQuotes.toggle()
            } else if byte == separator && !inQuotes {
                parts.append(self[start..<index])
                start = index + 1
            }
        }
        parts.append(self[start...])
        return parts
    }
}

extension ArraySlice<UInt8> {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    var trimmed: ArraySlice<UInt8> {
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return []
        }
        return self[first...last]
    }

    var lowercased: [UInt8] {
        map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }
    }

    /// The content of a quoted string with its escapes resolved, or the bytes as they are.
    var unquoted: [UInt8] {
        guard count >= 2, first == UInt8(ascii: "\""), last == UInt8(ascii: "\"") else { return Array(self) }
        var result: [UInt8] = []
        var escaped = false
        for byte in dropFirst().dropLast() {
            if !escaped && byte == UInt8(ascii: "\\") {
                escaped = true
            } else {
                result.append(byte)
                escaped = false
            }
        }
        return result
    }
}
