import BitProbe

/// One alert rule of the agent's config (`rules:`), evaluated after every probe cycle.
public struct AlertRule: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// The probe's latest run ended `failed` or `timeout`.
        case probeFailing
        /// The probe's latest run computed a wrong result.
        case probeMismatch
        /// The probe has not verified for longer than `maxAgeSeconds` (or never, since that long after start).
        case probeStale(maxAgeSeconds: Double)
        /// Host memory pressure at or above a level.
        case memoryPressure(minimum: MemoryPressureLevel)
        /// An absolute budget: the probe's latest verified median is above `maxSeconds`, or its
        /// throughput below `minOpsPerSecond` / `minBytesPerSecond` (each optional, at least one set).
        case probeBudget(ProbeBudget)
        /// The probe's latest samples are slower than its reference: the previous `window` cycles,
        /// or a named baseline. Against the window: significant (Mann-Whitney, alpha) and beyond
        /// `thresholdPercent` (`WindowRegressionTest`); against a baseline: the (1 - alpha) interval of the
        /// ratio of the latest cycles to the baseline's rounds lies beyond it (`RoundRatio`).
        case regression(reference: RegressionReference, thresholdPercent: Double, alpha: Double)
        /// The probes of a backend and device as a whole: the median, over them, of each probe's
        /// cycle median over its rolling window's median is above 1 + `thresholdPercent` / 100.
        /// The node got slower, not one probe (docs/alerting.md).
        case nodeSlowdown(thresholdPercent: Double, window: Int)

        /// Rules that judge timings, and so skip cycles other work contended for (`maxCPUPressure`).
        var judgesTimings: Bool {
            switch self {
            case .regression, .nodeSlowdown: return true
            default: return false
            }
        }

        /// `regression` rules whose reference is a named baseline.
        var comparesWithBaseline: Bool {
            if case .regression(.baseline, _, _) = self { return true }
            return false
        }

        /// The rolling window, in cycles, of rules that keep one (window regressions, node slowdowns).
        var windowCycles: Int? {
            switch self {
            case .regression(.window(let cycles), _, _), .nodeSlowdown(_, let cycles): return cycles
            default: return nil
            }
        }
    }

    /// The limits of a `probe_budget` rule; a probe breaks the budget when it breaks any of them.
    public struct ProbeBudget: Equatable, Sendable {
        public var maxSeconds: Double?
        public var minOpsPerSecond: Double?
        public var minBytesPerSecond: Double?

        public init(maxSeconds: Double? = nil, minOpsPerSecond: Double? = nil, minBytesPerSecond: Double? = nil) {
            self.maxSeconds = maxSeconds
            self.minOpsPerSecond = minOpsPerSecond
            self.minBytesPerSecond = minBytesPerSecond
        }

        /// What the verified run broke, as (value, sentence), or nil when it kept the budget. The
        /// value is the measured number of the first limit broken, in its own unit.
        func breach(of result: ProbeResult) -> (Double, String)? {
            guard result.outcome == .ok, let median = result.statistics?.median else { return nil }
            if let maxSeconds, median > maxSeconds {
                return (median, "probe \(result.spec) took \(formatDuration(median)) at the median, over its budget of \(formatDuration(maxSeconds))")
            }
            if let minOpsPerSecond, let ops = result.operationsPerSecond, ops < minOpsPerSecond {
                return (ops, "probe \(result.spec) ran at \(formatSI(ops, unit: "op/s")), under its budget of \(formatSI(minOpsPerSecond, unit: "op/s"))")
            }
            if let minBytesPerSecond, let bytes = result.bytesPerSecond, bytes < minBytesPerSecond {
                return (bytes, "probe \(result.spec) moved \(formatSI(bytes, unit: "B/s")), under its budget of \(formatSI(minBytesPerSecond, unit: "B/s"))")
            }
            return nil
        }
    }

    public enum RegressionReference: Equatable, Sendable {
        case window(cycles: Int)
        case baseline(name: String)
    }

    public var name: String
    public var kind: Kind
    public var severity: String
    public var forSeconds: Double
    public var keepFiringForSeconds: Double
    /// Only probes whose labels match all of these (op, dtype, shape, backend, device).
    public var match: [String: String]
    public var summary: String?
    /// Regression rules: a cycle in which other tasks waited for a CPU more than this share of the
    /// time (Linux CPU pressure) is neither learned from nor judged; the verdict of the latest quiet
    /// cycle stands (docs/alerting.md). 1 turns the check off.
    public var maxCPUPressure = AlertRule.defaultMaxCPUPressure
    public static let defaultMaxCPUPressure = 0.10
    /// Rolling regression rules: for a probe read on its own (`WindowRegressionTest`), a cycle in
    /// which the other probes of its backend and device ran, by their median, more than this many
    /// percent slower than their windows is a slowdown of the node, not news about this probe; it
    /// is neither learned from nor judged, and the probe's latest verdict stands. A probe read
    /// against its co-moving peers divides their shift out; of its recent cycles only those are
    /// judged in which those peers ran at most this many percent slower. The node-wide slowdown
    /// is `nodeSlowdown`'s to report.
    public var maxPeerSlowdownPercent = AlertRule.defaultMaxPeerSlowdownPercent
    public static let defaultMaxPeerSlowdownPercent = 10.0
    /// Rolling regression rules: the bar a slowdown must clear is at least this many times the
    /// reading's robust coefficient of variation, over its window or over the history, whichever is
    /// larger (`WindowRegressionTest`); 0 leaves the threshold alone.
    public var noiseMultiple = AlertRule.defaultNoiseMultiple
    public static let defaultNoiseMultiple = 2.0
    /// The Mann-Whitney significance level of regression rules. 0.01, not 0.001: when the rule
    /// judged 4 recent cycles against 60, four or five disturbed cycles in the window kept p at
    /// 1.1e-3 to 2.3e-3 while all four recent cycles were 1.2x slower (docs/benchmarks.md, 21:36), and
    /// while the rule waits, the slowed cycles flow into the window and become the reference; the
    /// bar, the every-cycle condition and the peers keep false alarms out instead.
    public static let defaultAlpha = 0.01
    /// The rolling reference of a regression rule, in cycles. 60 rather than 20 or 30: on the
    /// development VM the compute-bound probes had spells of 1.3-1.5x lasting 15 cycles that no
    /// guest signal shows (not CPU pressure, not steal time, measured per probe), so a shorter
    /// window saw every spell as a regression (docs/benchmarks.md, "Alert detection power").
    public static let defaultWindowCycles = 60

    public init(
        name: String, kind: Kind, severity: String, forSeconds: Double = 0, keepFiringForSeconds: Double = 0,
        match: [String: String] = [:], summary: String? = nil
    ) {
        self.name = name
        self.kind = kind
        self.severity = severity
        self.forSeconds = forSeconds
        self.keepFiringForSeconds = keepFiringForSeconds
        self.match = match
        self.summary = summary
    }

    /// Rules the agent runs without a `rules:` section (docs/alerting.md).
    public static let defaults: [AlertRule] = [
        AlertRule(name: "BitprobeProbeMismatch", kind: .probeMismatch, severity: "critical"),
        AlertRule(name: "BitprobeProbeFailing", kind: .probeFailing, severity: "warning", forSeconds: 300),
        AlertRule(name: "BitprobeProbeStale", kind: .probeStale(maxAgeSeconds: 900), severity: "warning"),
        AlertRule(name: "BitprobeMemoryPressureHigh", kind: .memoryPressure(minimum: .high), severity: "warning", forSeconds: 120),
        AlertRule(name: "BitprobeMemoryPressureCritical", kind: .memoryPressure(minimum: .critical), severity: "critical", forSeconds: 60),
        AlertRule(
            name: "BitprobeProbeRegression",
            kind: .regression(reference: .window(cycles: AlertRule.defaultWindowCycles), thresholdPercent: 10, alpha: AlertRule.defaultAlpha),
            severity: "warning", forSeconds: 180, keepFiringForSeconds: 300),
        // Spells of the whole node last seconds to a minute on shared machines; a quarter of an
        // hour of it is a node that got slower.
        AlertRule(
            name: "BitprobeNodeSlowdown", kind: .nodeSlowdown(thresholdPercent: 20, window: AlertRule.defaultWindowCycles),
            severity: "warning", forSeconds: 900, keepFiringForSeconds: 300),
    ]
}
