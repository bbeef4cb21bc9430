/// Escaping for text placed in XML, HTML or SVG (element content and quoted attribute values
/// alike): the JUnit report, the HTML report and its SVG charts all go through `escape`.
enum Markup {
    /// Escapes the five XML specials and replaces what XML 1.0 cannot carry at all (most C0 controls,
    /// U+FFFE and U+FFFF; unpaired surrogates cannot occur in a Swift String); tabs and line breaks
    /// become character references so that attribute values keep them.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            case "\n": escaped += "&#10;"
            case "\r": escaped += "&#13;"
            case "\t": escaped += "&#9;"
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                    escaped += "\u{FFFD}"
                } else {
                    escaped.unicodeScalars.append(scalar)
                }
            }
        }
        return escaped
    }

    /// A coordinate with at most two decimals, so SVG stays small and byte-stable.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (value * 100).rounded() / 100
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        return formatFixed(rounded, decimals: 2).trailingZerosTrimmed()
    }
}

extension String {
    func trailingZerosTrimmed() -> String {
        guard contains(".") else { return self }
        var text = self
        while text.last == "0" { text.removeLast() }
        if text.last == "." { text.removeLast() }
        return text
    }
}
