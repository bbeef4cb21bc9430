import Testing

@testable import HTTPServer

@Suite(.timeLimit(.minutes(1)))
struct ListenAddressTests {
    let scratch = Scratch()

    @Test(arguments: [
        ("127.0.0.1:9464", ListenAddress.Host.ipv4("127.0.0.1"), 9464, "127.0.0.1:9464"),
        ("0.0.0.0:80", .ipv4("0.0.0.0"), 80, "0.0.0.0:80"),
        (":9464", .allInterfaces, 9464, ":9464"),
        (":0", .allInterfaces, 0, ":0"),
        ("[::1]:0", .ipv6("::1"), 0, "[::1]:0"),
        ("[::]:65535", .ipv6("::"), 65535, "[::]:65535"),
        ("[2001:db8::7]:9100", .ipv6("2001:db8::7"), 9100, "[2001:db8::7]:9100"),
        ("127.0.0.1:09464", .ipv4("127.0.0.1"), 9464, "127.0.0.1:9464"),
    ])
    func validForms(text: String, host: ListenAddress.Host, port: Int, description: String) throws {
        let address = try ListenAddress(parsing: text)
        #expect(address.host == host)
        #expect(address.port == port)
        #expect(address.description == description)
    }

    static let invalid: [(String, String)] = [
        ("", "invalid listen address '': empty (expected host:port, [ipv6]:port or :port)"),
        ("foo", "invalid listen address 'foo': missing port (expected host:port, [ipv6]:port or :port)"),
        ("127.0.0.1", "invalid listen address '127.0.0.1': missing port (expected host:port, [ipv6]:port or :port)"),
        ("127.0.0.1:", "invalid listen address '127.0.0.1:': missing port (expected host:port, [ipv6]:port or :port)"),
        ("127.0.0.1:http", "invalid listen address '127.0.0.1:http': port 'http' is not a number from 0 to 65535"),
        ("127.0.0.1:65536", "invalid listen address '127.0.0.1:65536': port '65536' is not a number from 0 to 65535"),
        ("127.0.0.1:-1", "invalid listen address '127.0.0.1:-1': port '-1' is not a number from 0 to 65535"),
        ("127.0.0.1:+80", "invalid listen address '127.0.0.1:+80': port '+80' is not a number from 0 to 65535"),
        ("127.0.0.1:100000", "invalid listen address '127.0.0.1:100000': port '100000' is not a number from 0 to 65535"),
        ("256.0.0.1:80", "invalid listen address '256.0.0.1:80': '256.0.0.1' is not an IPv4 address"),
        ("127.1:80", "invalid listen address '127.1:80': '127.1' is not an IPv4 address"),
        (
            "localhost:9464",
            "invalid listen address 'localhost:9464': host 'localhost' is not an IP address (use 127.0.0.1, [::1], or an empty host for all interfaces)"
        ),
        ("::1:9464", "invalid listen address '::1:9464': IPv6 addresses need brackets, as in [::1]:9464"),
        ("[::1", "invalid listen address '[::1': missing ']' after the IPv6 address"),
        ("[::1]9464", "invalid listen address '[::1]9464': expected ':port' after ']'"),
        ("[::1]", "invalid listen address '[::1]': expected ':port' after ']'"),
        ("[::1]:", "invalid listen address '[::1]:': missing port (expected host:port, [ipv6]:port or :port)"),
        ("[127.0.0.1]:80", "invalid listen address '[127.0.0.1]:80': '127.0.0.1' is not an IPv6 address"),
        ("[fe80::1%eth0]:80", "invalid listen address '[fe80::1%eth0]:80': 'fe80::1%eth0' is not an IPv6 address"),
    ]

    @Test(arguments: invalid)
    func invalidFormsNameTheInputAndTheProblem(text: String, message: String) {
        #expect(throws: HTTPServerError(.invalidListenAddress, message)) { try ListenAddress(parsing: text) }
        let server = HTTPServer(config: HTTPServerConfig(listenAddress: text)) { _ in .text(200, "") }
        #expect(throws: HTTPServerError(.invalidListenAddress, message)) { try server.start() }
    }

    @Test func aPortInUseIsReportedExactly() throws {
        let first = try startedServer { _ in .text(200, "first\n") }
        defer { first.stop() }
        let address = "127.0.0.1:\(first.boundPort)"
        let second = HTTPServer(config: HTTPServerConfig(listenAddress: address)) { _ in .text(200, "second\n") }
        #expect(throws: HTTPServerError(.listen, "listen \(address): Address already in use")) { try second.start() }
        #expect(curl([url(first)], scratch: scratch).bodyText == "first\n")
    }

    @Test func anAddressNotOnThisMachineIsReportedExactly() {
        // 192.0.2.0/24 is TEST-NET-1, never assigned to a host.
        let server = HTTPServer(config: HTTPServerConfig(listenAddress: "192.0.2.1:0")) { _ in .text(200, "") }
        #expect(throws: HTTPServerError(.listen, "listen 192.0.2.1:0: Cannot assign requested address")) { try server.start() }
    }

    @Test(.enabled(if: hasIPv6Loopback, "this machine has no IPv6 loopback address"))
    func bracketedIPv6BindsThatAddressOnly() throws {
        let server = try startedServer({ $0.listenAddress = "[::1]:0" }) { request in .text(200, request.remoteAddress) }
        defer { server.stop() }
        let result = curl(["-g", "http://[::1]:\(server.boundPort)/"], scratch: scratch)
        #expect(result.status == 200)
        #expect(result.bodyText.hasPrefix("[::1]:"))
        // IPv6-only: the same port on 127.0.0.1 has no listener.
        #expect(RawConnection(port: server.boundPort) == nil)
    }

    @Test func anEmptyHostServesIPv4AndIPv6() throws {
        let server = try startedServer({ $0.listenAddress = ":0" }) { request in .text(200, request.remoteAddress) }
        defer { server.stop() }
        let ipv4 = curl([url(server)], scratch: scratch)
        #expect(ipv4.status == 200)
        #expect(ipv4.bodyText.hasPrefix("127.0.0.1:"), "IPv4 clients of the dual-stack socket show as IPv4")
        if hasIPv6Loopback {
            let ipv6 = curl(["-g", "http://[::1]:\(server.boundPort)/"], scratch: scratch)
            #expect(ipv6.status == 200)
            #expect(ipv6.bodyText.hasPrefix("[::1]:"))
        }
    }
}
