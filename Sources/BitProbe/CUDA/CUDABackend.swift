import CCUDAKernels
import Synchronization

/// Runs probes on one GPU (docs/cuda.md): the bitprobe fatbin loaded once into the device's
/// primary context, one non-blocking stream for the kernels, inputs from the same seeded
/// generators as the CPU probes, timing by CUDA events, results checked by the CPU verifiers.
///
/// A CUDA error fails the probe with the driver's text. A sticky error (the context is unusable:
/// illegal address, launch failure, ...) or work that never completed (a hung kernel: the probe
/// times out) is also remembered (`faultReason`); whoever owns the device (the agent's
/// scheduler, `bench`) then drops this backend, resets the context and marks the device down
/// until a recovery succeeds. The last error of any kind is kept for the owner too
/// (`takeLastError`), which takes a device down after repeated CUDA_ERROR_UNKNOWN /
/// CUDA_ERROR_DEVICE_UNAVAILABLE.
public final class CUDABackend: ProbeBackend, @unchecked Sendable {
    // @unchecked: prepared probes run on one thread at a time (the runner's); `cancel()` touches
    // only the atomic flag, and the function cache, fault and last error are behind mutexes.
    public let kind = BackendKind.cuda
    /// `cudaN`.
    public let device: String
    public let info: CUDADeviceInfo
    public let context: CUDAContext
    /// The fatbin image the driver runs on this GPU (`kernelImage(computeCapability:)`).
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
    private let fault = Mutex<Fault?>(nil)
    private let lastError = Mutex<CUDAError?>(nil)

    private enum Fault: Sendable {
        case sticky(CUDAError)
        case hung(String)
    }

    /// The fatbin committed in CCUDAKernels (scripts/gen-cuda-kernels).
    public static var fatbin: [UInt8] {
        let count = Int(bp_cuda_fatbin_bytes())
        return Array(UnsafeRawBufferPointer(start: bp_cuda_fatbin_data(), count: count))
    }

    /// Loads the fatbin into `context` (cuModuleLoadData) and creates the kernels' stream.
    /// Device allocations, frees, transfers and allocation failures go to `tracker` as `device`.
    /// A fatbin the driver cannot load is `cannot load the bitprobe kernels: …`: the device cannot
    /// run any probe, and its owner marks it down.
    public init(
        info: CUDADeviceInfo, context: CUDAContext, tracker: MemoryTracker? = nil,
        matmulVariant: CUDAMatmulVariant = .configured
    ) throws(CUDABackendError) {
        self.info = info
        self.device = info.device
        self.context = context
        self.tracker = tracker
        self.matmulVariant = matmulVariant
        kernelPath = Self.kernelImage(computeCapability: info.computeCapability)
        do { module = try CUDAModule(context: context, image: Self.fatbin) } catch { throw .kernelsNotLoaded(error) }
        do { stream = try CUDAStream(context: context) } catch { throw .driver(error) }
    }

    /// Which image of the fatbin (SASS for sm_80, sm_89, sm_90; PTX for compute_80) the driver
    /// runs on a GPU of compute capability `major.minor`: the SASS of the same major version and
    /// the highest minor not above the GPU's (8.6 runs sm_80); for a GPU newer than 9.x, the PTX,
    /// compiled by the driver when the module loads. Below 8.0 there is none (the load fails).
    public static func kernelImage(computeCapability: String) -> String {
        let parts = computeCapability.split(separator: ".").compactMap { Int($0) }
        guard parts.count == 2 else { return "unknown" }
        switch (parts[0], parts[1]) {
        case (9, _): return "sm_90"
        case (8, 9...): return "sm_89"
        case (8, _): return "sm_80"
        case (10..., _): return "compute_80 PTX (JIT)"
        default: return "none"
        }
    }

    /// The sticky error a probe hit, if any: the context is unusable until it is reset.
    public var stickyError: CUDAError? {
        fault.withLock { fault -> CUDAError? in
            if case .sticky(let error) = fault { return error }
            return nil
        }
    }

    /// Why this backend's context can no longer be used, if it cannot: a sticky error's line, or
    /// which kernels did not complete before their probe was cancelled (a hung GPU).
    public var faultReason: String? {
        fault.withLock { fault -> String? in
            switch fault {
            case .sticky(let error): error.description
            case .hung(let reason): reason
            case nil: nil
            }
        }
    }

    /// Whether work queued on this backend never completed: the device must not be waited for.
    var isHung: Bool {
        fault.withLock { fault -> Bool in
            if case .hung = fault { return true }
            return false
        }
    }

    /// The last driver error a probe hit since the previous call, cleared by reading it.
    public func takeLastError() -> CUDAError? {
        lastError.withLock { error -> CUDAError? in
            defer { error = nil }
            return error
        }
    }

    public func prepare(_ spec: ProbeSpec, seed: UInt64) throws(ProbeRunError) -> any PreparedProbe {
        switch fault.withLock({ $0 }) {
        case .sticky(let error): throw .deviceFailed(error)
        case .hung(let reason): throw .kernelFailed("device unusable: \(reason)")
        case nil: break
        }
        var random = SeededRandom(seed: seed)
        let probe: any CUDAPreparedProbe
        switch spec.op {
        case .matmul: probe = try CUDAMatmulProbe(spec: spec, backend: self, random: &random)
        case .ternaryMatmul: probe = try CUDATernaryMatmulProbe(spec: spec, backend: self, random: &random)
        case .quantizeWeights: probe = try CUDAQuantizeWeightsProbe(spec: spec, backend: self, random: &random)
        case .quantizeActivations: probe = try CUDAQuantizeActivationsProbe(spec: spec, backend: self, random: &random)
        case .add, .multiply: probe = try CUDAElementwiseProbe(spec: spec, backend: self, random: &random)
        case .copy, .h2d, .d2h: probe = try CUDATransferProbe(spec: spec, backend: self, random: &random)
        case .stridedAdd: throw .kernelFailed(ProbeInputError.opUnavailable(op: spec.op, backend: .cuda).description)
        }
        do {
            // The inputs were copied from pageable host memory (cuMemcpyHtoD returns once they
            // are staged, not written) and the outputs poisoned by cuMemsetD8, both on the legacy
            // default stream; the kernels run on a non-blocking stream, which does not wait for
            // the legacy one. Without this wait the first kernel could read inputs not yet
            // copied, or have its output overwritten by the poison.
            try run { () throws(CUDAError) in try context.synchronize() }
            try probe.kernels?.calibrate()
        } catch {
            probe.release()
            throw error
        }
        return probe
    }

    public func cancel() { cancelled.store(true, ordering: .relaxed) }
    public func resetCancellation() { cancelled.store(false, ordering: .relaxed) }
    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    /// Runs driver calls, turning a failure into the probe's error and remembering a sticky one.
    func run<Result>(_ body: () throws(CUDAError) -> Result) throws(ProbeRunError) -> Result {
        do { return try body() } catch { throw failure(error) }
    }

    func failure(_ error: CUDAError) -> ProbeRunError {
        if error.kind == .sticky { fault.withLock { if $0 == nil { $0 = .sticky(error) } } }
        lastError.withLock { $0 = error }
        return .deviceFailed(error)
    }

    /// Work queued on the stream did not complete before its probe was cancelled: a kernel that
    /// runs past the probe's whole timeout is taken as hung, and a hung kernel leaves the context
    /// unusable until it is reset.
    func markHung(_ kernels: String) {
        let reason = "\(kernels) did not complete before the probe was cancelled (timeout or shutdown): the GPU may be hung"
        fault.withLock { if $0 == nil { $0 = .hung(reason) } }
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
}

/// Why a `CUDABackend` could not be created on a GPU.
public enum CUDABackendError: Error, Equatable, Sendable, CustomStringConvertible {
    /// cuModuleLoadData refused the fatbin: no probe can run on this GPU with this driver.
    case kernelsNotLoaded(CUDAError)
    /// Another driver call failed.
    case driver(CUDAError)

    public var error: CUDAError {
        switch self {
        case .kernelsNotLoaded(let error), .driver(let error): error
        }
    }

    /// `cannot load the bitprobe kernels: cuModuleLoadData failed: CUDA_ERROR_UNSUPPORTED_PTX_VERSION (…) (driver older than CUDA 13.0?)`.
    public var description: String {
        switch self {
        case .kernelsNotLoaded(let error):
            let hint =
                switch error.code {
                case CUDAError.unsupportedPTXVersionCode: " (driver older than CUDA 13.0?)"
                case CUDAError.noBinaryForGPUCode: " (GPU older than compute capability 8.0, or driver older than CUDA 13.0?)"
                default: ""
                }
            return "cannot load the bitprobe kernels: \(error)\(hint)"
        case .driver(let error):
            return error.description
        }
    }
}
