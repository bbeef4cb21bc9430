import FoundationEssentials

/// The document `bitprobe bench --format json` writes (schema in docs/bench-json.md).
public struct BenchReport: Codable, Sendable {
    public static let schemaVersion = 1

    public var schemaVersion: Int = BenchReport.schemaVersion
    public var bitprobeVersion: String
    public var host: HostInfo
    public var backend: BackendSummary
    public var config: BenchmarkConfig
    public var results: [ProbeResult]
    /// A caller's own operations timed with `OperationBenchmark` (library use; `bench` writes none).
    public var operations: [OperationResult]?
    /// Present only when `BITPROBE_FAULT_INJECT` slowed matching probes of this run on purpose.
    public var faultInjection: FaultInjection?

    public struct BackendSummary: Codable, Equatable, Sendable {
        public var kind: BackendKind
        public var device: String
        public var kernelPath: String
        public var threads: Int
    }

    public init(
        bitprobeVersion: String, host: HostInfo, backend: any ProbeBackend, config: BenchmarkConfig, results: [ProbeResult],
        faultInjection: FaultInjection? = FaultInjection.active
    ) {
        self.bitprobeVersion = bitprobeVersion
        self.host = host
        self.backend = BackendSummary(kind: backend.kind, device: backend.device, kernelPath: backend.kernelPath, threads: backend.threads)
        self.config = config
        self.results = results
        self.faultInjection = faultInjection
    }

    /// A document of a caller's operations (`OperationBenchmark`), with the host and settings they
    /// ran with; `backend` names the CPU the process ran on.
    public init(bitprobeVersion: String, host: HostInfo, config: BenchmarkConfig, operations: [OperationResult]) {
        self.bitprobeVersion = bitprobeVersion
        self.host = host
        self.backend = BackendSummary(kind: .cpu, device: "cpu0", kernelPath: "caller", threads: host.availableCPUs)
        self.config = config
        self.results = []
        self.operations = operations
        self.faultInjection = nil
    }

    public func json() throws -> [UInt8] {
        try ProjectJSON.file(self)
    }

    public static func decode(json bytes: [UInt8]) throws -> BenchReport {
        let decoder = ProjectJSON.decoder()
        return try decoder.decode(BenchReport.self, from: Data(bytes))
    }
}
