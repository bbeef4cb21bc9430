#if canImport(Glibc)
import Glibc
#endif
import CCurl

/// Why the exporter could not start.
public struct OTLPExportError: Error, Equatable, CustomStringConvertible {
    public let description: String
}

/// libcurl must be initialised once per process before any thread uses it; a global's
/// initialiser runs exactly once, on first use.
private let curlGlobalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

/// OTLP/HTTP POSTs over one libcurl easy handle, which keeps its connection open between
/// requests (HTTP/1.1 keep-alive), so a steady trickle of exports costs one TCP (and TLS)
/// handshake rather than one per batch.
final class CurlTransport: HTTPTransport {
    /// The most of a response body kept; an ExportTraceServiceResponse is a few bytes, and a
    /// misbehaving server must not make the agent buffer megabytes.
    static let responseLimit = 64 * 1024

    /// Read by libcurl's callbacks through the handle's user-data pointers.
    private final class CallbackState {
        var body: [UInt8] = []
        let shouldAbort: @Sendable () -> Bool

        init(shouldAbort: @escaping @Sendable () -> Bool) {
            self.shouldAbort = shouldAbort
        }
    }

    private let handle: UnsafeMutableRawPointer
    private let headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let state: CallbackState
    private let endpoint: String

    /// - Parameter shouldAbort: polled during a transfer; true stops it (the shutdown deadline).
    init(config: OTLPExporterConfig, userAgent: String, shouldAbort: @escaping @Sendable () -> Bool) throws(OTLPExportError) {
        guard curlGlobalInit == CURLE_OK else {
            throw OTLPExportError(description: "libcurl initialisation failed: \(String(cString: curl_easy_strerror(curlGlobalInit)))")
        }
        guard let handle = curl_easy_init() else {
            throw OTLPExportError(description: "libcurl could not create a handle")
        }
        self.handle = handle
        endpoint = config.endpoint
        state = CallbackState(shouldAbort: shouldAbort)
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))

        var headers: UnsafeMutablePointer<curl_slist>?
        var lines = ["Content-Type: application/x-protobuf", "User-Agent: \(userAgent)"]
        if config.compression == .gzip { lines.append("Content-Encoding: gzip") }
        // libcurl would otherwise send "Expect: 100-continue" for larger bodies and wait up to a
        // second for the go-ahead that collectors do not send.
        lines.append("Expect:")
        lines += config.headers.map { "\($0.0): \($0.1)" }
        for line in lines {
            guard let appended = curl_slist_append(headers, line) else {
                curl_slist_free_all(headers)
                curl_easy_cleanup(handle)
                errorBuffer.deallocate()
                throw OTLPExportError(description: "libcurl could not allocate the request headers")
            }
            headers = appended
        }
        headerList = headers

        let context = Unmanaged.passUnretained(state).toOpaque()
        var problems: [String] = []
        func check(_ code: CURLcode, _ option: String) {
            if code != CURLE_OK { problems.append("\(option): \(String(cString: curl_easy_strerror(code)))") }
        }
        check(bitprobe_curl_setopt_string(handle, CURLOPT_URL, config.endpoint), "URL")
        check(bitprobe_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"), "protocols")
        check(bitprobe_curl_setopt_long(handle, CURLOPT_POST, 1), "POST")
        check(bitprobe_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headers), "headers")
        // Signals are how libcurl would time out DNS lookups without its threaded resolver;
        // in a multi-threaded agent they must stay off.
        check(bitprobe_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1), "no signals")
        check(bitprobe_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), "error buffer")
        check(bitprobe_curl_setopt_write_function(handle, { data, size, count, context in
            let state = Unmanaged<CallbackState>.fromOpaque(context!).takeUnretainedValue()
            let length = size * count
            let room = CurlTransport.responseLimit - state.body.count
            if room > 0, let data {
                data.withMemoryRebound(to: UInt8.self, capacity: length) {
                    state.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: min(room, length)))
                }
            }
            // Returning less than `length` would fail the transfer; the excess is dropped instead.
            return length
        }), "write function")
        check(bitprobe_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context), "write data")
        check(bitprobe_curl_setopt_long(handle, CURLOPT_NOPROGRESS, 0), "progress")
        check(bitprobe_curl_setopt_xferinfo_function(handle, { context, _, _, _, _ in
            Unmanaged<CallbackState>.fromOpaque(context!).takeUnretainedValue().shouldAbort() ? 1 : 0
        }), "progress function")
        check(bitprobe_curl_setopt_pointer(handle, CURLOPT_XFERINFODATA, context), "progress data")
        if let file = config.certificateFile { check(bitprobe_curl_setopt_string(handle, CURLOPT_CAINFO, file), "CA file") }
        if let file = config.clientCertificateFile { check(bitprobe_curl_setopt_string(handle, CURLOPT_SSLCERT, file), "client certificate") }
        if let file = config.clientKeyFile { check(bitprobe_curl_setopt_string(handle, CURLOPT_SSLKEY, file), "client key") }
        // Every property is set by now, so throwing runs deinit, which frees the handle.
        guard problems.isEmpty else {
            throw OTLPExportError(description: "libcurl refused options: \(problems.joined(separator: "; "))")
        }
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    func post(_ body: [UInt8], timeoutNanoseconds: UInt64) -> AttemptResult {
        state.body.removeAll(keepingCapacity: true)
        errorBuffer[0] = 0
        // At least 1 ms: 0 would mean "no timeout" to libcurl.
        let milliseconds = max(1, Int(min(timeoutNanoseconds / 1_000_000, UInt64(Int.max))))
        _ = bitprobe_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, milliseconds)
        _ = bitprobe_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds)
        let code = body.withUnsafeBytes { bytes -> CURLcode in
            // POSTFIELDS is not copied: the body must outlive curl_easy_perform, which it does here.
            _ = bitprobe_curl_setopt_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress))
            _ = bitprobe_curl_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bytes.count))
            return curl_easy_perform(handle)
        }
        _ = bitprobe_curl_setopt_pointer(handle, CURLOPT_POSTFIELDS, nil)
        guard code == CURLE_OK else {
            if code == CURLE_ABORTED_BY_CALLBACK { return .aborted }
            let detail = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
            return .failed(message: "POST \(endpoint): \(detail)", retryable: Self.isTransient(code))
        }
        var status = 0
        _ = bitprobe_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        var contentType: UnsafeMutablePointer<CChar>?
        _ = bitprobe_curl_getinfo_string(handle, CURLINFO_CONTENT_TYPE, &contentType)
        let isProtobuf = contentType.map { String(cString: $0).lowercased().hasPrefix("application/x-protobuf") } ?? false
        return .response(status: status, retryAfter: header("Retry-After"), protobufBody: isProtobuf ? state.body : [])
    }

    /// The last value of a response header, through libcurl's header API (7.83+).
    private func header(_ name: String) -> String? {
        var found: UnsafeMutablePointer<curl_header>?
        guard curl_easy_header(handle, name, 0, UInt32(CURLH_HEADER), -1, &found) == CURLHE_OK,
              let value = found?.pointee.value
        else { return nil }
        return String(cString: value)
    }

    /// Failures before any response that may pass on their own; the rest (bad URL, TLS trust,
    /// unsupported protocol) will fail the same way every time.
    static func isTransient(_ code: CURLcode) -> Bool {
        [
            CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT,
            CURLE_OPERATION_TIMEDOUT, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING,
            CURLE_PARTIAL_FILE, CURLE_SSL_CONNECT_ERROR, CURLE_HTTP2, CURLE_HTTP2_STREAM,
        ].contains(code)
    }
}
