import BitProbe
import ConfigFile

/// Reads an agent config file strictly: unknown keys and bad values are errors with
/// file:line:column and the key path.
public enum AgentConfigLoader {
    /// Largest config, web config or TLS file read: real ones are a few kilobytes, and a larger file
    /// is refused whole rather than cut (a cut file could lose its `web:` section).
    public static let maxFileBytes = 1 << 20

    /// A file without a YAML document is an error, not the defaults: a config truncated to nothing
    /// (an editor, a failed deploy) and reloaded would otherwise silently switch every setting.
    public static func load(path: String) throws(ConfigError) -> AgentConfig {
        guard let root = try YAMLParser.parse(readFile(path, what: "config file"), file: path) else {
            throw ConfigError(
                location: nil, keyPath: "", message: "config file '\(path)' is empty (no YAML document); leave out --config.file for the embedded default")
        }
        return try read(root)
    }

    /// The text of a file the agent is configured from, or an error naming it.
    static func readFile(_ path: String, what: String) throws(ConfigError) -> String {
        do { return try RegularFile.readText(path, limit: maxFileBytes) } catch {
            throw ConfigError(location: nil, keyPath: "", message: "cannot read \(what) '\(path)': \(error.reason)")
        }
    }

    /// Text without a YAML document is the defaults.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> AgentConfig {
        guard let root = try YAMLParser.parse(text, file: file) else { return AgentConfig() }
        return try read(root)
    }

    private static func read(_ root: YAMLNode) throws(ConfigError) -> AgentConfig {
        var config = AgentConfig()
        var top = try ConfigMapping(root, path: "")
        if let interval = try top.duration("interval", minimum: 0.1) { config.interval = interval }
        if let jitter = try top.duration("jitter") { config.jitter = jitter }
        if let budget = try top.double("duty_cycle_budget", range: 0.001...1) { config.dutyCycleBudget = budget }
        if var probes = try top.mapping("probes") {
            try readProbes(&probes, into: &config.probes)
            try probes.finish()
        }
        if var web = try top.mapping("web") {
            try readWeb(&web, into: &config.web)
            try web.finish()
        }
        if let rules = try top.list("rules") { config.rules = try RuleConfigLoader.read(rules, path: "rules") }
        if var baseline = try top.mapping("baseline") {
            if let name = try baseline.string("name") {
                do { try BaselineStore.validate(name: name) } catch {
                    throw ConfigError(location: baseline.location, keyPath: baseline.keyPath("name"), message: error.description)
                }
                config.baseline.name = name
            }
            config.baseline.directory = try baseline.string("directory")
            try baseline.finish()
        }
        if var alertmanager = try top.mapping("alertmanager") {
            if let url = try alertmanager.string("url") {
                guard AgentConfig.AlertmanagerSettings.isURL(url) else {
                    throw alertmanager.error("url", at: alertmanager.node("url")!, "expected an http:// or https:// URL, got '\(url)'")
                }
                config.alertmanager.url = url
            }
            if let resend = try alertmanager.duration("resend_interval", minimum: 1) { config.alertmanager.resendInterval = resend }
            if let timeout = try alertmanager.duration("timeout", minimum: 0.1) { config.alertmanager.timeout = timeout }
            try alertmanager.finish()
        }
        if var backends = try top.mapping("backends") {
            if let node = backends.node("cuda") {
                guard case .scalar(let text, _, _) = node, let mode = CUDAMode(rawValue: text) else {
                    throw backends.error("cuda", at: node, "expected one of: \(CUDAMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                config.backends.cuda = mode
            }
            try backends.finish()
        }
        if var benchmark = try top.mapping("benchmark") {
            if let series = try benchmark.int("synthetic_series", range: 0...1_000_000) { config.syntheticSeries = series }
            try benchmark.finish()
        }
        try top.finish()
        return config
    }

    private static func readProbes(_ probes: inout ConfigMapping, into config: inout AgentConfig.ProbesConfig) throws(ConfigError) {
        if let threads = try probes.int("threads", range: 0...4096) { config.threads = threads == 0 ? nil : threads }
        if let simdNode = probes.node("simd") {
            guard case .scalar(let text, _, _) = simdNode, text == "auto" || SIMDPath(rawValue: text) != nil else {
                throw probes.error("simd", at: simdNode, "expected auto or one of: \(SIMDPath.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            config.simd = SIMDPath(rawValue: text)
            if let path = config.simd, !path.isSupported {
                throw probes.error(
                    "simd", at: simdNode,
                    "SIMD path '\(text)' is not supported by this CPU (supported: \(SIMDPath.supported.map(\.rawValue).joined(separator: ", ")))")
            }
        }
        if let warmup = try probes.int("warmup_iterations", range: 0...10_000) { config.warmupIterations = warmup }
        if let iterations = try probes.int("measurement_iterations", range: 1...100_000) { config.measurementIterations = iterations }
        if let minTime = try probes.duration("min_measurement_time") { config.minMeasurementTime = minTime }
        if let timeout = try probes.duration("timeout", minimum: 0.001) { config.timeout = timeout }
        if let suite = try probes.list("suite") {
            // An empty list would mean the default suite (`suite` empty), the opposite of what it says.
            guard !suite.isEmpty else {
                throw probes.error("suite", at: probes.node("suite")!, "lists no probe; leave suite out for the default suite")
            }
            config.suite = []
            for (index, node) in suite.enumerated() {
                var entry = try ConfigMapping(node, path: "\(probes.keyPath("suite"))[\(index)]")
                var backend = BackendKind.cpu
                if let backendNode = entry.node("backend") {
                    guard case .scalar(let text, _, _) = backendNode, let kind = BackendKind(rawValue: text) else {
                        throw entry.error("backend", at: backendNode, "expected one of: \(BackendKind.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    backend = kind
                }
                var device = backend == .cpu ? "cpu0" : ProbeSelection.everyGPU
                if let deviceNode = entry.node("device") {
                    let text: String
                    if case .scalar(let value, _, _) = deviceNode { text = value } else { text = "" }
                    let valid = backend == .cpu ? text == "cpu0" : text.hasPrefix("cuda") && text.count > 4 && text.dropFirst(4).allSatisfy(\.isNumber)
                    guard valid else {
                        throw entry.error(
                            "device", at: deviceNode, backend == .cpu ? "the cpu backend has one device, cpu0" : "expected a GPU as cudaN (cuda0, cuda1, ...)")
                    }
                    device = text
                }
                let selection = ProbeSelection(
                    backend: backend, device: device, ops: try entry.stringList("op") ?? [],
                    dtypes: try entry.stringList("dtype") ?? [], shapes: try entry.stringList("shape") ?? [])
                try entry.finish()
                var check = selection
                if check.device == ProbeSelection.everyGPU { check.device = "cuda0" }
                do { _ = try check.resolve() } catch {
                    throw ConfigError(location: node.location, keyPath: entry.path, message: error.description)
                }
                config.suite.append(selection)
            }
        }
    }

    private static func readWeb(_ web: inout ConfigMapping, into config: inout AgentConfig.WebSettings) throws(ConfigError) {
        if let address = try web.string("listen_address") { config.listenAddress = address }
        if let pathNode = web.node("telemetry_path") {
            guard case .scalar(let path, _, _) = pathNode, AgentConfig.WebSettings.isTelemetryPath(path) else {
                throw web.error("telemetry_path", at: pathNode, "must be a path starting with '/' (not '/' itself)")
            }
            config.telemetryPath = path
        }
        if let maxRequests = try web.int("max_requests", range: AgentConfig.WebSettings.maxRequestsRange) { config.maxRequests = maxRequests }
        if let timeout = try web.duration("connection_timeout", minimum: 1) { config.connectionTimeout = timeout }
        if let file = try web.string("config_file") { config.configFile = file.isEmpty ? nil : file }
    }
}
