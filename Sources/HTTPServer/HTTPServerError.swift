import Glibc

/// Why the server could not start. Every message names the input that caused it, e.g.
/// `listen 127.0.0.1:9464: Address already in use` or `invalid listen address 'foo': missing port`.
public struct HTTPServerError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A limit, the realm or a basic-auth entry is out of range or malformed.
        case invalidConfiguration
        /// `listenAddress` does not parse.
        case invalidListenAddress
        /// The socket could not be created, bound or put into listening state.
        case listen
        /// The certificate or key was refused, or libmicrohttpd lacks TLS.
        case tls
        /// libmicrohttpd refused to start for another reason (threads, epoll, memory).
        case start
        /// `start()` was called while the server was already serving.
        case alreadyRunning
    }

    public let kind: Kind
    public let message: String

    public var description: String { message }

    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    static func invalidConfiguration(_ reason: String) -> HTTPServerError {
        HTTPServerError(.invalidConfiguration, "invalid HTTP server configuration: \(reason)")
    }

    static func invalidListenAddress(_ input: String, _ reason: String) -> HTTPServerError {
        HTTPServerError(.invalidListenAddress, "invalid listen address '\(input)': \(reason)")
    }

    static func listen(_ address: String, errno code: Int32) -> HTTPServerError {
        HTTPServerError(.listen, "listen \(address): \(String(cString: strerror(code)))")
    }

    static func tls(_ reason: String) -> HTTPServerError {
        HTTPServerError(.tls, "TLS: \(reason)")
    }

    static func start(_ address: String, _ reason: String) -> HTTPServerError {
        HTTPServerError(.start, "start HTTP server on \(address): \(reason)")
    }

    static func alreadyRunning(_ address: String) -> HTTPServerError {
        HTTPServerError(.alreadyRunning, "HTTP server on \(address) is already running")
    }
}
