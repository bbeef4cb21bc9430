import Synchronization

/// Plain HTTP(S) POSTs over the exporter's libcurl transport, for the agent's other outbound
/// messages (Alertmanager). It lives here because this module is the one that owns libcurl;
/// it keeps one connection open and sends one request at a time.
///
/// ```swift
/// let client = try HTTPPostClient(endpoint: "http://127.0.0.1:9093/api/v2/alerts", contentType: "application/json", userAgent: "bitprobe")
/// let status = client.post(body, timeoutSeconds: 10)   // nil: no response (refused, timed out)
/// ```
public final class HTTPPostClient: Sendable {
    // The transport is not thread-safe: the mutex gives one request at a time its handle.
    private let transport: Mutex<CurlTransport>

    public init(endpoint: String, contentType: String, userAgent: String) throws(OTLPExportError) {
        let transport = try CurlTransport(
            config: OTLPExporterConfig(endpoint: endpoint), userAgent: userAgent, clock: SystemClock(),
            shutdown: ShutdownSignal(), contentType: contentType)
        self.transport = Mutex(transport)
    }

    /// The response status, or nil when no response came.
    public func post(_ body: [UInt8], timeoutSeconds: Double) -> Int? {
        let nanoseconds = UInt64(max(0.001, timeoutSeconds) * 1e9)
        let result = transport.withLock { $0.post(body, timeoutNanoseconds: nanoseconds) }
        if case .response(let status, _, _) = result { return status }
        return nil
    }
}
