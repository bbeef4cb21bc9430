import CCUDADriver
import Synchronization

/// A device's primary context, retained once and released once (`release`, or when the last
/// reference goes). Every call that needs the context pushes it on the calling thread's context
/// stack and pops it after, so any thread may use it and no thread is left holding it.
public final class CUDAContext: @unchecked Sendable {
    // @unchecked: the handle is written only by init and `release` (under `handle`'s lock); the
    // driver serialises what it needs to for calls from several threads.
    public let driver: CUDADriver
    /// The CUdevice the context belongs to.
    public let device: Int32
    private let handle: Mutex<bp_cu_context?>

    /// Retains `device`'s primary context (cuDevicePrimaryCtxRetain).
    public init(driver: CUDADriver, device: Int32) throws(CUDAError) {
        self.driver = driver
        self.device = device
        var context: bp_cu_context?
        try driver.check(driver.table.cuDevicePrimaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain")
        handle = Mutex(context)
    }

    deinit { release() }

    /// Releases the primary context; later calls fail with CUDA_ERROR_INVALID_CONTEXT. Idempotent.
    public func release() {
        let held = handle.withLock { current -> Bool in
            defer { current = nil }
            return current != nil
        }
        if held { _ = driver.table.cuDevicePrimaryCtxRelease(device) }
    }

    /// Runs `body` with this context current on the calling thread.
    public func withCurrent<Result>(_ body: () throws(CUDAError) -> Result) throws(CUDAError) -> Result {
        guard let context = handle.withLock({ $0 }) else {
            throw CUDAError(call: "cuCtxPushCurrent_v2", code: 201, name: "CUDA_ERROR_INVALID_CONTEXT", text: "the context was released")
        }
        try driver.check(driver.table.cuCtxPushCurrent(context), "cuCtxPushCurrent_v2")
        defer {
            var popped: bp_cu_context?
            _ = driver.table.cuCtxPopCurrent(&popped)
        }
        return try body()
    }

    /// Free and total device memory as the driver sees it (cuMemGetInfo_v2).
    public func memoryInfo() throws(CUDAError) -> (free: Int, total: Int) {
        try withCurrent { () throws(CUDAError) -> (free: Int, total: Int) in
            var free = 0
            var total = 0
            try driver.check(driver.table.cuMemGetInfo(&free, &total), "cuMemGetInfo_v2")
            return (free, total)
        }
    }

    /// Waits for all work in the context (cuCtxSynchronize).
    public func synchronize() throws(CUDAError) {
        try withCurrent { () throws(CUDAError) in try driver.check(driver.table.cuCtxSynchronize(), "cuCtxSynchronize") }
    }

    /// Destroys the primary context's state (all its memory, modules, streams) so the next use
    /// starts clean: the way back from a sticky error (cuDevicePrimaryCtxReset_v2).
    public func reset() throws(CUDAError) {
        try driver.check(driver.table.cuDevicePrimaryCtxReset(device), "cuDevicePrimaryCtxReset_v2")
    }
}
