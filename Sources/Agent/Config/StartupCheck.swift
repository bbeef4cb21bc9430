import BitProbe
import HTTPServer
import OTLPExport

/// Everything start-up checks before it binds a port, probes or sends anything, in one place, so
/// `check-config` accepts exactly what the agent starts with: the web config file and the TLS
/// material it names (loaded into GnuTLS), the listen address, the basic-auth users, the OTEL_*
/// environment and the Alertmanager URL.
public struct StartupCheck: Sendable {
    public var server: HTTPServerConfig
    /// nil: tracing is off (no OTLP endpoint in the environment).
    public var tracing: OTLPExporterConfig?
    /// The Alertmanager client; nil when no URL is configured.
    public var alertmanager: HTTPPostClient?

    /// A `--web.listen-address` flag, checked before anything else so that a typo is a usage error.
    public static func listenAddress(_ text: String) throws(AgentStartError) {
        do { try HTTPServerConfig(listenAddress: text).validate() } catch { throw AgentStartError(description: error.description) }
    }

    public init(_ config: AgentConfig, environment: [String: String]) throws(AgentStartError) {
        var web = WebConfig()
        if let file = config.web.configFile {
            do { web = try WebConfigLoader.load(path: file) } catch { throw AgentStartError(description: error.description) }
        }
        server = HTTPServerConfig(listenAddress: config.web.listenAddress)
        server.maxRequestsInFlight = config.web.maxRequests
        server.connectionTimeoutSeconds = Int(config.web.connectionTimeout)
        server.tls = web.tls
        server.basicAuthUsers = web.basicAuthUsers
        do { try server.check() } catch {
            let source = error.kind == .tls ? web.tlsSource.map { "\($0): " } ?? "" : ""
            throw AgentStartError(description: source + error.description)
        }
        do { tracing = try OTLPExporterConfig.fromEnvironment(environment) } catch { throw AgentStartError(description: error.description) }
        if let url = config.alertmanager.url {
            do {
                alertmanager = try HTTPPostClient(
                    endpoint: AlertmanagerNotifier.endpoint(baseURL: url), contentType: "application/json",
                    userAgent: "bitprobe/\(BitProbeVersion.version)")
            } catch { throw AgentStartError(description: "alertmanager: \(error.description)") }
        }
    }
}
