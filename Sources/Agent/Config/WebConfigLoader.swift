import BitProbe
import ConfigFile
import HTTPServer

/// TLS and basic auth from a web config file in the Prometheus exporter-toolkit format:
///
/// ```yaml
/// tls_server_config:
///   cert_file: server.crt      # relative paths are relative to this file's directory
///   key_file: server.key
/// basic_auth_users:
///   prometheus: $2y$10$...     # bcrypt hash (htpasswd -nBC 10 prometheus)
/// ```
public struct WebConfig: Equatable, Sendable {
    public var tls: TLSSettings?
    public var basicAuthUsers: [String: String] = [:]
    /// Where the TLS material came from, for errors about it: "web.yml: tls_server_config (cert_file
    /// 'server.crt', key_file 'server.key')".
    public var tlsSource: String?

    public init(tls: TLSSettings? = nil, basicAuthUsers: [String: String] = [:], tlsSource: String? = nil) {
        self.tls = tls
        self.basicAuthUsers = basicAuthUsers
        self.tlsSource = tlsSource
    }
}

public enum WebConfigLoader {
    public static func load(path: String) throws(ConfigError) -> WebConfig {
        let text = try AgentConfigLoader.readFile(path, what: "web config file")
        var config = WebConfig()
        guard let root = try YAMLParser.parse(text, file: path) else { return config }
        var top = try ConfigMapping(root, path: "")
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        if var tls = try top.mapping("tls_server_config") {
            let certNode = tls.node("cert_file")
            let keyNode = tls.node("key_file")
            guard let certNode, case .scalar(let certPath, _, _) = certNode else {
                throw ConfigError(location: tls.location, keyPath: tls.keyPath("cert_file"), message: "required when tls_server_config is set")
            }
            guard let keyNode, case .scalar(let keyPath, _, _) = keyNode else {
                throw ConfigError(location: tls.location, keyPath: tls.keyPath("key_file"), message: "required when tls_server_config is set")
            }
            let certificate = try readReferenced(certPath, relativeTo: directory, node: certNode, keyPath: tls.keyPath("cert_file"))
            let key = try readReferenced(keyPath, relativeTo: directory, node: keyNode, keyPath: tls.keyPath("key_file"))
            var settings = TLSSettings(certificatePEM: certificate, privateKeyPEM: key)
            if let minimum = try version(&tls, "min_version") { settings.minVersion = minimum }
            settings.maxVersion = try version(&tls, "max_version")
            if let maximum = settings.maxVersion, maximum < settings.minVersion {
                throw tls.error("max_version", at: tls.node("max_version")!, "\(maximum.rawValue) is older than min_version \(settings.minVersion.rawValue)")
            }
            settings.cipherSuites = try cipherSuites(&tls)
            try tls.finish()
            config.tls = settings
            config.tlsSource = "\(path): tls_server_config (cert_file '\(certPath)', key_file '\(keyPath)')"
        }
        if let usersNode = top.node("basic_auth_users") {
            var users = try ConfigMapping(usersNode, path: "basic_auth_users")
            guard case .mapping(let entries, _) = usersNode else { fatalError("ConfigMapping accepted a non-mapping") }
            for entry in entries {
                // RFC 7617: the user name ends at the first ':' of the credentials, so such a user
                // could never log in.
                guard !entry.key.isEmpty, !entry.key.contains(":"), !entry.key.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                    throw ConfigError(
                        location: entry.keyLocation, keyPath: users.keyPath(entry.key),
                        message: "a user name must be non-empty, without ':' or control characters")
                }
                guard let hash = try users.string(entry.key), hash.hasPrefix("$2") else {
                    throw ConfigError(location: entry.value.location, keyPath: users.keyPath(entry.key), message: "expected a bcrypt hash ($2a$, $2b$ or $2y$)")
                }
                config.basicAuthUsers[entry.key] = hash
            }
            try users.finish()
        }
        try top.finish()
        return config
    }

    private static func version(_ tls: inout ConfigMapping, _ key: String) throws(ConfigError) -> TLSVersion? {
        guard let node = tls.node(key) else { return nil }
        guard case .scalar(let text, _, _) = node, let version = TLSVersion(rawValue: text) else {
            throw tls.error(key, at: node, "expected one of: \(TLSVersion.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return version
    }

    /// exporter-toolkit's `cipher_suites`: Go's (IANA) names of TLS 1.2 suites.
    private static func cipherSuites(_ tls: inout ConfigMapping) throws(ConfigError) -> [TLSCipherSuite] {
        guard let node = tls.node("cipher_suites") else { return [] }
        guard case .sequence(let items, _) = node else {
            throw tls.error("cipher_suites", at: node, "expected a list of cipher suite names")
        }
        var suites: [TLSCipherSuite] = []
        for item in items {
            guard case .scalar(let name, _, _) = item, let suite = TLSCipherSuite(name: name) else {
                let text = if case .scalar(let name, _, _) = item { "'\(name)'" } else { item.kindDescription }
                throw tls.error("cipher_suites", at: item, "unknown or unsupported cipher suite \(text) (docs/config.md lists the supported ones)")
            }
            if !suites.contains(suite) { suites.append(suite) }
        }
        return suites
    }

    private static func readReferenced(_ file: String, relativeTo directory: String, node: YAMLNode, keyPath: String) throws(ConfigError) -> String {
        let path = file.hasPrefix("/") ? file : "\(directory)/\(file)"
        do { return try RegularFile.readText(path, limit: AgentConfigLoader.maxFileBytes) } catch {
            throw ConfigError(location: node.location, keyPath: keyPath, message: error.description)
        }
    }
}
