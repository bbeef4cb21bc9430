extension [UInt8] {
    /// `\` → `\\`, `"` → `\"`, newline → `\n`: the escaping both formats define for label values.
    mutating func appendEscapedLabelValue(_ value: String) {
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\""): append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\n"): append(contentsOf: #"\n"#.utf8)
            default: append(byte)
            }
        }
    }

    /// HELP text: text 0.0.4 escapes only `\` and newline (a `\"` there would reach users literally);
    /// OpenMetrics escapes `"` as well.
    mutating func appendEscapedHelp(_ help: String, for format: ExpositionFormat) {
        for byte in help.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\"") where format == .openMetrics: append(contentsOf: #"\""#.utf8)
            default: append(byte)
            }
        }
    }
}
