import Glibc

/// A parsed `--web.listen-address`, in the forms Go exporters accept for IP literals:
///
/// | text | binds |
/// |---|---|
/// | `:9464` | every interface, IPv4 and IPv6, through one dual-stack socket |
/// | `127.0.0.1:9464`, `0.0.0.0:9464` | that IPv4 address only |
/// | `[::1]:9464`, `[::]:9464` | that IPv6 address only (no IPv4-mapped traffic) |
///
/// Port 0 asks the kernel for a free port; `HTTPServer.boundPort` reports it. Host names are
/// refused: resolving them would make the bound address depend on `/etc/hosts` and DNS order.
///
/// ```swift
/// let address = try ListenAddress(parsing: "[::1]:0")   // .ipv6("::1"), port 0
/// ```
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public enum Host: Sendable, Equatable {
        /// `:port`: all interfaces, both families.
        case allInterfaces
        /// A dotted-quad IPv4 address.
        case ipv4(String)
        /// An IPv6 address as written between the brackets.
        case ipv6(String)
    }

    public let host: Host
    public let port: Int

    public init(parsing text: String) throws(HTTPServerError) {
        func invalid(_ reason: String) -> HTTPServerError { .invalidListenAddress(text, reason) }
        let expectedForms = "expected host:port, [ipv6]:port or :port"
        guard !text.isEmpty else { throw invalid("empty (\(expectedForms))") }

        let hostText: Substring
        let portText: Substring
        if text.first == "[" {
            guard let close = text.firstIndex(of: "]") else { throw invalid("missing ']' after the IPv6 address") }
            hostText = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.first == ":" else { throw invalid("expected ':port' after ']'") }
            portText = rest.dropFirst()
            guard Self.parses(String(hostText), family: AF_INET6) else {
                throw invalid("'\(hostText)' is not an IPv6 address")
            }
            host = .ipv6(String(hostText))
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw invalid("missing port (\(expectedForms))") }
            hostText = text[..<colon]
            portText = text[text.index(after: colon)...]
            if hostText.contains(":") {
                throw invalid("IPv6 addresses need brackets, as in [\(hostText)]:\(portText)")
            }
            if hostText.isEmpty {
                host = .allInterfaces
            } else if Self.parses(String(hostText), family: AF_INET) {
                host = .ipv4(String(hostText))
            } else if hostText.allSatisfy({ $0 == "." || $0.isASCII && $0.isNumber }) {
                throw invalid("'\(hostText)' is not an IPv4 address")
            } else {
                throw invalid("host '\(hostText)' is not an IP address (use 127.0.0.1, [::1], or an empty host for all interfaces)")
            }
        }

        guard !portText.isEmpty else { throw invalid("missing port (\(expectedForms))") }
        guard portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
            let port = Int(portText), port <= 65535
        else { throw invalid("port '\(portText)' is not a number from 0 to 65535") }
        self.port = port
    }

    public var description: String {
        switch host {
        case .allInterfaces: ":\(port)"
        case .ipv4(let address): "\(address):\(port)"
        case .ipv6(let address): "[\(address)]:\(port)"
        }
    }

    private static func parses(_ text: String, family: Int32) -> Bool {
        var buffer = in6_addr()  // large enough for either family
        return inet_pton(family, text, &buffer) == 1
    }
}
