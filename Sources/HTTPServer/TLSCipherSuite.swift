/// A TLS 1.2 cipher suite as exporter-toolkit's `cipher_suites` names it (Go's names, which are the
/// IANA ones), with the GnuTLS priority items that enable it. Only the suites that Go and this
/// GnuTLS both offer are here; Go's RC4 and 3DES suites are not.
public struct TLSCipherSuite: Sendable, Equatable {
    public let name: String
    /// The IANA code point, as GnuTLS reports the suites a priority string enables.
    let code: UInt16
    let keyExchange: String
    let cipher: String
    let mac: String

    public static let supported: [TLSCipherSuite] = [
        .init(name: "TLS_RSA_WITH_AES_128_CBC_SHA", code: 0x002F, keyExchange: "RSA", cipher: "AES-128-CBC", mac: "SHA1"),
        .init(name: "TLS_RSA_WITH_AES_256_CBC_SHA", code: 0x0035, keyExchange: "RSA", cipher: "AES-256-CBC", mac: "SHA1"),
        .init(name: "TLS_RSA_WITH_AES_128_CBC_SHA256", code: 0x003C, keyExchange: "RSA", cipher: "AES-128-CBC", mac: "SHA256"),
        .init(name: "TLS_RSA_WITH_AES_128_GCM_SHA256", code: 0x009C, keyExchange: "RSA", cipher: "AES-128-GCM", mac: "AEAD"),
        .init(name: "TLS_RSA_WITH_AES_256_GCM_SHA384", code: 0x009D, keyExchange: "RSA", cipher: "AES-256-GCM", mac: "AEAD"),
        .init(name: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", code: 0xC009, keyExchange: "ECDHE-ECDSA", cipher: "AES-128-CBC", mac: "SHA1"),
        .init(name: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", code: 0xC00A, keyExchange: "ECDHE-ECDSA", cipher: "AES-256-CBC", mac: "SHA1"),
        .init(name: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", code: 0xC013, keyExchange: "ECDHE-RSA", cipher: "AES-128-CBC", mac: "SHA1"),
        .init(name: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", code: 0xC014, keyExchange: "ECDHE-RSA", cipher: "AES-256-CBC", mac: "SHA1"),
        .init(name: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", code: 0xC023, keyExchange: "ECDHE-ECDSA", cipher: "AES-128-CBC", mac: "SHA256"),
        .init(name: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", code: 0xC027, keyExchange: "ECDHE-RSA", cipher: "AES-128-CBC", mac: "SHA256"),
        .init(name: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", code: 0xC02B, keyExchange: "ECDHE-ECDSA", cipher: "AES-128-GCM", mac: "AEAD"),
        .init(name: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", code: 0xC02C, keyExchange: "ECDHE-ECDSA", cipher: "AES-256-GCM", mac: "AEAD"),
        .init(name: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", code: 0xC02F, keyExchange: "ECDHE-RSA", cipher: "AES-128-GCM", mac: "AEAD"),
        .init(name: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", code: 0xC030, keyExchange: "ECDHE-RSA", cipher: "AES-256-GCM", mac: "AEAD"),
        .init(name: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", code: 0xCCA8, keyExchange: "ECDHE-RSA", cipher: "CHACHA20-POLY1305", mac: "AEAD"),
        .init(name: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", code: 0xCCA9, keyExchange: "ECDHE-ECDSA", cipher: "CHACHA20-POLY1305", mac: "AEAD"),
    ]

    /// The supported suite called `name`, nil for an unknown or unsupported name.
    public init?(name: String) {
        guard let suite = Self.supported.first(where: { $0.name == name }) else { return nil }
        self = suite
    }

    private init(name: String, code: UInt16, keyExchange: String, cipher: String, mac: String) {
        self.name = name
        self.code = code
        self.keyExchange = keyExchange
        self.cipher = cipher
        self.mac = mac
    }

    /// The ciphers TLS 1.3 needs for the suites Go offers (AES-128-GCM, AES-256-GCM,
    /// ChaCha20-Poly1305). GnuTLS has one cipher list for both versions, so these stay enabled
    /// whatever `cipher_suites` says, as exporter-toolkit leaves TLS 1.3 alone.
    static let tls13Ciphers = ["AES-128-GCM", "AES-256-GCM", "CHACHA20-POLY1305"]

    /// The priority items enabling `suites` (and, with `tls13`, TLS 1.3's ciphers): GnuTLS enables
    /// every suite whose key exchange, cipher and MAC are all enabled, so this may enable more
    /// TLS 1.2 suites than `suites`; `TLSSettings.validate()` refuses such lists.
    static func priorityItems(_ suites: [TLSCipherSuite], tls13: Bool) -> String {
        func unique(_ items: [String]) -> [String] {
            var seen = Set<String>()
            return items.filter { seen.insert($0).inserted }
        }
        let exchanges = unique(suites.map(\.keyExchange))
        let ciphers = unique(suites.map(\.cipher) + (tls13 ? tls13Ciphers : []))
        let macs = unique(suites.map(\.mac) + (tls13 ? ["AEAD"] : []))
        return ":-KX-ALL" + exchanges.map { ":+\($0)" }.joined()
            + ":-CIPHER-ALL" + ciphers.map { ":+\($0)" }.joined()
            + ":-MAC-ALL" + macs.map { ":+\($0)" }.joined()
    }
}
