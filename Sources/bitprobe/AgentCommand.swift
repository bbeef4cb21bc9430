import Agent
import ArgumentParser
import BitProbe
import Logging

struct AgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Probe continuously and serve the results at /metrics.",
        discussion: """
            Without --config.file the embedded default config is used (docs/config.md). SIGHUP reloads the
            config file; SIGTERM or SIGINT stops within 5 seconds.
            """
    )

    @Option(name: .customLong("config.file"), help: "YAML config file (default: the embedded config).")
    var configFile: String?

    @Option(name: .customLong("web.listen-address"), help: "Address to listen on, e.g. :9961, 127.0.0.1:9961, [::1]:9961 (overrides web.listen_address).")
    var listenAddress: String?

    @Option(name: .customLong("web.telemetry-path"), help: "Path of the metrics endpoint (overrides web.telemetry_path).")
    var telemetryPath: String?

    @Option(name: .customLong("web.max-requests"), help: "Concurrent HTTP requests served; more get 503 (overrides web.max_requests).")
    var maxRequests: Int?

    @Option(name: .customLong("web.config.file"), help: "Exporter-toolkit web config file with TLS and basic auth settings.")
    var webConfigFile: String?

    @Option(
        name: .customLong("alertmanager.url"), help: "Alertmanager to push the in-process alerts to, e.g. http://127.0.0.1:9093 (overrides alertmanager.url).")
    var alertmanagerURL: String?

    @Option(name: .customLong("log.level"), help: "Least severe log level written.")
    var logLevel: LogLevelChoice = .info

    @Option(name: .customLong("log.format"), help: "Log line format, on stderr.")
    var logFormat: LogFormatChoice = .logfmt

    func run() throws {
        let level = logLevel.level
        let format = logFormat.format
        if let alertmanagerURL, !AgentConfig.AlertmanagerSettings.isURL(alertmanagerURL) {
            throw fail("agent", "--alertmanager.url must be an http:// or https:// URL (got '\(alertmanagerURL)')", status: ExitStatus.usage)
        }
        if let listenAddress {
            do { try StartupCheck.listenAddress(listenAddress) } catch {
                throw fail("agent", "--web.listen-address: \(error.description)", status: ExitStatus.usage)
            }
        }
        let requestRange = AgentConfig.WebSettings.maxRequestsRange
        if let maxRequests, !requestRange.contains(maxRequests) {
            throw fail(
                "agent", "--web.max-requests must be between \(requestRange.lowerBound) and \(requestRange.upperBound) (got \(maxRequests))",
                status: ExitStatus.usage)
        }
        if let telemetryPath, !AgentConfig.WebSettings.isTelemetryPath(telemetryPath) {
            throw fail("agent", "--web.telemetry-path must start with '/' and not be '/' itself (got '\(telemetryPath)')", status: ExitStatus.usage)
        }
        let logger = Logger(label: "bitprobe") { LogfmtLogHandler(label: $0, level: level, format: format) }
        do {
            let runtime = try AgentRuntime(
                configPath: configFile,
                overrides: AgentOverrides(
                    listenAddress: listenAddress, telemetryPath: telemetryPath, maxRequests: maxRequests,
                    webConfigFile: webConfigFile, alertmanagerURL: alertmanagerURL),
                logger: logger)
            try runtime.run()
        } catch {
            logger.error("agent could not start", metadata: ["error": "\(error.description)"])
            throw fail("agent", error.description, status: ExitStatus.couldNotRun)
        }
    }
}

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check an agent config file (and the web config file it names) without starting anything."
    )

    @Argument(help: "The YAML config file.")
    var file: String

    func run() throws {
        do {
            let config = try AgentConfigLoader.load(path: file)
            _ = try StartupCheck(config, environment: environmentDictionary())
            let probes = try config.probes.resolvedSuite()
            // The agent skips such a probe each cycle; say so now rather than let it go unnoticed.
            let available = HostInfo.read().memoryAvailableBytes
            for probe in probes { try probe.requireMemory(availableBytes: available) }
            writeStandardOutput("\(file): OK (\(probes.count) probes every \(config.interval) s, listening on \(config.web.listenAddress))\n")
        } catch let error as CustomStringConvertible {
            throw fail("check-config", error.description, status: 1)
        }
    }
}
