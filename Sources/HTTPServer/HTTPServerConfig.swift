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
    /// The TLS 1.2 (and older) suites offered, as exporter-toolkit's `cipher_suites`; empty offers
    /// GnuTLS's defaults. TLS 1.3's suites are not affected.
    public var cipherSuites: [TLSCipherSuite]

    public init(
        certificatePEM: String, privateKeyPEM: String, minVersion: TLSVersion = .tls12, maxVersion: TLSVersion? = nil,
        cipherSuites: [TLSCipherSuite] = []
    ) {
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
        self.minVersion = minVersion
        self.maxVersion = maxVersion
        self.cipherSuites = cipherSuites
    }

    private var versions: [TLSVersion] { TLSVersion.allCases.filter { $0 >= minVersion && $0 <= (maxVersion ?? .tls13) } }

    /// GnuTLS's priority string: its defaults with only the versions from `minVersion` to
    /// `maxVersion`, and with `cipherSuites` only the key exchanges, ciphers and MACs they use.
    var gnutlsPriorities: String {
        let base = "NORMAL:-VERS-ALL" + versions.map { ":+VERS-\($0.gnutlsName)" }.joined()
        guard !cipherSuites.isEmpty else { return base }
        return base + TLSCipherSuite.priorityItems(cipherSuites, tls13: versions.contains(.tls13))
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
        if !cipherSuites.isEmpty { try validateCipherSuites() }
    }

    /// GnuTLS enables key exchanges, ciphers and MACs, not single suites: listing
    /// ECDHE-RSA with AES-128-GCM and RSA with AES-256-CBC-SHA also enables ECDHE-RSA with
    /// AES-256-CBC-SHA, and TLS 1.3's ciphers combine with every listed key exchange. A list that
    /// would enable a TLS 1.2 suite it does not name is refused, naming that suite, rather than
    /// offering more than was asked.
    private func validateCipherSuites() throws(HTTPServerError) {
        let listed = Set(cipherSuites.map(\.code))
        let extra = try GnuTLSPriorities.tls12Suites(enabledBy: gnutlsPriorities)
            .filter { !listed.contains($0.code) }
            .map { suite in TLSCipherSuite.supported.first { $0.code == suite.code }?.name ?? suite.name }
        guard extra.isEmpty else {
            let why =
                versions.contains(.tls13)
                ? "GnuTLS enables key exchanges, ciphers and MACs rather than single suites, and keeps TLS 1.3's AES-GCM and ChaCha20-Poly1305"
                : "GnuTLS enables key exchanges, ciphers and MACs rather than single suites"
            let remedy = versions.contains(.tls13) ? "list them too, leave out suites, or set max_version: TLS12" : "list them too or leave out suites"
            throw .tls("cipher_suites: would also enable \(extra.joined(separator: ", ")) (\(why)); \(remedy)")
        }
    }
}
