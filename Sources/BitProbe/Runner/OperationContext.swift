/// What a caller's own operation is, for `OperationBenchmark` (the seed's OperationContext). Only
/// `name` is required; the rest describe the run in reports and JSON, and the counted work per call
/// turns times into throughput.
public struct OperationContext: Codable, Equatable, Sendable {
    public var name: String
    public var batchSize: Int?
    public var sequenceLength: Int?
    public var parameterCount: Int?
    /// e.g. "f16", "w1.58a8".
    public var precision: String?
    /// e.g. "O3", "fused".
    public var optimizationLevel: String?
    public var parallel: Bool?
    /// Counted operations (e.g. 2·M·N·K) and bytes moved by one call, when the caller knows them.
    public var operationsPerCall: Double?
    public var bytesPerCall: Double?

    public init(
        name: String, batchSize: Int? = nil, sequenceLength: Int? = nil, parameterCount: Int? = nil, precision: String? = nil,
        optimizationLevel: String? = nil, parallel: Bool? = nil, operationsPerCall: Double? = nil, bytesPerCall: Double? = nil
    ) {
        self.name = name
        self.batchSize = batchSize
        self.sequenceLength = sequenceLength
        self.parameterCount = parameterCount
        self.precision = precision
        self.optimizationLevel = optimizationLevel
        self.parallel = parallel
        self.operationsPerCall = operationsPerCall
        self.bytesPerCall = bytesPerCall
    }
}

/// The outcome of timing a caller's operation: the fields of a probe result that apply to code
/// bitprobe does not own (no spec, no built-in verification: the caller's closure verifies by
/// throwing). Encodes into the `operations` list of the bench JSON (docs/bench-json.md).
public struct OperationResult: Codable, Sendable {
    public var context: OperationContext
    /// `ok`, `failed` (the closure threw) or `timeout`.
    public var outcome: ProbeOutcome
    public var detail: String?
    public var startedAt: Double
    public var wallSeconds: Double
    public var warmupIterations: Int
    public var samples: [Double]
    public var statistics: SampleStatistics?
    public var operationsPerSecond: Double?
    public var bytesPerSecond: Double?
    public var traceID: String?
    public var spanID: String?
}
