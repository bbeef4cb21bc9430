/// What a set of timings depends on besides the code: the processor, the kernel path and thread
/// count, and the build. Stored with every baseline, so a comparison across machines or settings
/// says so instead of passing such differences off as regressions.
public struct EnvironmentFingerprint: Codable, Equatable, Sendable {
    public var backend: BackendKind
    public var device: String
    public var cpuModel: String
    /// The SIMD path (CPU) or device architecture the kernels ran on.
    public var simdPath: String
    public var threads: Int
    /// CPUs in the process's affinity mask.
    public var availableCPUs: Int
    public var bitprobeVersion: String
    public var bitprobeRevision: String
    /// GPU model and driver of the probed device; nil for the CPU backend. Always written, as null
    /// when absent, so the schema does not change shape when GPU backends fill them in.
    public var gpuName: String?
    public var gpuDriverVersion: String?

    public init(
        backend: BackendKind, device: String, cpuModel: String, simdPath: String, threads: Int, availableCPUs: Int,
        bitprobeVersion: String, bitprobeRevision: String, gpuName: String? = nil, gpuDriverVersion: String? = nil
    ) {
        self.backend = backend
        self.device = device
        self.cpuModel = cpuModel
        self.simdPath = simdPath
        self.threads = threads
        self.availableCPUs = availableCPUs
        self.bitprobeVersion = bitprobeVersion
        self.bitprobeRevision = bitprobeRevision
        self.gpuName = gpuName
        self.gpuDriverVersion = gpuDriverVersion
    }

    /// The fingerprint of `backend` on this host and build.
    public init(host: HostInfo, backend: any ProbeBackend) {
        self.init(
            backend: backend.kind, device: backend.device, cpuModel: host.cpuModel, simdPath: backend.kernelPath,
            threads: backend.threads, availableCPUs: host.availableCPUs,
            bitprobeVersion: BitProbeVersion.version, bitprobeRevision: BitProbeVersion.revision)
    }

    /// The differences that make timings incomparable, one phrase each, baseline value first.
    /// The bitprobe version is not among them: comparing builds is the point.
    public func differences(fromBaseline baseline: EnvironmentFingerprint) -> [String] {
        var differences: [String] = []
        if cpuModel != baseline.cpuModel { differences.append("CPU model '\(baseline.cpuModel)' -> '\(cpuModel)'") }
        if simdPath != baseline.simdPath { differences.append("SIMD path \(baseline.simdPath) -> \(simdPath)") }
        if threads != baseline.threads { differences.append("threads \(baseline.threads) -> \(threads)") }
        if gpuName != baseline.gpuName {
            differences.append("GPU '\(baseline.gpuName ?? "none")' -> '\(gpuName ?? "none")'")
        }
        if gpuDriverVersion != baseline.gpuDriverVersion {
            differences.append("GPU driver \(baseline.gpuDriverVersion ?? "none") -> \(gpuDriverVersion ?? "none")")
        }
        return differences
    }

    /// `Intel(R) Xeon(R) Processor, avx512, 2 threads, bitprobe 0.3.0 (3937fd8)`
    public var summary: String {
        var parts = [cpuModel, simdPath, "\(threads) thread\(threads == 1 ? "" : "s")"]
        if let gpuName { parts.append(gpuName + (gpuDriverVersion.map { " (driver \($0))" } ?? "")) }
        parts.append("bitprobe \(bitprobeVersion) (\(bitprobeRevision))")
        return parts.joined(separator: ", ")
    }

    // "availableCpus" so that JSON's snake_case ("available_cpus") round-trips through the key strategies.
    enum CodingKeys: String, CodingKey {
        case backend, device, cpuModel, simdPath, threads, availableCPUs = "availableCpus", bitprobeVersion, bitprobeRevision,
            gpuName, gpuDriverVersion
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(backend, forKey: .backend)
        try container.encode(device, forKey: .device)
        try container.encode(cpuModel, forKey: .cpuModel)
        try container.encode(simdPath, forKey: .simdPath)
        try container.encode(threads, forKey: .threads)
        try container.encode(availableCPUs, forKey: .availableCPUs)
        try container.encode(bitprobeVersion, forKey: .bitprobeVersion)
        try container.encode(bitprobeRevision, forKey: .bitprobeRevision)
        try container.encode(gpuName, forKey: .gpuName)
        try container.encode(gpuDriverVersion, forKey: .gpuDriverVersion)
    }
}
