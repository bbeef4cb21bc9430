import FoundationEssentials

/// The report a person reads: data first (this value, JSON-encodable, schema in docs/report.md),
/// rendered second (HTMLReport, MarkdownReport). Every section is computed from measured inputs;
/// a section whose data was not measured is absent (nil or empty), never filled with defaults.
public struct PerformanceReport: Codable, Sendable {
    public static let kind = "bitprobe-report"
    public static let schemaVersion = 1

    /// One probe's outcome with the numbers the charts need (the five-number summary of its samples).
    public struct ProbeEntry: Codable, Sendable, Equatable {
        public var probe: String
        public var spec: ProbeSpec
        public var outcome: ProbeOutcome
        public var detail: String?
        public var samples: Int
        public var minSeconds: Double?
        public var q1Seconds: Double?
        public var medianSeconds: Double?
        public var q3Seconds: Double?
        public var maxSeconds: Double?
        public var p90Seconds: Double?
        public var cv: Double?
        public var operationsPerSecond: Double?
        public var bytesPerSecond: Double?
        public var kernelPath: String
        public var threads: Int
        public var checkedValues: Int?
        public var wrongValues: Int?

        public init(_ result: ProbeResult) {
            probe = result.spec.description
            spec = result.spec
            outcome = result.outcome
            detail = result.detail
            samples = result.samples.count
            let sorted = result.samples.sorted()
            if !sorted.isEmpty {
                minSeconds = sorted.first
                q1Seconds = SampleStatistics.percentile(sorted: sorted, 0.25)
                medianSeconds = SampleStatistics.percentile(sorted: sorted, 0.5)
                q3Seconds = SampleStatistics.percentile(sorted: sorted, 0.75)
                maxSeconds = sorted.last
            }
            p90Seconds = result.statistics?.p90
            cv = result.statistics?.cv
            operationsPerSecond = result.operationsPerSecond
            bytesPerSecond = result.bytesPerSecond
            kernelPath = result.kernelPath
            threads = result.threads
            checkedValues = result.verification?.checkedValues
            wrongValues = result.verification?.wrongValues
        }
    }

    public struct Environment: Codable, Sendable, Equatable {
        public var cpuModel: String?
        public var availableCPUs: Int?
        /// The SIMD path (CPU) the kernels ran on, and their thread count.
        public var kernelPath: String?
        public var threads: Int?
        public var memoryTotalBytes: Int?
        public var memoryAvailableBytes: Int?
        /// Share of the run's wall time in which some task waited for a CPU (/proc/pressure/cpu).
        public var cpuPressureShare: Double?
        public var gpus: [String]
        public var bitprobeVersion: String
        public var bitprobeRevision: String

        // "availableCpus" so that JSON's snake_case ("available_cpus") round-trips through the key strategies.
        enum CodingKeys: String, CodingKey {
            case cpuModel, availableCPUs = "availableCpus", kernelPath, threads, memoryTotalBytes, memoryAvailableBytes,
                cpuPressureShare, gpus, bitprobeVersion, bitprobeRevision
        }
    }

    /// f16 against f32 for the same op, shape and device.
    public struct DTypeComparison: Codable, Sendable, Equatable {
        public var op: ProbeOp
        public var shape: ProbeShape
        public var device: String
        public var f32MedianSeconds: Double
        public var f16MedianSeconds: Double
        /// f32 median / f16 median: above 1, f16 is faster.
        public var f16Speedup: Double
    }

    public struct ProfileSection: Codable, Sendable {
        public var rootNanos: UInt64
        /// Call-tree nodes, depth first: the flame graph and the tree are drawn from these.
        public var nodes: [ProfileAnalysis.Node]
        public var hotspots: [ProfileAnalysis.Node]
    }

    /// An alert of the agent's in-process rules (the agent's /report only).
    public struct AlertEntry: Codable, Sendable, Equatable {
        public var name: String
        public var severity: String
        public var state: String
        public var probe: String?
        public var activeAt: Double
        public var value: Double

        public init(name: String, severity: String, state: String, probe: String?, activeAt: Double, value: Double) {
            self.name = name
            self.severity = severity
            self.state = state
            self.probe = probe
            self.activeAt = activeAt
            self.value = value
        }
    }

    /// A probe's median over recent cycles, oldest first (the agent's /report only).
    public struct History: Codable, Sendable, Equatable {
        public var probe: String
        public var medianSeconds: [Double]

        public init(probe: String, medianSeconds: [Double]) {
            self.probe = probe
            self.medianSeconds = medianSeconds
        }
    }

    public struct Summary: Codable, Sendable, Equatable {
        public var verified: Int
        public var total: Int
        /// True when every probe verified, nothing regressed and no alert fires.
        public var healthy: Bool
        public var sentences: [String]
    }

    public var kind = PerformanceReport.kind
    public var schemaVersion = PerformanceReport.schemaVersion
    public var title: String
    public var generatedAt: Double
    /// What produced it: "bitprobe report", "bitprobe report --from", "agent".
    public var source: String
    public var summary: Summary
    public var environment: Environment
    public var probes: [ProbeEntry]
    public var roofline: Roofline?
    public var dtypeComparisons: [DTypeComparison]
    public var deviceComparison: DeviceComparison?
    /// Strided against contiguous reads (`compare --strides`, and measured by `bitprobe report`).
    public var layout: LayoutComparison?
    /// Throughput against batch size (`compare --batch`, from a saved file).
    public var batch: BatchComparison?
    public var memory: MemoryReport?
    public var profile: ProfileSection?
    public var regression: RegressionReport?
    public var alerts: [AlertEntry]?
    public var history: [History]?
    public var recommendations: [Recommendation]

    /// What a report is built from; every field but `results` may be absent.
    public struct Inputs: Sendable {
        public var title = "bitprobe performance report"
        public var source = "bitprobe report"
        public var generatedAt: Double
        public var results: [ProbeResult]
        public var host: HostInfo?
        public var cpuPressureShare: Double?
        public var comparison: DeviceComparison?
        public var layout: LayoutComparison?
        public var batch: BatchComparison?
        public var memory: MemoryReport?
        public var profile: ProfileAnalysis?
        public var regression: RegressionReport?
        public var alerts: [AlertEntry]?
        public var history: [History]?

        public init(generatedAt: Double, results: [ProbeResult]) {
            self.generatedAt = generatedAt
            self.results = results
        }
    }

    public init(_ inputs: Inputs) {
        title = inputs.title
        source = inputs.source
        generatedAt = inputs.generatedAt
        let results = inputs.results
        probes = results.map(ProbeEntry.init)
        let cpuResult = results.first { $0.spec.backend == .cpu }
        environment = Environment(
            cpuModel: inputs.host?.cpuModel, availableCPUs: inputs.host?.availableCPUs, kernelPath: cpuResult?.kernelPath,
            threads: cpuResult?.threads, memoryTotalBytes: inputs.host?.memoryTotalBytes, memoryAvailableBytes: inputs.host?.memoryAvailableBytes,
            cpuPressureShare: inputs.cpuPressureShare,
            gpus: inputs.comparison?.gpus ?? Array(Set(results.filter { $0.spec.backend == .cuda }.map(\.spec.device))).sorted(),
            bitprobeVersion: BitProbeVersion.version, bitprobeRevision: BitProbeVersion.revision)
        roofline = Roofline(results: results)
        dtypeComparisons = Self.dtypeComparisons(results)
        deviceComparison = inputs.comparison
        layout = inputs.layout
        batch = inputs.batch
        memory = inputs.memory
        profile = inputs.profile.map { ProfileSection(rootNanos: $0.rootNanos, nodes: $0.nodes, hotspots: Array($0.hotspots.prefix(10))) }
        regression = inputs.regression
        alerts = inputs.alerts
        history = inputs.history
        recommendations = Recommendation.prioritised(
            RecommendationRules.all(
                results: results, comparison: inputs.comparison, roofline: roofline, regression: inputs.regression,
                memory: inputs.memory, profile: inputs.profile)
                + (inputs.layout?.recommendations ?? []) + (inputs.batch?.recommendations ?? []))
        summary = ExecutiveSummary.make(
            results: results, roofline: roofline, comparison: inputs.comparison, memory: inputs.memory,
            regression: inputs.regression, alerts: inputs.alerts, recommendations: recommendations)
    }

    static func dtypeComparisons(_ results: [ProbeResult]) -> [DTypeComparison] {
        RecommendationRules.halfPrecisionPairs(results).map { pair in
            DTypeComparison(
                op: pair.f16.spec.op, shape: pair.f16.spec.shape, device: pair.f16.spec.device, f32MedianSeconds: pair.f32Median,
                f16MedianSeconds: pair.f16Median, f16Speedup: pair.f32Median / pair.f16Median)
        }
    }

    public func json() throws -> [UInt8] { try ProjectJSON.file(self) }

    public static func decode(json bytes: [UInt8]) throws -> PerformanceReport {
        try ProjectJSON.decoder().decode(PerformanceReport.self, from: Data(bytes))
    }
}
