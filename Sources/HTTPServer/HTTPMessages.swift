/// A complete GET or HEAD request, as the handler sees it. The server has already refused other
/// methods, request bodies, requests over the in-flight limit and failed basic auth.
public struct HTTPRequest: Sendable, Equatable {
    /// `GET` or `HEAD`. Answer both the same way: for HEAD libmicrohttpd sends the headers,
    /// including the Content-Length of the body, and drops the body.
    public var method: String
    /// The path without the query, percent-decoded by libmicrohttpd: `/metrics`.
    public var path: String
    /// Query arguments, decoded. A repeated name keeps its first value; `?debug` maps to "".
    public var query: [String: String]
    /// Request headers with lowercased names. Repeated headers are joined with ", ".
    public var headers: [String: String]
    /// The client as `127.0.0.1:50312` or `[::1]:50312` (IPv4 clients of a dual-stack socket
    /// appear as IPv4).
    public var remoteAddress: String

    public init(method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:], remoteAddress: String = "") {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.remoteAddress = remoteAddress
    }
}

/// What the handler answers. The server adds Content-Length and Date, and gzip-encodes the body
/// when `compressible` is set and the client accepts gzip.
///
/// ```swift
/// HTTPResponse.text(404, "not found\n")
/// HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4")], body: bytes)
/// ```
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Sent in order. A Content-Length here is ignored (libmicrohttpd computes it); a
    /// Content-Encoding here marks the body as already encoded, so it is never gzipped again.
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Whether the server may gzip the body for a client that sends `Accept-Encoding: gzip`.
    public var compressible: Bool

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = [], compressible: Bool = true) {
        self.status = status
        self.headers = headers
        self.body = body
        self.compressible = compressible
    }

    /// A `text/plain; charset=utf-8` response.
    public static func text(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array(text.utf8))
    }

    /// A `text/html; charset=utf-8` response.
    public static func html(_ status: Int, _ html: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "text/html; charset=utf-8")], body: Array(html.utf8))
    }

    /// An `application/json` response from already-encoded bytes.
    public static func json(_ status: Int, _ bytes: [UInt8]) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: bytes)
    }
}
