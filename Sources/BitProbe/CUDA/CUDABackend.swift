import CCUDAKernels
import Synchronization

/// Runs probes on one GPU (docs/cuda.md): the bitprobe fatbin loaded once into the device's
/// primary context, one non-blocking stream for the kernels, inputs from the same seeded
/// generators as the CPU probes, timing by CUDA events, results checked by the CPU verifiers.
///
/// A CUDA error fails the probe with the driver's text. A sticky error (the context is unusable:
/// illegal address, launch failure, ...) is also remembered as `stickyError`; whoever owns the
/// device (the agent's scheduler, `bench`) then drops this backend, resets the context and marks
/// the device down until a recovery succeeds.
public final class CUDABackend: ProbeBackend, @unchecked Sendable {
    // @unchecked: prepared probes run on one thread at a time (the runner's); `cancel()` touches
    // only the atomic flag, and the function cache and fault are behind mutexes.
    public let kind = BackendKind.cuda
    /// `cudaN`.
    public let device: String
    public let info: CUDADeviceInfo
    public let context: CUDAContext
    /// `sm_90` for compute capability 9.0: the SASS the driver picks from the fatbin.
    public let kernelPath: String
    /// The GPU's multiprocessor count (reported where the CPU reports kernel threads).
    public var threads: Int { info.multiprocessors }
    let tracker: MemoryTracker?
    /// Which tensor-core matmul kernel f16/bf16 probes use (`CUDAMatmulVariant`).
    public let matmulVariant: CUDAMatmulVariant
    let module: CUDAModule
    let stream: CUDAStream
    private let functions = Mutex<[String: CUDAFunction]>([:])
    private let cancelled = Atomic<Bool>(false)
    private let fault = Mutex<CUDAError?>(nil)

    /// The fatbin committed in CCUDAKernels (scripts/gen-cuda-kernels).
    public static var fatbin: [UInt8] {
        let count = Int(bp_cuda_fatbin_bytes())
        return Array(UnsafeRawBufferPointer(start: bp_cuda_fatbin_data(), count: count))
    }

    /// Loads the fatbin into `context` (cuModuleLoadData) and creates the kernels' stream.
    /// Device allocations, frees, transfers and allocation failures go to `tracker` as `device`.
    public init(info: CUDADeviceInfo, context: CUDAContext, tracker: MemoryTracker? = nil) throws(CUDAError) {
        self.info = info
        self.device = info.device
        self.context = context
        self.tracker = tracker
        matmulVariant = .configured
        kernelPath = "sm_" + String(info.computeCapability.filter { $0 != "." })
        module = try CUDAModule(context: context, image: Self.fatbin)
        stream = try CUDAStream(context: context)
    }

    /// The sticky error a probe hit, if any: the context is unusable until it is reset.
    public var stickyError: CUDAError? { fault.withLock { $0 } }

    public func prepare(_ spec: ProbeSpec, seed: UInt64) throws(ProbeRunError) -> any PreparedProbe {
        if let sticky = stickyError { throw .deviceFailed(sticky) }
        var random = SeededRandom(seed: seed)
        switch spec.op {
        case .matmul: return try CUDAMatmulProbe(spec: spec, backend: self, random: &random)
        case .ternaryMatmul: return try CUDATernaryMatmulProbe(spec: spec, backend: self, random: &random)
        case .quantizeWeights: return try CUDAQuantizeWeightsProbe(spec: spec, backend: self, random: &random)
        case .quantizeActivations: return try CUDAQuantizeActivationsProbe(spec: spec, backend: self, random: &random)
        case .add, .multiply: return try CUDAElementwiseProbe(spec: spec, backend: self, random: &random)
        case .copy, .h2d, .d2h: return try CUDATransferProbe(spec: spec, backend: self, random: &random)
        }
    }

    public func cancel() { cancelled.store(true, ordering: .relaxed) }
    public func resetCancellation() { cancelled.store(false, ordering: .relaxed) }
    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    /// Runs driver calls, turning a failure into the probe's error and remembering a sticky one.
    func run<Result>(_ body: () throws(CUDAError) -> Result) throws(ProbeRunError) -> Result {
        do { return try body() } catch { throw failure(error) }
    }

    func failure(_ error: CUDAError) -> ProbeRunError {
        if error.kind == .sticky { fault.withLock { if $0 == nil { $0 = error } } }
        return .deviceFailed(error)
    }

    /// The kernel `name` of the fatbin, looked up once per backend; the kernels that use more than
    /// 48 KiB of dynamic shared memory get their opt-in (cuFuncSetAttribute) then.
    func function(_ name: String) throws(ProbeRunError) -> CUDAFunction {
        if let known = functions.withLock({ $0[name] }) { return known }
        let function = try run { () throws(CUDAError) in
            let function = try module.function(name)
            if name.hasSuffix("_s4") { try function.allowDynamicSharedMemory(bytes: Int(BP_CUDA_MATMUL_TC_SMEM_S4)) }
            if name.hasSuffix("_wide") { try function.allowDynamicSharedMemory(bytes: Int(BP_CUDA_MATMUL_TC_SMEM_WIDE)) }
            return function
        }
        functions.withLock { $0[name] = function }
        return function
    }

    /// Queues kernel `name` on the backend's stream.
    func launch(_ name: String, shape: CUDALaunchShape, _ arguments: [CUDAKernelArgument]) throws(ProbeRunError) {
        let function = try function(name)
        try run { () throws(CUDAError) in try context.launch(function, shape: shape, stream: stream, arguments: arguments) }
    }
}
