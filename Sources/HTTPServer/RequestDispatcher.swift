import CMicroHTTPD
import Glibc

/// Everything libmicrohttpd's threads need to answer a request; passed to them as `cls`.
/// libmicrohttpd calls the access handler once the request head is in, then again once the
/// request is fully read (GET and HEAD carry no body here), and once more for each piece of a
/// body. A request is answered on the second call: a response queued on the first counts as
/// early, and libmicrohttpd closes the connection after it, so no connection could be kept
/// alive. What can be refused from the head alone (a bad method, a body, a refused target) is
/// still refused on the first call, before any body is read, and that connection is closed.
final class RequestDispatcher: Sendable {
    private let handler: @Sendable (HTTPRequest) -> HTTPResponse
    private let maxRequestsInFlight: Int
    private let authenticator: BasicAuthenticator?
    private let statistics: StatisticsRecorder
    private let log: DaemonLog
    private let canned: CannedResponses
    private let headDeadline: RequestHeadDeadline?

    /// The request context after the first call: the head was accepted, the answer comes next. An
    /// address only compared, never read, written or freed.
    nonisolated(unsafe) private static let headAccepted = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)

    init(
        handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse, maxRequestsInFlight: Int,
        authenticator: BasicAuthenticator?, statistics: StatisticsRecorder, log: DaemonLog, canned: CannedResponses,
        headDeadline: RequestHeadDeadline?
    ) {
        self.headDeadline = headDeadline
        self.handler = handler
        self.maxRequestsInFlight = maxRequestsInFlight
        self.authenticator = authenticator
        self.statistics = statistics
        self.log = log
        self.canned = canned
    }

    /// The access handler to register with `Unmanaged.passUnretained(self)` as its closure.
    static let accessHandler: MHD_AccessHandlerCallback = { context, connection, url, method, _, _, _, requestContext in
        guard let context, let connection, let url, let method, let requestContext else { return .NO }
        let dispatcher = Unmanaged<RequestDispatcher>.fromOpaque(context).takeUnretainedValue()
        guard requestContext.pointee == headAccepted else {
            let mark = requestContext.pointee
            requestContext.pointee = headAccepted
            return dispatcher.screen(connection, method: method, mark: mark)
        }
        return dispatcher.dispatch(connection, url: url, method: method)
    }

    /// The first call: refuses what the head alone shows is wrong; `.YES` lets libmicrohttpd read
    /// the rest of the request (nothing, for an accepted head) and call again.
    private func screen(_ connection: OpaquePointer, method: UnsafePointer<CChar>, mark: UnsafeMutableRawPointer?) -> MHD_Result {
        headDeadline?.headReceived(connection)
        if mark == RequestTargetLimit.tooLong {
            return queue(canned.targetTooLong, status: 414, on: connection)
        }
        if mark == RequestTargetLimit.tooManyArguments {
            return queue(canned.tooManyArguments, status: 414, on: connection)
        }
        let method = String(cString: method)
        guard method == "GET" || method == "HEAD" else {
            return queue(canned.methodNotAllowed, status: 405, on: connection)
        }
        let headers = Self.values(of: connection, kind: .HEADER_KIND)
        let announcedLength = headers["content-length"].map { UInt64($0) ?? .max } ?? 0
        guard announcedLength == 0, headers["transfer-encoding"] == nil else {
            return queue(canned.bodyRefused, status: 413, on: connection)
        }
        return .YES
    }

    /// The second call: the request is complete.
    private func dispatch(_ connection: OpaquePointer, url: UnsafePointer<CChar>, method: UnsafePointer<CChar>) -> MHD_Result {
        let headers = Self.values(of: connection, kind: .HEADER_KIND)
        let admitted = statistics.inFlight.wrappingAdd(1, ordering: .relaxed).newValue
        defer { statistics.inFlight.wrappingSubtract(1, ordering: .relaxed) }
        guard maxRequestsInFlight == 0 || admitted <= maxRequestsInFlight else {
            statistics.rejectedOverInFlightLimit()
            return MHD_queue_response(connection, 503, canned.overloaded)
        }
        if let authenticator, !Self.isAuthorized(headers["authorization"], by: authenticator) {
            statistics.authenticationFailed()
            return MHD_queue_response(connection, 401, canned.unauthorized)
        }

        let request = HTTPRequest(
            method: String(cString: method),
            path: String(cString: url),
            query: Self.values(of: connection, kind: .GET_ARGUMENT_KIND),
            headers: headers,
            remoteAddress: bitprobe_mhd_client_address(connection).map(SocketAddressText.describe) ?? "unknown"
        )
        return respond(with: handler(request), to: request, on: connection)
    }

    private func respond(with response: HTTPResponse, to request: HTTPRequest, on connection: OpaquePointer) -> MHD_Result {
        guard (200...599).contains(response.status) else {
            log.record("handler answered \(request.method) \(request.path) with status \(response.status); sent 500 instead")
            return queue(canned.internalError, status: 500, on: connection)
        }
        let alreadyEncoded = response.headers.contains { $0.0.lowercased() == "content-encoding" }
        let negotiable = response.compressible && !alreadyEncoded
        let gzipped =
            negotiable && !response.body.isEmpty && Gzip.isAccepted(by: request.headers["accept-encoding"])
            ? Gzip.compress(response.body) : nil

        let created: OpaquePointer? =
            if let gzipped {
                MHD_create_response_from_buffer(gzipped.count, gzipped.baseAddress, .RESPMEM_MUST_FREE)
            } else {
                response.body.withUnsafeBytes {
                    MHD_create_response_from_buffer($0.count, UnsafeMutableRawPointer(mutating: $0.baseAddress), .RESPMEM_MUST_COPY)
                }
            }
        guard let created else {
            // Out of memory: closing the connection is all libmicrohttpd can still do.
            if let gzipped { free(gzipped.baseAddress) }
            return .NO
        }
        defer { MHD_destroy_response(created) }

        for (name, value) in response.headers where name.lowercased() != "content-length" {
            guard MHD_add_response_header(created, name, value) == .YES else {
                log.record("handler answered \(request.method) \(request.path) with invalid header '\(name)'; sent 500 instead")
                return queue(canned.internalError, status: 500, on: connection)
            }
        }
        if negotiable {
            // Caches must key on Accept-Encoding whether or not this reply was compressed.
            MHD_add_response_header(created, "Vary", "Accept-Encoding")
        }
        if gzipped != nil {
            MHD_add_response_header(created, "Content-Encoding", "gzip")
        }
        return queue(created, status: response.status, on: connection)
    }

    private func queue(_ response: OpaquePointer, status: Int, on connection: OpaquePointer) -> MHD_Result {
        statistics.responded(status)
        return MHD_queue_response(connection, UInt32(status), response)
    }

    private static func isAuthorized(_ header: String?, by authenticator: BasicAuthenticator) -> Bool {
        guard let header, let credentials = BasicCredentials(header: header) else { return false }
        return authenticator.verify(user: credentials.user, password: credentials.password) != .denied
    }

    /// Request headers (names lowercased, repeats joined with ", ") or query arguments (first
    /// value wins), through libmicrohttpd's iterator.
    private static func values(of connection: OpaquePointer, kind: MHD_ValueKind) -> [String: String] {
        var values: [String: String] = [:]
        withUnsafeMutablePointer(to: &values) { pointer in
            _ = MHD_get_connection_values(connection, kind, collectValue, pointer)
        }
        return values
    }

    private static let collectValue: MHD_KeyValueIterator = { context, kind, key, value in
        guard let context, let key else { return .YES }
        let values = context.assumingMemoryBound(to: [String: String].self)
        let text = value.map { String(cString: $0) } ?? ""
        if kind == .HEADER_KIND {
            let name = String(cString: key).lowercased()
            if let earlier = values.pointee[name] {
                values.pointee[name] = earlier + ", " + text
            } else {
                values.pointee[name] = text
            }
        } else {
            let name = String(cString: key)
            if values.pointee[name] == nil { values.pointee[name] = text }
        }
        return .YES
    }
}

/// The server's own answers, built once per start and shared by all threads: libmicrohttpd
/// reference-counts response objects under its own lock, so one object may be queued on many
/// connections at once. Answering an overload with a prebuilt 503 keeps rejection cheap.
struct CannedResponses: @unchecked Sendable {
    let methodNotAllowed: OpaquePointer
    let bodyRefused: OpaquePointer
    let overloaded: OpaquePointer
    let unauthorized: OpaquePointer
    let internalError: OpaquePointer
    let tooManyArguments: OpaquePointer
    let targetTooLong: OpaquePointer

    init(realm: String) {
        methodNotAllowed = Self.make("method not allowed: use GET or HEAD\n", [("Allow", "GET, HEAD")])
        bodyRefused = Self.make("request bodies are not accepted\n", [])
        overloaded = Self.make("too many requests in flight, try again later\n", [])
        unauthorized = Self.make("unauthorized\n", [("WWW-Authenticate", "Basic realm=\"\(realm)\"")])
        internalError = Self.make("internal server error\n", [])
        tooManyArguments = Self.make("request target has more than \(RequestTargetLimit.maxArguments) query arguments\n", [])
        targetTooLong = Self.make("request target is longer than \(RequestTargetLimit.maxTargetBytes) bytes\n", [])
    }

    func destroy() {
        for response in [methodNotAllowed, bodyRefused, overloaded, unauthorized, internalError, tooManyArguments, targetTooLong] {
            MHD_destroy_response(response)
        }
    }

    private static func make(_ text: String, _ headers: [(String, String)]) -> OpaquePointer {
        var bytes = Array(text.utf8)
        let response = MHD_create_response_from_buffer(bytes.count, &bytes, .RESPMEM_MUST_COPY)!
        MHD_add_response_header(response, "Content-Type", "text/plain; charset=utf-8")
        for (name, value) in headers { MHD_add_response_header(response, name, value) }
        return response
    }
}
