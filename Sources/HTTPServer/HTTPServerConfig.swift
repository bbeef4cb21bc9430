import Glibc

/// A certificate chain and its private key, PEM-encoded, served with libmicrohttpd's GnuTLS.
public struct TLSSettings: Sendable, Equatable {
    /// The server certificate, optionally followed by intermediates.
    public var certificatePEM: String
    /// An unencrypted private key matching the certificate.
    public var privateKeyPEM: String
    /// The oldest protocol version accepted: TLS 1.2 by default, as exporter-toolkit does (1.0 and
    /// 1.1 are deprecated by RFC 8996).
    public var minVersion: TLSVersion
    /// The newest protocol version offered; nil offers every version GnuTLS supports.
    public var maxVersion: TLSVersion?

    public init(certificatePEM: String, privateKeyPEM: String, minVersion: TLSVersion = .tls12, maxVersion: TLSVersion? = nil) {
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
        self.minVersion = minVersion
        self.maxVersion = maxVersion
    }

    /// GnuTLS's priority string: its defaults with only the versions from `minVersion` to `maxVersion`.
    var gnutlsPriorities: String {
        let versions = TLSVersion.allCases.filter { $0 >= minVersion && $0 <= (maxVersion ?? .tls13) }
        return "NORMAL:-VERS-ALL" + versions.map { ":+VERS-\($0.gnutlsName)" }.joined()
    }
}

/// TLS protocol versions, named as exporter-toolkit's `min_version` and `max_version` name them.
public enum TLSVersion: String, Sendable, CaseIterable, Comparable {
    case tls10 = "TLS10", tls11 = "TLS11", tls12 = "TLS12", tls13 = "TLS13"

    var gnutlsName: String {
        switch self {
        case .tls10: "TLS1.0"
        case .tls11: "TLS1.1"
        case .tls12: "TLS1.2"
        case .tls13: "TLS1.3"
        }
    }

    public static func < (lhs: TLSVersion, rhs: TLSVersion) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// How the server listens and what it lets through. Defaults follow Prometheus exporters.
///
/// ```swift
/// var config = HTTPServerConfig(listenAddress: ":9464")
/// config.basicAuthUsers = ["prometheus": "$2y$10$..."]
/// ```
public struct HTTPServerConfig: Sendable {
    /// See `ListenAddress` for the accepted forms: `127.0.0.1:9464`, `[::1]:0`, `:9464`.
    public var listenAddress: String
    /// Requests being authenticated, handled or compressed at once; more get an immediate 503.
    /// 0 means no limit (like exporter-toolkit's `--web.max-requests`). Default 40.
    public var maxRequestsInFlight: Int
    /// Open connections libmicrohttpd keeps; further connections are accepted and closed at
    /// once, without a response. Default 512: slots are cheap (no thread each), and with
    /// `maxConnectionsPerClient` one client cannot take them all.
    public var maxConnections: Int
    /// Open connections from one IP address; further ones from it are closed at once. 0 means no
    /// limit. Default 128, so one misbehaving client leaves most slots to Prometheus.
    public var maxConnectionsPerClient: Int
    /// Seconds a connection may sit idle (keep-alive included) before it is closed; 0 never
    /// closes idle connections. Default 10.
    public var connectionTimeoutSeconds: Int
    /// Seconds from a connection's opening by which its whole request head (and TLS handshake)
    /// must have arrived, however steadily bytes trickle in; 0 means no deadline. Default 5.
    public var requestHeadTimeoutSeconds: Int
    /// Polling threads, each running handlers synchronously. Requests in flight can never exceed
    /// this, whatever `maxRequestsInFlight` says. Capped at `maxConnections`. Default: online CPUs.
    public var threads: Int
    /// When set, the server speaks HTTPS only.
    public var tls: TLSSettings?
    /// User name to bcrypt hash (`$2a$`, `$2b$` or `$2y$`). Empty means no authentication.
    public var basicAuthUsers: [String: String]
    /// Sent in `WWW-Authenticate: Basic realm="..."`.
    public var realm: String
    /// Receives libmicrohttpd's runtime error messages (client protocol errors, TLS handshake
    /// failures) and handler mistakes the server corrected. nil drops them.
    public var errorLog: (@Sendable (String) -> Void)?

    public init(
        listenAddress: String,
        maxRequestsInFlight: Int = 40,
        maxConnections: Int = 512,
        maxConnectionsPerClient: Int = 128,
        connectionTimeoutSeconds: Int = 10,
        requestHeadTimeoutSeconds: Int = 5,
        threads: Int = HTTPServerConfig.onlineCPUs,
        tls: TLSSettings? = nil,
        basicAuthUsers: [String: String] = [:],
        realm: String = "bitprobe",
        errorLog: (@Sendable (String) -> Void)? = nil
    ) {
        self.listenAddress = listenAddress
        self.maxRequestsInFlight = maxRequestsInFlight
        self.maxConnections = maxConnections
        self.maxConnectionsPerClient = maxConnectionsPerClient
        self.connectionTimeoutSeconds = connectionTimeoutSeconds
        self.requestHeadTimeoutSeconds = requestHeadTimeoutSeconds
        self.threads = threads
        self.tls = tls
        self.basicAuthUsers = basicAuthUsers
        self.realm = realm
        self.errorLog = errorLog
    }

    /// The default for `threads`.
    public static var onlineCPUs: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// Checks everything that can be checked without binding, so `check-config` can report it.
    public func validate() throws(HTTPServerError) {
        _ = try validated()
    }

    /// `validate()`, returning the parsed listen address for `start()`.
    func validated() throws(HTTPServerError) -> ListenAddress {
        let address = try ListenAddress(parsing: listenAddress)
        guard maxRequestsInFlight >= 0 else {
            throw .invalidConfiguration("maxRequestsInFlight must be 0 (no limit) or more, got \(maxRequestsInFlight)")
        }
        guard maxConnections >= 1 else {
            throw .invalidConfiguration("maxConnections must be at least 1, got \(maxConnections)")
        }
        guard maxConnectionsPerClient >= 0 else {
            throw .invalidConfiguration("maxConnectionsPerClient must be 0 (no limit) or more, got \(maxConnectionsPerClient)")
        }
        guard requestHeadTimeoutSeconds >= 0 else {
            throw .invalidConfiguration("requestHeadTimeoutSeconds must be 0 (no deadline) or more, got \(requestHeadTimeoutSeconds)")
        }
        guard connectionTimeoutSeconds >= 0 else {
            throw .invalidConfiguration("connectionTimeoutSeconds must be 0 (never) or more, got \(connectionTimeoutSeconds)")
        }
        guard threads >= 1 else {
            throw .invalidConfiguration("threads must be at least 1, got \(threads)")
        }
        guard !realm.isEmpty, realm.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F && $0 != "\"" && $0 != "\\" }) else {
            throw .invalidConfiguration("realm '\(realm)' must be non-empty, without quotes, backslashes or control characters")
        }
        try BasicAuthenticator.validate(users: basicAuthUsers)
        if let tls { try tls.validate() }
        return address
    }

    /// libmicrohttpd splits connections evenly between its threads; a thread with no share would
    /// accept connections only to drop them.
    var effectiveThreads: Int { min(threads, maxConnections) }
}

extension TLSSettings {
    func validate() throws(HTTPServerError) {
        guard certificatePEM.contains("-----BEGIN CERTIFICATE-----") else {
            throw .tls("certificate is not PEM (no -----BEGIN CERTIFICATE----- line)")
        }
        guard privateKeyPEM.contains("-----BEGIN ") && privateKeyPEM.contains("PRIVATE KEY-----") else {
            throw .tls("private key is not PEM (no -----BEGIN ... PRIVATE KEY----- line)")
        }
        if let maxVersion, maxVersion < minVersion {
            throw .tls("max_version \(maxVersion.rawValue) is older than min_version \(minVersion.rawValue)")
        }
    }
}
