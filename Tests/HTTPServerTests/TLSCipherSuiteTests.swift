import Testing

@testable import HTTPServer

@Suite struct TLSCipherSuiteTests {
    let pem = "-----BEGIN CERTIFICATE-----\n", key = "-----BEGIN PRIVATE KEY-----\n"

    func settings(_ names: [String], maxVersion: TLSVersion? = nil) -> TLSSettings {
        TLSSettings(certificatePEM: pem, privateKeyPEM: key, maxVersion: maxVersion, cipherSuites: names.map { TLSCipherSuite(name: $0)! })
    }

    @Test func namesAreGosAndTLS13OrRC4NamesAreNotSuites() {
        #expect(TLSCipherSuite(name: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256")?.code == 0xCCA9)
        #expect(TLSCipherSuite(name: "TLS_AES_128_GCM_SHA256") == nil)
        #expect(TLSCipherSuite(name: "TLS_RSA_WITH_RC4_128_SHA") == nil)
    }

    @Test func theListBecomesKeyExchangesCiphersAndMACsPlusTLS13sCiphers() {
        let suites = ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"]
        #expect(
            settings(suites).gnutlsPriorities == "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.3:-KX-ALL:+ECDHE-RSA"
                + ":-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD")
        #expect(
            settings(["TLS_RSA_WITH_AES_128_CBC_SHA"], maxVersion: .tls12).gnutlsPriorities
                == "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+RSA:-CIPHER-ALL:+AES-128-CBC:-MAC-ALL:+SHA1")
        #expect(throws: Never.self) { try settings(suites).validate() }
        #expect(throws: Never.self) { try settings(["TLS_RSA_WITH_AES_128_CBC_SHA"], maxVersion: .tls12).validate() }
    }

    @Test func aListThatWouldEnableMoreSuitesIsRefusedNamingThem() {
        #expect(
            throws: HTTPServerError.tls(
                "cipher_suites: would also enable TLS_RSA_WITH_AES_128_GCM_SHA256, TLS_RSA_WITH_AES_256_GCM_SHA384 (GnuTLS enables key exchanges, "
                    + "ciphers and MACs rather than single suites, and keeps TLS 1.3's AES-GCM and ChaCha20-Poly1305); list them too, leave out "
                    + "suites, or set max_version: TLS12"
            )
        ) { try settings(["TLS_RSA_WITH_AES_128_CBC_SHA"]).validate() }
    }
}
