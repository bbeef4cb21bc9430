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
        /// The probe's latest samples are slower than its reference: the previous `window` cycles,
        /// or a named baseline. Significant (Mann-Whitney, alpha) and beyond `thresholdPercent`.
        case regression(reference: RegressionReference, thresholdPercent: Double, alpha: Double)
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
    /// The rolling reference of a regression rule, in cycles. 60 rather than 20 or 30: on the
    /// development VM the compute-bound probes had spells of 1.3-1.5x lasting 15 cycles that no
    /// guest signal shows (not CPU pressure, not steal time), so a shorter window saw every spell as
    /// a regression, while 60 cycles hold earlier spells and judge a new one ordinary; replaying
    /// 200 recorded cycles, 4 against 60 had no false alarm and caught a 1.15x slowdown of add f32
    /// within 10 cycles 17 times in 18; live, single disturbed cycles in the window kept it from
    /// catching that slowdown at all (docs/benchmarks.md).
    public static let defaultWindowCycles = 60

    public init(name: String, kind: Kind, severity: String, forSeconds: Double = 0, keepFiringForSeconds: Double = 0,
                match: [String: String] = [:], summary: String? = nil) {
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
        AlertRule(name: "BitprobeProbeRegression", kind: .regression(reference: .window(cycles: AlertRule.defaultWindowCycles), thresholdPercent: 10, alpha: 0.001),
                  severity: "warning", forSeconds: 180, keepFiringForSeconds: 300),
    ]
}
