import CMicroHTTPD
import Glibc
import Synchronization

/// An HTTP/1.1 server on libmicrohttpd for a small set of GET endpoints such as `/metrics`.
///
/// Before the handler runs, the server answers on its own: 405 for methods other than GET and
/// HEAD, 413 for requests with a body, 503 past `maxRequestsInFlight`, 401 when basic auth is
/// configured and fails. It gzips compressible responses for clients that accept gzip.
///
/// The handler runs synchronously on one of libmicrohttpd's polling threads and must not block
/// for long: that thread serves nothing else meanwhile.
///
/// ```swift
/// let server = HTTPServer(config: HTTPServerConfig(listenAddress: "127.0.0.1:0")) { request in
///     request.path == "/metrics" ? .text(200, "up 1\n") : .text(404, "not found\n")
/// }
/// try server.start()
/// print(server.boundPort)
/// server.stop()
/// ```
public final class HTTPServer: Sendable {
    public let config: HTTPServerConfig
    private let handler: @Sendable (HTTPRequest) -> HTTPResponse
    private let recorder = StatisticsRecorder()
    private let daemon = Mutex<RunningDaemon?>(nil)
    private let port = Atomic<Int>(0)

    public init(config: HTTPServerConfig, handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) {
        self.config = config
        self.handler = handler
    }

    deinit {
        stop()
    }

    /// Binds the listen address and starts serving on background threads. Throws on bad
    /// configuration, a port in use, a refused certificate, or when already running. A stopped
    /// server may be started again.
    public func start() throws(HTTPServerError) {
        let started = try daemon.withLock { (daemon) throws(HTTPServerError) -> Int in
            guard daemon == nil else { throw .alreadyRunning(config.listenAddress) }
            let running = try RunningDaemon(config: config, handler: handler, statistics: recorder)
            daemon = running
            return running.port
        }
        port.store(started, ordering: .releasing)
    }

    /// The port the server listens on, the kernel's choice when the address asked for port 0;
    /// 0 while not running.
    public var boundPort: Int { port.load(ordering: .acquiring) }

    /// Closes the listening socket and all connections, after handlers that are running return;
    /// responses not yet sent are dropped. Safe to call more than once, but not from a handler
    /// (it waits for the handler's own thread).
    public func stop() {
        daemon.withLock { daemon in
            daemon.take()?.stop()
        }
        port.store(0, ordering: .releasing)
    }

    public var statistics: HTTPServerStatistics { recorder.snapshot }
}

/// One libmicrohttpd daemon and what must outlive it: the dispatcher and log its threads call
/// through `cls` pointers, the canned responses, and the TLS material GnuTLS was given.
private final class RunningDaemon {
    private let handle: OpaquePointer
    private let dispatcher: RequestDispatcher
    private let log: DaemonLog
    private let canned: CannedResponses
    private let tls: TLSMaterial?
    private let headDeadline: RequestHeadDeadline?
    let port: Int

    init(config: HTTPServerConfig, handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse, statistics: StatisticsRecorder) throws(HTTPServerError) {
        let address = try config.validated()
        if config.tls != nil && MHD_is_feature_supported(.FEATURE_TLS) != .YES {
            throw .tls("this libmicrohttpd was built without TLS support")
        }
        let authenticator = config.basicAuthUsers.isEmpty ? nil : try BasicAuthenticator(users: config.basicAuthUsers)
        let socket = try ListeningSocket.open(address, display: config.listenAddress)

        log = DaemonLog(sink: config.errorLog)
        canned = CannedResponses(realm: config.realm)
        let headDeadline = config.requestHeadTimeoutSeconds > 0 ? RequestHeadDeadline(seconds: config.requestHeadTimeoutSeconds) : nil
        self.headDeadline = headDeadline
        dispatcher = RequestDispatcher(
            handler: handler, maxRequestsInFlight: config.maxRequestsInFlight, authenticator: authenticator,
            statistics: statistics, log: log, canned: canned, headDeadline: headDeadline
        )
        tls = config.tls.map(TLSMaterial.init)
        port = socket.port

        var flags = MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_EPOLL.rawValue | MHD_USE_ERROR_LOG.rawValue
        // The logger comes first so that messages about later options reach it.
        var options = [
            log.option,
            MHD_OptionItem(option: .LISTEN_SOCKET, value: Int(socket.descriptor), ptr_value: nil),
            MHD_OptionItem(option: .CONNECTION_LIMIT, value: config.maxConnections, ptr_value: nil),
            MHD_OptionItem(option: .CONNECTION_TIMEOUT, value: config.connectionTimeoutSeconds, ptr_value: nil),
            MHD_OptionItem(option: .PER_IP_CONNECTION_LIMIT, value: config.maxConnectionsPerClient, ptr_value: nil),
            PercentUnescape.option,
            RequestTargetLimit.option,
        ]
        if let headDeadline { options += headDeadline.options }
        if config.effectiveThreads > 1 {
            options.append(MHD_OptionItem(option: .THREAD_POOL_SIZE, value: config.effectiveThreads, ptr_value: nil))
        }
        if let tls {
            flags |= MHD_USE_TLS.rawValue
            options += tls.options
        }
        options.append(MHD_OptionItem(option: .END, value: 0, ptr_value: nil))

        // SIGPIPE needs no handling here: this libmicrohttpd suppresses it on its own threads,
        // for TLS connections too (MHD_FEATURE_AUTOSUPPRESS_SIGPIPE; see the hang-up tests).
        let started = bitprobe_mhd_start(
            flags, 0, nil, nil, RequestDispatcher.accessHandler, Unmanaged.passUnretained(dispatcher).toOpaque(), options
        )
        let messages = log.finishStartup()
        guard let started else {
            // libmicrohttpd closes the socket it was given when it fails to start (seen with 0.9.75
            // on a refused certificate); closing it again could hit a descriptor reused meanwhile.
            canned.destroy()
            tls?.free()
            let reason = messages.isEmpty ? "libmicrohttpd gave no reason" : messages.joined(separator: "; ")
            if config.tls != nil && messages.contains(where: { $0.contains("TLS") || $0.contains("certificate") }) {
                throw .tls(reason)
            }
            throw .start(config.listenAddress, reason)
        }
        handle = started
        headDeadline?.start()
        for message in messages { config.errorLog?(message) }
    }

    func stop() {
        MHD_stop_daemon(handle)
        headDeadline?.stop()
        canned.destroy()
        tls?.free()
    }
}
