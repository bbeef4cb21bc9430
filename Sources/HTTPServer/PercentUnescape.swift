import CMicroHTTPD

/// Replaces libmicrohttpd's unescaper (MHD_OPTION_UNESCAPE_CALLBACK) for paths and query
/// arguments. The default decodes `%00` into a NUL, which ends the C string the handler reads, so
/// `/metrics%00x` was served as `/metrics`. This one decodes every other `%XX` as the default does
/// and leaves `%00` as its three characters, so such a path matches no route.
enum PercentUnescape {
    static var option: MHD_OptionItem {
        MHD_OptionItem(option: .UNESCAPE_CALLBACK, value: unsafeBitCast(callback, to: Int.self), ptr_value: nil)
    }

    /// Decodes `text` in place; returns its new length.
    static func decode(_ text: UnsafeMutablePointer<CChar>) -> Int {
        var read = 0
        var write = 0
        while text[read] != 0 {
            // Sequential: text[read + 2] is read only when text[read + 1] was a digit, not the end.
            if text[read] == CChar(UInt8(ascii: "%")), let high = hexValue(text[read + 1]), let low = hexValue(text[read + 2]), high | low != 0 {
                text[write] = CChar(bitPattern: high << 4 | low)
                read += 3
            } else {
                text[write] = text[read]
                read += 1
            }
            write += 1
        }
        text[write] = 0
        return write
    }

    private static func hexValue(_ character: CChar) -> UInt8? {
        let byte = UInt8(bitPattern: character)
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// `size_t (*)(void *cls, struct MHD_Connection *c, char *s)`; microhttpd.h names no type for it.
    private static let callback: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafeMutablePointer<CChar>?) -> Int = { _, _, text in
        guard let text else { return 0 }
        return decode(text)
    }
}
