import Testing

@testable import HTTPServer

@Suite(.timeLimit(.minutes(1)))
struct TLSTests {
    let scratch = Scratch()

    /// A self-signed certificate for 127.0.0.1 and localhost, made with the openssl CLI.
    func selfSigned() throws -> (certificate: String, key: String, certificatePath: String) {
        let certificatePath = scratch.file("cert.pem")
        let keyPath = scratch.file("key.pem")
        let status = shell(
            "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
                + "-addext subjectAltName=IP:127.0.0.1,DNS:localhost "
                + "-keyout \(quoted(keyPath)) -out \(quoted(certificatePath)) 2>/dev/null"
        )
        try #require(status == 0, "openssl req failed")
        return (readText(certificatePath), readText(keyPath), certificatePath)
    }

    @Test func scrapesOverHTTPSVerifyAgainstTheCertificate() throws {
        let pem = try selfSigned()
        let server = try startedServer({
            $0.tls = TLSSettings(certificatePEM: pem.certificate, privateKeyPEM: pem.key)
        }) { request in .text(200, "tls \(request.path)\n") }
        defer { server.stop() }

        let https = "https://127.0.0.1:\(server.boundPort)/metrics"
        let verified = curl(["--cacert", pem.certificatePath, https], scratch: scratch)
        #expect(verified.exitCode == 0)
        #expect(verified.status == 200)
        #expect(verified.bodyText == "tls /metrics\n")

        let gzipped = curl(["--cacert", pem.certificatePath, "--compressed", https], scratch: scratch)
        #expect(gzipped.headers["content-encoding"] == "gzip")
        #expect(gzipped.bodyText == "tls /metrics\n")

        // Without the certificate as a trust anchor curl refuses the self-signed server (60).
        #expect(curl([https], scratch: scratch).exitCode == 60)
        // Plain HTTP to the TLS port gets no HTTP answer.
        #expect(curl([url(server, "/metrics")], scratch: scratch).status != 200)
    }

    @Test func tlsClientsThatHangUpMidResponseDoNotStopTheServer() throws {
        let pem = try selfSigned()
        let large = [UInt8](repeating: UInt8(ascii: "x"), count: 8 << 20)
        let server = try startedServer({
            $0.tls = TLSSettings(certificatePEM: pem.certificate, privateKeyPEM: pem.key)
        }) { _ in HTTPResponse(status: 200, body: large, compressible: false) }
        defer { server.stop() }
        let https = "https://127.0.0.1:\(server.boundPort)/"
        // head closes the pipe after 1 KB, curl then drops the TLS connection mid-body.
        shell("curl -s --max-time 10 --cacert \(quoted(pem.certificatePath)) \(https) | head -c 1000 > /dev/null")
        let result = curl(["--cacert", pem.certificatePath, https], scratch: scratch)
        #expect(result.status == 200)
        #expect(result.body.count == large.count)
    }

    @Test func aKeyThatDoesNotMatchTheCertificateIsRefused() throws {
        let pem = try selfSigned()
        let otherKeyPath = scratch.file("other.pem")
        try #require(shell("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out \(quoted(otherKeyPath)) 2>/dev/null") == 0)
        let server = HTTPServer(
            config: HTTPServerConfig(
                listenAddress: "127.0.0.1:0", tls: TLSSettings(certificatePEM: pem.certificate, privateKeyPEM: readText(otherKeyPath))
            )
        ) { _ in .text(200, "") }
        let error = try #require(throws: HTTPServerError.self) { try server.start() }
        #expect(error.kind == .tls)
        #expect(error.message.hasPrefix("TLS: GnuTLS failed to setup x509 certificate/key: The certificate and the given key do not match"), "\(error)")
        #expect(server.boundPort == 0)
    }

    @Test(arguments: [
        ("not a certificate", "-----BEGIN PRIVATE KEY-----\n", "TLS: certificate is not PEM (no -----BEGIN CERTIFICATE----- line)"),
        ("-----BEGIN CERTIFICATE-----\n", "", "TLS: private key is not PEM (no -----BEGIN ... PRIVATE KEY----- line)"),
    ])
    func nonPEMInputIsRefusedBeforeBinding(certificate: String, key: String, message: String) {
        let server = HTTPServer(
            config: HTTPServerConfig(
                listenAddress: "127.0.0.1:0", tls: TLSSettings(certificatePEM: certificate, privateKeyPEM: key)
            )
        ) { _ in .text(200, "") }
        #expect(throws: HTTPServerError(.tls, message)) { try server.start() }
    }

    @Test func aCorruptCertificateIsATLSError() throws {
        let pem = try selfSigned()
        let corrupt = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
        let server = HTTPServer(
            config: HTTPServerConfig(
                listenAddress: "127.0.0.1:0", tls: TLSSettings(certificatePEM: corrupt, privateKeyPEM: pem.key)
            )
        ) { _ in .text(200, "") }
        let error = try #require(throws: HTTPServerError.self) { try server.start() }
        #expect(error.kind == .tls)
        #expect(error.message.hasPrefix("TLS: "), "\(error)")
    }
}
