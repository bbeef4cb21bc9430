/// Runs probes on the host CPU with the CKernels thread pool.
public final class CPUBackend: ProbeBackend, @unchecked Sendable {
    // @unchecked: probes are prepared and run on one thread at a time (the runner's); only
    // `cancel()` is called from elsewhere (the watchdog), and it only touches the pool's atomic flag.
    public let kind = BackendKind.cpu
    public let device: String
    public let simdPath: SIMDPath
    public let threads: Int
    public let bufferPool: BufferPool
    private let kernels: CPUKernels

    /// `threads` nil uses every CPU the process may run on; `simdPath` nil uses the widest one.
    public init(threads: Int? = nil, simdPath: SIMDPath? = nil, device: String = "cpu0", bufferPool: BufferPool = BufferPool()) throws(ProbeInputError) {
        let path = simdPath ?? .detected
        guard path.isSupported else {
            throw .backendUnavailable(
                .cpu,
                reason: "SIMD path '\(path.rawValue)' is not supported by this CPU (supported: \(SIMDPath.supported.map(\.rawValue).joined(separator: ", ")))")
        }
        let count = threads ?? HostInfo.affinityCPUCount()
        guard count >= 1, let kernels = CPUKernels(threads: count, path: path) else {
            throw .backendUnavailable(.cpu, reason: "could not start \(count) kernel threads")
        }
        self.kernels = kernels
        self.simdPath = path
        self.threads = count
        self.device = device
        self.bufferPool = bufferPool
    }

    public var kernelPath: String { simdPath.rawValue }

    public func prepare(_ spec: ProbeSpec, seed: UInt64) throws(ProbeRunError) -> any PreparedProbe {
        var random = SeededRandom(seed: seed)
        switch spec.op {
        case .matmul: return try CPUMatmulProbe(spec: spec, kernels: kernels, pool: bufferPool, random: &random)
        case .ternaryMatmul: return try CPUTernaryMatmulProbe(spec: spec, kernels: kernels, pool: bufferPool, random: &random)
        case .quantizeWeights: return try CPUQuantizeWeightsProbe(spec: spec, kernels: kernels, pool: bufferPool, random: &random)
        case .quantizeActivations: return try CPUQuantizeActivationsProbe(spec: spec, kernels: kernels, pool: bufferPool, random: &random)
        case .add, .multiply: return try CPUElementwiseProbe(spec: spec, kernels: kernels, pool: bufferPool, random: &random)
        case .copy: return try CPUCopyProbe(spec: spec, kernels: kernels, pool: bufferPool, random: &random)
        case .stridedAdd: return try CPUStridedAddProbe(spec: spec, kernels: kernels, pool: bufferPool, random: &random)
        case .h2d, .d2h: throw .kernelFailed(ProbeInputError.opUnavailable(op: spec.op, backend: .cpu).description)
        }
    }

    public func cancel() { kernels.cancel() }

    /// Gives idle probe buffers and the kernels' kept scratch back to the system (between agent
    /// cycles: the agent should hold no probe memory while it waits).
    public func releaseIdleMemory() {
        bufferPool.trim()
        kernels.releaseScratch()
    }
    public func resetCancellation() { kernels.resetCancellation() }
}
