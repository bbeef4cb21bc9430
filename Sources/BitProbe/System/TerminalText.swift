/// Text from files we do not control (a baseline's description, a CPU model) made safe to print:
/// control characters, escape sequences among them, are shown as `\u{1B}` instead of being sent to
/// the terminal, where they could move the cursor, retitle the window or hide other lines.
public enum TerminalText {
    public static func printable(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
