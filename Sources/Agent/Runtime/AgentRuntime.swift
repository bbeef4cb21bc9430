import BitProbe
import ConfigFile
import Dispatch
import HTTPServer
import Logging
import OTLPExport
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Command-line settings that override the config file (exporter flag conventions).
public struct AgentOverrides: Sendable {
    public var listenAddress: String?
    public var telemetryPath: String?
    public var maxRequests: Int?
    public var webConfigFile: String?
    public var alertmanagerURL: String?

    public init(
        listenAddress: String? = nil, telemetryPath: String? = nil, maxRequests: Int? = nil, webConfigFile: String? = nil,
        alertmanagerURL: String? = nil
    ) {
        self.listenAddress = listenAddress
        self.telemetryPath = telemetryPath
        self.maxRequests = maxRequests
        self.webConfigFile = webConfigFile
        self.alertmanagerURL = alertmanagerURL
    }
}

/// Why the agent could not start.
public struct AgentStartError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// `bitprobe agent`: loads config, serves HTTP, runs the probe loop, and handles SIGHUP (reload)
/// and SIGTERM/SIGINT (graceful stop within a deadline).
public final class AgentRuntime: Sendable {
    /// Seconds SIGTERM may take: stop accepting, cancel the probe in flight, exit.
    public static let shutdownDeadline = 4.0

    private let configPath: String?
    private let overrides: AgentOverrides
    private let logger: Logger
    private let state: AgentState
    private let scheduler: ProbeScheduler
    private let server: HTTPServer
    private let routes: AgentRoutes
    private let notifier: AlertmanagerNotifier?
    private let exporter: OTLPTraceExporter?
    private let signalQueue = DispatchQueue(label: "bitprobe.signals")
    private let stopRequested = DispatchSemaphore(value: 0)

    public init(configPath: String?, overrides: AgentOverrides, logger: Logger) throws(AgentStartError) {
        self.configPath = configPath
        self.overrides = overrides
        self.logger = logger
        let config: AgentConfig
        do { config = try Self.loadConfig(path: configPath, overrides: overrides, logger: logger) } catch {
            throw AgentStartError(description: error.description)
        }
        let checked = try StartupCheck(config, environment: environmentDictionary())
        var notifier: AlertmanagerNotifier?
        if let client = checked.alertmanager {
            notifier = AlertmanagerNotifier(
                resendInterval: config.alertmanager.resendInterval, timeout: config.alertmanager.timeout,
                generatorURL: "http://\(hostName()):\(config.web.listenAddress.split(separator: ":").last ?? "")/api/v1/alerts",
                transport: { body, timeout in client.post(body, timeoutSeconds: timeout) })
        }
        self.notifier = notifier
        let exporter = try Self.startTracing(checked.tracing, logger: logger)
        self.exporter = exporter
        state = AgentState(configLoadedAt: WallClock.unixSeconds(), alertmanager: notifier, tracing: exporter)
        scheduler = ProbeScheduler(
            config: config, state: state, logger: logger,
            traceSink: exporter.map { exporter in { cycle in exporter.export(CycleTraceConversion.spans(of: cycle)) } },
            notify: { [notifier] alerts in notifier?.notify(alerts, now: WallClock.unixSeconds()) })
        routes = AgentRoutes(telemetryPath: config.web.telemetryPath, state: state)
        let routes = self.routes
        server = HTTPServer(config: checked.server) { routes.handle($0) }
        routes.attach { [weak server] in server?.statistics ?? HTTPServerStatistics() }
    }

    static func loadConfig(path: String?, overrides: AgentOverrides, logger: Logger) throws(ConfigError) -> AgentConfig {
        var config = path == nil ? try AgentConfigLoader.parse(EmbeddedConfig.yaml, file: "<embedded>") : try AgentConfigLoader.load(path: path!)
        if let value = overrides.listenAddress {
            config.web.listenAddress = value; logger.info("flag overrides config", metadata: ["key": "web.listen_address", "value": "\(value)"])
        }
        if let value = overrides.telemetryPath {
            config.web.telemetryPath = value; logger.info("flag overrides config", metadata: ["key": "web.telemetry_path", "value": "\(value)"])
        }
        if let value = overrides.maxRequests {
            config.web.maxRequests = value; logger.info("flag overrides config", metadata: ["key": "web.max_requests", "value": "\(value)"])
        }
        if let value = overrides.webConfigFile {
            config.web.configFile = value; logger.info("flag overrides config", metadata: ["key": "web.config_file", "value": "\(value)"])
        }
        if let value = overrides.alertmanagerURL {
            config.alertmanager.url = value; logger.info("flag overrides config", metadata: ["key": "alertmanager.url", "value": "\(value)"])
        }
        return config
    }

    /// Runs until SIGTERM or SIGINT; returns once shut down.
    public func run() throws(AgentStartError) {
        // The sources must stay alive while the agent runs; they are released when run() returns.
        let signalSources = installSignalHandlers()
        defer { withExtendedLifetime(signalSources) {} }
        do { try server.start() } catch { throw AgentStartError(description: error.description) }
        logger.info("listening", metadata: ["port": "\(server.boundPort)", "telemetry_path": "\(routes.telemetryPath)"])
        scheduler.start()
        stopRequested.wait()

        logger.info("shutting down", metadata: ["deadline_seconds": "\(Self.shutdownDeadline)"])
        // One deadline for all the parts, each given what the ones before left of it (minus a
        // reserve for those after), so no receiver, however slow, can stretch the whole.
        let stopBy = MonotonicClock.seconds() + Self.shutdownDeadline
        func remaining(reserving reserve: Double) -> Double { max(0, stopBy - reserve - MonotonicClock.seconds()) }
        server.stop()
        if !scheduler.stop(deadline: remaining(reserving: 1)) {
            logger.warning("probe thread did not stop within the deadline; exiting anyway")
        }
        if let notifier, !notifier.shutdown(deadline: remaining(reserving: 0.5)) {
            logger.warning("Alertmanager notifications did not finish before the deadline; the rest were dropped")
        }
        if let exporter, !exporter.shutdown(deadline: .milliseconds(Int(remaining(reserving: 0) * 1000))) {
            logger.warning("trace export did not flush before the deadline; queued spans were dropped")
        }
        logger.info("stopped")
    }

    /// Tracing is on when the OTEL_* environment names an endpoint (docs/tracing.md).
    static func startTracing(_ config: OTLPExporterConfig?, logger: Logger) throws(AgentStartError) -> OTLPTraceExporter? {
        guard let config else { return nil }
        let environment = environmentDictionary()
        let (resource, problems) = OTLPResource.fromEnvironment(
            environment,
            defaults: [
                ("service.name", .string("bitprobe")), ("service.version", .string(BitProbeVersion.version)),
                ("host.name", .string(hostName())), ("process.pid", .int(Int64(getpid()))),
            ])
        for problem in problems { logger.warning("ignoring resource attributes", metadata: ["error": "\(problem.description)"]) }
        let exporter = OTLPTraceExporter(config: config, resource: resource, scopeName: "bitprobe", scopeVersion: BitProbeVersion.version)
        do { try exporter.start() } catch { throw AgentStartError(description: "tracing: \(error.description)") }
        logger.info("exporting traces", metadata: ["endpoint": "\(config.endpoint)"])
        return exporter
    }

    /// The bound port (useful with port 0).
    public var boundPort: Int { server.boundPort }

    private func installSignalHandlers() -> [DispatchSourceSignal] {
        var sources: [DispatchSourceSignal] = []
        for signalNumber in [SIGTERM, SIGINT] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: signalQueue)
            source.setEventHandler { [stopRequested] in stopRequested.signal() }
            source.resume()
            sources.append(source)
        }
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: signalQueue)
        hangup.setEventHandler { [self] in reload() }
        hangup.resume()
        sources.append(hangup)
        return sources
    }

    /// SIGHUP: a bad new file keeps the old config running and sets the reload gauge to 0.
    /// Listen address, TLS and auth changes need a restart; everything about probing applies at the
    /// next cycle.
    private func reload() {
        do {
            let config = try Self.loadConfig(path: configPath, overrides: overrides, logger: logger)
            scheduler.apply(config)
            state.recordReload(successful: true, at: WallClock.unixSeconds())
            logger.info("configuration reloaded", metadata: ["file": "\(configPath ?? "<embedded>")"])
        } catch {
            state.recordReload(successful: false, at: WallClock.unixSeconds())
            logger.error("configuration reload failed; keeping the running configuration", metadata: ["error": "\(error.description)"])
        }
    }
}
