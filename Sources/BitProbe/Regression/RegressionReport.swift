import FoundationEssentials

/// The overall result of a regression check; the raw values appear in every output format.
public enum RegressionStatus: String, Codable, Sendable {
    /// Nothing regressed (improvements pass).
    case allPass = "all_pass"
    case hasRegressions = "has_regressions"
    case hasCriticalRegressions = "has_critical_regressions"
    /// A current probe failed, timed out or computed a wrong result: the check is incomplete and a
    /// wrong result matters more than a slow one, so this outranks regressions.
    case hasFailures = "has_failures"

    /// `bitprobe regress`'s exit status: 0, 1, 2, 3 (3 is also "could not run").
    public var exitCode: Int32 {
        switch self {
        case .allPass: 0
        case .hasRegressions: 1
        case .hasCriticalRegressions: 2
        case .hasFailures: 3
        }
    }

    public static func of(_ comparisons: [ProbeComparison]) -> RegressionStatus {
        if comparisons.contains(where: { $0.verdict == .failed }) { return .hasFailures }
        if comparisons.contains(where: { $0.severity == .critical }) { return .hasCriticalRegressions }
        if comparisons.contains(where: { $0.verdict == .regression }) { return .hasRegressions }
        return .allPass
    }
}

/// The document `bitprobe regress --output-format json` writes (schema in docs/regression.md).
public struct RegressionReport: Codable, Sendable {
    /// 2: comparisons are of round medians (round medians, decision, the interval at 1 - alpha).
    public static let schemaVersion = 2

    public struct BaselineInfo: Codable, Sendable {
        public var name: String
        public var description: String?
        public var createdAt: Double
        public var fingerprint: EnvironmentFingerprint
        public var faultInjection: FaultInjection?
    }

    /// Verdicts counted; regressions also by severity.
    public struct Counts: Codable, Equatable, Sendable {
        public var unchanged = 0
        public var improvements = 0
        public var regressions = 0
        public var minor = 0
        public var moderate = 0
        public var major = 0
        public var critical = 0
        public var failed = 0
        public var missingInCurrent = 0
        public var newProbes = 0
        public var baselineNotOK = 0

        // "baselineNotOk" so that JSON's snake_case ("baseline_not_ok") round-trips through the key strategies.
        enum CodingKeys: String, CodingKey {
            case unchanged, improvements, regressions, minor, moderate, major, critical, failed, missingInCurrent, newProbes,
                baselineNotOK = "baselineNotOk"
        }
    }

    public var schemaVersion: Int = RegressionReport.schemaVersion
    public var status: RegressionStatus
    public var counts: Counts
    public var baseline: BaselineInfo
    public var current: EnvironmentFingerprint
    /// Slowdown injected into this run on purpose (testing only).
    public var faultInjection: FaultInjection?
    /// Why these timings may not be comparable: environment differences, injected faults. One line each.
    public var warnings: [String]
    public var criteria: RegressionCriteria
    /// Settings of each round of the current run.
    public var config: BenchmarkConfig
    /// Rounds each current probe was measured in first (`RoundMeasurement`); confirmations add as many each.
    public var rounds: Int
    public var comparisons: [ProbeComparison]

    /// `comparisons` from `RegressionAnalysis.compare` (and `confirm`) against `baseline`.
    public init(
        baseline: Baseline, comparisons: [ProbeComparison], fingerprint: EnvironmentFingerprint, config: BenchmarkConfig,
        rounds: Int, criteria: RegressionCriteria, faultInjection: FaultInjection?
    ) {
        self.comparisons = comparisons
        status = RegressionStatus.of(comparisons)
        counts = Counts(comparisons)
        self.baseline = BaselineInfo(
            name: baseline.name, description: baseline.description, createdAt: baseline.createdAt,
            fingerprint: baseline.fingerprint, faultInjection: baseline.faultInjection)
        self.current = fingerprint
        self.faultInjection = faultInjection
        self.criteria = criteria
        self.config = config
        self.rounds = rounds
        warnings = []
        let differences = fingerprint.differences(fromBaseline: baseline.fingerprint)
        if !differences.isEmpty {
            warnings.append("environment differs from the baseline (\(differences.joined(separator: "; "))); timings may not be comparable")
        }
        if let injection = baseline.faultInjection {
            warnings.append("the baseline was recorded with fault injection (\(injection)); its matching probes were slowed on purpose")
        }
        if let faultInjection {
            warnings.append("fault injection active (\(FaultInjection.environmentVariable)=\(faultInjection)); matching probes were slowed on purpose")
        }
        if let shift = Self.machineShift(comparisons, criteria: criteria) { warnings.append(shift) }
    }

    /// A warning when the compared probes as a whole (at least 3) read more than a quarter of the
    /// threshold away from their baseline: then the machine's level moved between the two runs
    /// (other work on its CPUs then or now, a noisy neighbour, another host), which shifts every
    /// verdict alike. Measured at 2-6 % on the Zen 5 development VM (docs/regression.md); a quarter
    /// of the default threshold is 2.5 %.
    static func machineShift(_ comparisons: [ProbeComparison], criteria: RegressionCriteria) -> String? {
        let ratios = comparisons.filter { [.unchanged, .improvement, .regression].contains($0.verdict) }.compactMap(\.medianRatio)
        guard ratios.count >= 3, let level = SampleStatistics(ratios)?.median else { return nil }
        let bound = 1 + criteria.thresholdPercent / 400
        guard level > bound || level < 1 / bound else { return nil }
        let direction = level > 1 ? "slower" : "faster"
        let percent = formatFixed(abs(level - 1) * 100, decimals: 1)
        return
            "the \(ratios.count) probes compared read \(percent)% \(direction) than the baseline as a whole (median ratio \(formatFixed(level, decimals: 3))): "
            + "the machine's level differs from when the baseline was recorded, which shifts every verdict alike; a baseline recorded under load hides slowdowns"
    }

    public func json() throws -> [UInt8] {
        try ProjectJSON.file(self)
    }

    public static func decode(json bytes: [UInt8]) throws -> RegressionReport {
        let decoder = ProjectJSON.decoder()
        return try decoder.decode(RegressionReport.self, from: Data(bytes))
    }
}

extension RegressionReport.Counts {
    init(_ comparisons: [ProbeComparison]) {
        for comparison in comparisons {
            switch comparison.verdict {
            case .unchanged: unchanged += 1
            case .improvement: improvements += 1
            case .regression: regressions += 1
            case .failed: failed += 1
            case .missingInCurrent: missingInCurrent += 1
            case .newProbe: newProbes += 1
            case .baselineNotOK: baselineNotOK += 1
            }
            switch comparison.severity {
            case .minor: minor += 1
            case .moderate: moderate += 1
            case .major: major += 1
            case .critical: critical += 1
            case nil: break
            }
        }
    }
}
