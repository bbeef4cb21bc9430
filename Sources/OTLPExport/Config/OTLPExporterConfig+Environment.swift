#if canImport(Glibc)
import Glibc
#endif

extension OTLPExporterConfig {
    /// The exporter the standard `OTEL_*` variables describe, or nil when tracing is off: no
    /// endpoint is set, `OTEL_TRACES_EXPORTER=none`, or `OTEL_SDK_DISABLED=true`.
    ///
    /// As the specification says, an empty variable counts as unset. Unlike the OpenTelemetry
    /// SDKs, there is no default endpoint: an agent exports only where it is told to.
    ///
    /// ```swift
    /// // OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318
    /// let config = try OTLPExporterConfig.fromEnvironment(environment)
    /// config?.endpoint  // "http://collector:4318/v1/traces"
    /// ```
    /// The largest OTEL_BSP_MAX_QUEUE_SIZE taken. The queue's storage is reserved up front, so
    /// 99999999999 aborted the agent; 100,000 spans are a few hundred cycles of the default suite.
    public static let maxQueueSize = 100_000
    /// The longest OTEL_* duration taken, in milliseconds: 365 days, as for config durations, so
    /// that every conversion to nanoseconds fits.
    public static let maxMilliseconds = 365 * 86_400_000

    public static func fromEnvironment(_ environment: [String: String]) throws(OTLPConfigError) -> OTLPExporterConfig? {
        let variables = EnvironmentReader(environment)
        if let disabled = variables["OTEL_SDK_DISABLED"] {
            switch disabled.value.lowercased() {
            case "true": return nil
            case "false": break
            default: throw disabled.error("'\(disabled.value)' is not a boolean (expected true or false)")
            }
        }
        if let exporters = variables["OTEL_TRACES_EXPORTER"] {
            let names = exporters.value.split(separator: ",").map { $0.trimmingSpaces.lowercased() }
            if let unsupported = names.first(where: { $0 != "otlp" && $0 != "none" }) {
                throw exporters.error("'\(unsupported)' is not supported (expected otlp or none)")
            }
            if !names.contains("otlp") { return nil }
        }

        let endpoint: String
        if let traces = variables["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] {
            let url = try HTTPURL(traces)
            endpoint = url.path.isEmpty ? traces.value + "/" : traces.value
        } else if let base = variables["OTEL_EXPORTER_OTLP_ENDPOINT"] {
            _ = try HTTPURL(base)
            endpoint = base.value.hasSuffix("/") ? base.value + "v1/traces" : base.value + "/v1/traces"
        } else {
            return nil
        }
        var config = OTLPExporterConfig(endpoint: endpoint)

        if let proto = variables.tracesOrGeneral("PROTOCOL"), proto.value != "http/protobuf" {
            throw proto.error("'\(proto.value)' is not supported (expected http/protobuf)")
        }
        if let headers = variables.tracesOrGeneral("HEADERS") {
            config.headers = try parseHeaders(headers)
        }
        if let timeout = variables.tracesOrGeneral("TIMEOUT") {
            config.timeout = try timeout.milliseconds(allowZero: false)
        }
        if let compression = variables.tracesOrGeneral("COMPRESSION") {
            guard let value = Compression(rawValue: compression.value.lowercased()) else {
                throw compression.error("'\(compression.value)' is not supported (expected gzip or none)")
            }
            config.compression = value
        }
        if let file = variables.tracesOrGeneral("CERTIFICATE") {
            config.certificateFile = try file.readableFile()
        }
        let clientCertificate = variables.tracesOrGeneral("CLIENT_CERTIFICATE")
        let clientKey = variables.tracesOrGeneral("CLIENT_KEY")
        switch (clientCertificate, clientKey) {
        case (nil, nil):
            break
        case (let certificate?, nil):
            throw certificate.error("is set but no client key is (set OTEL_EXPORTER_OTLP_CLIENT_KEY too)")
        case (nil, let key?):
            throw key.error("is set but no client certificate is (set OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE too)")
        case (let certificate?, let key?):
            config.clientCertificateFile = try certificate.readableFile()
            config.clientKeyFile = try key.readableFile()
        }

        if let size = variables["OTEL_BSP_MAX_QUEUE_SIZE"] {
            config.batch.maxQueueSize = try size.positiveInteger(maximum: maxQueueSize)
        }
        if let size = variables["OTEL_BSP_MAX_EXPORT_BATCH_SIZE"] {
            config.batch.maxExportBatchSize = try size.positiveInteger(maximum: maxQueueSize)
            guard config.batch.maxExportBatchSize <= config.batch.maxQueueSize else {
                throw size.error("\(size.value) is larger than OTEL_BSP_MAX_QUEUE_SIZE (\(config.batch.maxQueueSize))")
            }
        } else {
            config.batch.maxExportBatchSize = min(config.batch.maxExportBatchSize, config.batch.maxQueueSize)
        }
        if let delay = variables["OTEL_BSP_SCHEDULE_DELAY"] {
            config.batch.scheduleDelay = try delay.milliseconds(allowZero: true)
        }
        if let timeout = variables["OTEL_BSP_EXPORT_TIMEOUT"] {
            config.batch.exportTimeout = try timeout.milliseconds(allowZero: false)
        }
        return config
    }

    /// Header names must be HTTP tokens and values free of control characters: libcurl sends
    /// them as given, so a decoded line break would smuggle in a header of its own.
    private static func parseHeaders(_ variable: EnvironmentReader.Variable) throws(OTLPConfigError) -> [(String, String)] {
        let parsed = KeyValueList.parse(variable.value)
        if let problem = parsed.problems.first { throw variable.error(problem) }
        for (name, value) in parsed.pairs {
            guard name.utf8.allSatisfy(isTokenCharacter) else {
                throw variable.error("'\(name)' is not a valid HTTP header name")
            }
            guard value.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F || $0 == 0x09 }) else {
                throw variable.error("the value of '\(name)' contains a control character")
            }
            guard !["content-type", "content-encoding", "content-length"].contains(name.lowercased()) else {
                throw variable.error("'\(name)' is set by the exporter itself")
            }
        }
        return parsed.pairs.map { ($0.key, $0.value) }
    }

    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }
}

/// Looks variables up the way the specification asks: empty means unset, and the traces form
/// of an exporter variable wins over the general one.
struct EnvironmentReader {
    struct Variable {
        let name: String
        let value: String

        func error(_ problem: String) -> OTLPConfigError {
            OTLPConfigError(variable: name, problem: problem)
        }

        func positiveInteger(maximum: Int) throws(OTLPConfigError) -> Int {
            guard !value.isEmpty, value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
                throw error("'\(value)' is not a positive integer")
            }
            guard let number = Int(value), number <= maximum else { throw error("'\(value)' is larger than \(maximum)") }
            guard number > 0 else { throw error("'\(value)' is not a positive integer") }
            return number
        }

        /// A timeout of zero is refused: the specification leaves its meaning open, and an
        /// unbounded export is what must never happen to an agent.
        func milliseconds(allowZero: Bool) throws(OTLPConfigError) -> Duration {
            let kind = "'\(value)' is not a \(allowZero ? "non-negative" : "positive") integer number of milliseconds"
            guard !value.isEmpty, value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { throw error(kind) }
            guard let number = Int(value), number <= OTLPExporterConfig.maxMilliseconds else {
                throw error("'\(value)' is larger than \(OTLPExporterConfig.maxMilliseconds) (365 days)")
            }
            guard allowZero || number > 0 else { throw error(kind) }
            return .milliseconds(number)
        }

        func readableFile() throws(OTLPConfigError) -> String {
            guard access(value, R_OK) == 0 else {
                throw error("cannot read '\(value)': \(String(cString: strerror(errno)))")
            }
            return value
        }
    }

    private let environment: [String: String]

    init(_ environment: [String: String]) {
        self.environment = environment
    }

    subscript(name: String) -> Variable? {
        guard let value = environment[name], !value.isEmpty else { return nil }
        return Variable(name: name, value: value)
    }

    /// `OTEL_EXPORTER_OTLP_TRACES_<suffix>`, else `OTEL_EXPORTER_OTLP_<suffix>`.
    func tracesOrGeneral(_ suffix: String) -> Variable? {
        self["OTEL_EXPORTER_OTLP_TRACES_\(suffix)"] ?? self["OTEL_EXPORTER_OTLP_\(suffix)"]
    }
}

/// Just enough of a URL to refuse what libcurl would not POST to, with a message naming the variable.
struct HTTPURL {
    /// Everything from the first `/` after the authority; empty when there is none.
    let path: Substring

    init(_ variable: EnvironmentReader.Variable) throws(OTLPConfigError) {
        let text = variable.value
        guard let separator = text.firstRange(of: "://"),
            ["http", "https"].contains(text[..<separator.lowerBound].lowercased())
        else { throw variable.error("'\(text)' is not an http:// or https:// URL") }
        let rest = text[separator.upperBound...]
        let authorityEnd = rest.firstIndex(where: { (character: Character) in character == "/" || character == "?" || character == "#" }) ?? rest.endIndex
        guard authorityEnd != rest.startIndex else { throw variable.error("'\(text)' has no host") }
        guard !rest.contains(where: { $0.isWhitespace }) else { throw variable.error("'\(text)' contains whitespace") }
        path = rest[authorityEnd...]
    }
}

extension StringProtocol {
    var trimmingSpaces: SubSequence {
        let isSpace = { (character: Character) in character == " " || character == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}
