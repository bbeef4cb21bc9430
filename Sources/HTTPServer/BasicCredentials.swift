/// The user and password of an `Authorization: Basic` header (RFC 7617), read here rather than by
/// libmicrohttpd, which matched the scheme name case-sensitively (refusing `basic`) and cut the
/// password at its first NUL byte (accepting `secret\0anything` for `secret`).
struct BasicCredentials: Equatable {
    var user: String
    var password: [UInt8]

    /// nil for anything but well-formed Basic credentials: another scheme, bad base64, no ':', or
    /// a control character (NUL included) in the user or password, which RFC 7617 forbids.
    init?(header: String) {
        let trimmed = header.drop { $0 == " " }
        guard let space = trimmed.firstIndex(of: " "), trimmed[..<space].lowercased() == "basic" else { return nil }
        let token = trimmed[space...].drop { $0 == " " }
        guard let decoded = Base64.decode(token.utf8), let colon = decoded.firstIndex(of: UInt8(ascii: ":")),
            !decoded.contains(where: { $0 < 0x20 || $0 == 0x7F }),
            let user = String(validating: decoded[..<colon], as: UTF8.self)
        else { return nil }
        self.user = user
        password = Array(decoded[(colon + 1)...])
    }
}

/// Strict standard base64 (RFC 4648 §4): padding required, no whitespace, no other alphabet.
enum Base64 {
    static func decode<Bytes: Collection>(_ text: Bytes) -> [UInt8]? where Bytes.Element == UInt8 {
        guard !text.isEmpty, text.count % 4 == 0 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(text.count / 4 * 3)
        var quad: [UInt8] = []
        var padding = 0
        for byte in text {
            let value: UInt8
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = byte - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = byte - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="): padding += 1; value = 0
            default: return nil
            }
            // '=' only at the end, at most two.
            if byte != UInt8(ascii: "="), padding > 0 { return nil }
            quad.append(value)
            if quad.count == 4 {
                output.append(quad[0] << 2 | quad[1] >> 4)
                output.append(quad[1] << 4 | quad[2] >> 2)
                output.append(quad[2] << 6 | quad[3])
                quad.removeAll(keepingCapacity: true)
            }
        }
        guard padding <= 2 else { return nil }
        output.removeLast(padding)
        return output
    }
}
