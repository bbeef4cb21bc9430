import BitProbe

/// Everything `bitprobe agent` runs with. Defaults are the embedded config (docs/config.md).
public struct AgentConfig: Equatable, Sendable {
    /// Seconds between the starts of two probe cycles.
    public var interval: Double = 60
    /// Up to this many seconds are added at random to each wait, so a fleet does not probe in lockstep.
    public var jitter: Double = 5
    /// Largest share of wall time spent probing; a long cycle delays the next one to keep within it.
    public var dutyCycleBudget: Double = 0.05
    public var probes = ProbesConfig()
    public var web = WebSettings()
    /// Benchmark-only: extra constant gauge series served at /metrics, to measure exposition at scale.
    public var syntheticSeries: Int = 0
    /// Alert rules evaluated after every cycle; the defaults ship sensible ones (docs/alerting.md).
    public var rules: [AlertRule] = AlertRule.defaults
    /// A baseline the agent compares every cycle with (`bitprobe_probe_baseline_ratio`).
    public var baseline = BaselineSettings()
    public var alertmanager = AlertmanagerSettings()
    public var backends = BackendSettings()

    public struct BackendSettings: Equatable, Sendable {
        /// Whether to use the GPUs (docs/cuda.md): auto uses them when a driver is installed.
        public var cuda = CUDAMode.auto
        public init() {}
    }

    public struct BaselineSettings: Equatable, Sendable {
        /// Name of a baseline made with `bitprobe baseline create`; nil compares with none.
        public var name: String?
        /// nil: the default baseline directory (docs/regression.md).
        public var directory: String?
        public init() {}
    }

    public struct AlertmanagerSettings: Equatable, Sendable {
        /// Alertmanager's base URL (http://host:9093); nil sends nothing.
        public var url: String?
        /// What `alertmanager.url` and `--alertmanager.url` accept.
        public static func isURL(_ text: String) -> Bool { text.hasPrefix("http://") || text.hasPrefix("https://") }
        /// Firing alerts are sent again this often, so Alertmanager does not time them out.
        public var resendInterval = 60.0
        public var timeout = 10.0
        public init() {}
    }

    public init() {}

    public struct ProbesConfig: Equatable, Sendable {
        /// Kernel threads; nil uses every CPU this process may run on.
        public var threads: Int?
        /// SIMD path; nil picks the widest this CPU supports.
        public var simd: SIMDPath?
        public var warmupIterations = 2
        public var measurementIterations = 5
        public var minMeasurementTime = 0.05
        public var timeout = 30.0
        /// Probes of each cycle; empty means the default suites: the CPU's on cpu0 and the CUDA
        /// one on every GPU. Given, it is the whole suite: entries without `backend` run on the
        /// CPU, `backend: cuda` entries on every GPU (or on their `device`), nothing else runs.
        public var suite: [ProbeSelection] = []

        public init() {}

        public var benchmarkConfig: BenchmarkConfig {
            var config = BenchmarkConfig()
            config.warmupIterations = warmupIterations
            config.measurementIterations = measurementIterations
            config.minMeasurementSeconds = minMeasurementTime
            config.timeoutSeconds = timeout
            return config
        }

        /// The CPU probes of one cycle (cpu0), in order.
        public func resolvedSuite() throws(ProbeInputError) -> [ProbeSpec] {
            if suite.isEmpty { return try ProbeSelection().resolve() }
            var specs: [ProbeSpec] = []
            for selection in suite where selection.backend == .cpu {
                for spec in try selection.resolve() where !specs.contains(spec) { specs.append(spec) }
            }
            return specs
        }

        /// The probes of one cycle on GPU `device` (`cudaN`), in order: the CUDA default suite when
        /// no suite is configured, else the `backend: cuda` entries for every GPU or for this one.
        public func cudaSuite(device: String) throws(ProbeInputError) -> [ProbeSpec] {
            if suite.isEmpty { return try ProbeSelection(backend: .cuda, device: device).resolve() }
            var specs: [ProbeSpec] = []
            for var selection in suite where selection.backend == .cuda {
                guard selection.device == ProbeSelection.everyGPU || selection.device == device else { continue }
                selection.device = device
                for spec in try selection.resolve() where !specs.contains(spec) { specs.append(spec) }
            }
            return specs
        }
    }

    public struct WebSettings: Equatable, Sendable {
        public var listenAddress = ":\(AgentConfig.defaultPort)"
        public var telemetryPath = "/metrics"
        public var maxRequests = 40
        /// What `web.max_requests` and `--web.max-requests` accept, the same for both.
        public static let maxRequestsRange = 1...100_000
        /// What `web.telemetry_path` and `--web.telemetry-path` accept: a path other than the landing page.
        public static func isTelemetryPath(_ path: String) -> Bool { path.hasPrefix("/") && path.count > 1 }
        public var connectionTimeout = 10.0
        /// An exporter-toolkit web config file (TLS, basic auth); nil serves plain HTTP without auth.
        public var configFile: String?

        public init() {}
    }

    /// Not allocated in the Prometheus wiki's default port allocations we checked (docs/config.md).
    public static let defaultPort = 9961
}
