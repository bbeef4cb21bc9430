import CCurl

#if canImport(Glibc)
import Glibc
#endif

/// libcurl must be initialised once per process before any thread uses it; a global's
/// initialiser runs exactly once, on first use.
private let curlGlobalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

/// OTLP/HTTP POSTs over one libcurl easy handle, which keeps its connection open between
/// requests (HTTP/1.1 keep-alive), so a steady trickle of exports costs one TCP (and TLS)
/// handshake rather than one per batch.
///
/// The handle runs inside a multi handle, whose wait for network activity `curl_multi_wakeup`
/// can interrupt from another thread: a shutdown deadline then stops a request in flight at
/// once, where the easy interface would notice only at its next progress call, up to a second later.
final class CurlTransport: HTTPTransport {
    /// The most of a response body kept; an ExportTraceServiceResponse is a few bytes, and a
    /// misbehaving server must not make the agent buffer megabytes.
    static let responseLimit = 64 * 1024

    /// The longest single wait for network activity; libcurl shortens it for its own timers.
    private static let pollMilliseconds: UInt64 = 1000

    /// Filled by libcurl's write callback through the handle's user-data pointer.
    private final class ResponseBody {
        var bytes: [UInt8] = []
    }

    private let handle: UnsafeMutableRawPointer
    private let multi: UnsafeMutableRawPointer
    private let headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let response = ResponseBody()
    private let endpoint: String
    private let clock: any ExportClock
    private let shutdown: ShutdownSignal

    init(
        config: OTLPExporterConfig, userAgent: String, clock: any ExportClock, shutdown: ShutdownSignal,
        contentType: String = "application/x-protobuf"
    ) throws(OTLPExportError) {
        guard curlGlobalInit == CURLE_OK else {
            throw OTLPExportError(description: "libcurl initialisation failed: \(String(cString: curl_easy_strerror(curlGlobalInit)))")
        }
        guard let handle = curl_easy_init() else {
            throw OTLPExportError(description: "libcurl could not create a handle")
        }
        guard let multi = curl_multi_init() else {
            curl_easy_cleanup(handle)
            throw OTLPExportError(description: "libcurl could not create a multi handle")
        }
        self.handle = handle
        self.multi = multi
        endpoint = config.endpoint
        self.clock = clock
        self.shutdown = shutdown
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))

        var headers: UnsafeMutablePointer<curl_slist>?
        var lines = ["Content-Type: \(contentType)", "User-Agent: \(userAgent)"]
        if config.compression == .gzip { lines.append("Content-Encoding: gzip") }
        // libcurl would otherwise send "Expect: 100-continue" for larger bodies and wait up to a
        // second for the go-ahead that collectors do not send.
        lines.append("Expect:")
        lines += config.headers.map { "\($0.0): \($0.1)" }
        for line in lines {
            guard let appended = curl_slist_append(headers, line) else {
                curl_slist_free_all(headers)
                curl_multi_cleanup(multi)
                curl_easy_cleanup(handle)
                errorBuffer.deallocate()
                throw OTLPExportError(description: "libcurl could not allocate the request headers")
            }
            headers = appended
        }
        headerList = headers

        let context = Unmanaged.passUnretained(response).toOpaque()
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
        check(
            bitprobe_curl_setopt_write_function(
                handle,
                { data, size, count, context in
                    let response = Unmanaged<ResponseBody>.fromOpaque(context!).takeUnretainedValue()
                    let length = size * count
                    let room = CurlTransport.responseLimit - response.bytes.count
                    if room > 0, let data {
                        data.withMemoryRebound(to: UInt8.self, capacity: length) {
                            response.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: min(room, length)))
                        }
                    }
                    // Returning less than `length` would fail the transfer; the excess is dropped instead.
                    return length
                }), "write function")
        check(bitprobe_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context), "write data")
        if let file = config.certificateFile { check(bitprobe_curl_setopt_string(handle, CURLOPT_CAINFO, file), "CA file") }
        if let file = config.clientCertificateFile { check(bitprobe_curl_setopt_string(handle, CURLOPT_SSLCERT, file), "client certificate") }
        if let file = config.clientKeyFile { check(bitprobe_curl_setopt_string(handle, CURLOPT_SSLKEY, file), "client key") }
        // Every property is set by now, so throwing runs deinit, which frees the handles.
        guard problems.isEmpty else {
            throw OTLPExportError(description: "libcurl refused options: \(problems.joined(separator: "; "))")
        }
        // The waker is @Sendable and a raw pointer is not; its address is. ShutdownSignal calls
        // the waker under a lock that deinit takes too, so the handle is alive whenever it runs.
        let multiAddress = UInt(bitPattern: multi)
        shutdown.setWaker { _ = curl_multi_wakeup(UnsafeMutableRawPointer(bitPattern: multiAddress)) }
    }

    deinit {
        shutdown.setWaker(nil)
        curl_multi_cleanup(multi)
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    func post(_ body: [UInt8], timeoutNanoseconds: UInt64) -> AttemptResult {
        response.bytes.removeAll(keepingCapacity: true)
        errorBuffer[0] = 0
        // At least 1 ms: 0 would mean "no timeout" to libcurl.
        let milliseconds = max(1, Int(min(timeoutNanoseconds / 1_000_000, UInt64(Int.max))))
        _ = bitprobe_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, milliseconds)
        _ = bitprobe_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds)
        let transfer = body.withUnsafeBytes { bytes -> Transfer in
            // POSTFIELDS is not copied: the body must outlive the transfer, which it does here.
            _ = bitprobe_curl_setopt_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress))
            _ = bitprobe_curl_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bytes.count))
            return perform()
        }
        _ = bitprobe_curl_setopt_pointer(handle, CURLOPT_POSTFIELDS, nil)
        let code: CURLcode
        switch transfer {
        case .aborted: return .aborted
        case .multiFailed(let multiCode):
            return .failed(message: "POST \(endpoint): \(String(cString: curl_multi_strerror(multiCode)))", retryable: false)
        case .finished(let finished): code = finished
        }
        guard code == CURLE_OK else {
            let detail = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
            return .failed(message: "POST \(endpoint): \(detail)", retryable: Self.isTransient(code))
        }
        var status = 0
        _ = bitprobe_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        var contentType: UnsafeMutablePointer<CChar>?
        _ = bitprobe_curl_getinfo_string(handle, CURLINFO_CONTENT_TYPE, &contentType)
        let isProtobuf = contentType.map { String(cString: $0).lowercased().hasPrefix("application/x-protobuf") } ?? false
        return .response(status: status, retryAfter: header("Retry-After"), protobufBody: isProtobuf ? response.bytes : [])
    }

    private enum Transfer {
        case finished(CURLcode)
        case aborted
        case multiFailed(CURLMcode)
    }

    /// Runs the transfer, waking at least at the shutdown deadline (and when it moves) to stop it.
    private func perform() -> Transfer {
        let added = curl_multi_add_handle(multi, handle)
        guard added == CURLM_OK else { return .multiFailed(added) }
        defer { curl_multi_remove_handle(multi, handle) }
        while true {
            var running: Int32 = 0
            let performed = curl_multi_perform(multi, &running)
            guard performed == CURLM_OK else { return .multiFailed(performed) }
            if running == 0 { break }
            let now = clock.monotonicNanoseconds()
            let deadline = shutdown.deadline
            if now >= deadline { return .aborted }
            let untilDeadline = (deadline - now) / 1_000_000 + 1
            _ = curl_multi_poll(multi, nil, 0, Int32(min(untilDeadline, Self.pollMilliseconds)), nil)
        }
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            if message.pointee.msg == CURLMSG_DONE { return .finished(message.pointee.data.result) }
        }
        return .finished(CURLE_RECV_ERROR)
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
