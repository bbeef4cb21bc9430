import CCUDADriver

#if canImport(Glibc)
import Glibc
#endif

/// A module (fatbin, cubin or PTX image) loaded into a context; unloaded when the last reference goes.
public final class CUDAModule: @unchecked Sendable {
    // @unchecked: the handle never changes; the driver's module calls are thread-safe.
    public let context: CUDAContext
    let handle: bp_cu_module

    /// cuModuleLoadData. A PTX image must end with a NUL byte; fatbins and cubins need not.
    public init(context: CUDAContext, image: [UInt8]) throws(CUDAError) {
        self.context = context
        handle = try context.withCurrent { () throws(CUDAError) -> bp_cu_module in
            var module: bp_cu_module?
            let result = image.withUnsafeBytes { context.driver.table.cuModuleLoadData(&module, $0.baseAddress) }
            try context.driver.check(result, "cuModuleLoadData")
            return module!
        }
    }

    deinit {
        let driver = context.driver
        let module = handle
        _ = try? context.withCurrent { () throws(CUDAError) in _ = driver.table.cuModuleUnload(module) }
    }

    /// cuModuleGetFunction: the kernel `name` (its extern "C" name) in this module.
    public func function(_ name: String) throws(CUDAError) -> CUDAFunction {
        try context.withCurrent { () throws(CUDAError) -> CUDAFunction in
            var function: bp_cu_function?
            try context.driver.check(context.driver.table.cuModuleGetFunction(&function, handle, name), "cuModuleGetFunction")
            return CUDAFunction(module: self, handle: function!, name: name)
        }
    }
}

/// A kernel in a loaded module; keeps the module loaded.
public struct CUDAFunction: @unchecked Sendable {
    public let module: CUDAModule
    let handle: bp_cu_function
    public let name: String

    /// cuFuncSetAttribute(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES): lets the kernel launch
    /// with more than the default 48 KiB of dynamic shared memory.
    public func allowDynamicSharedMemory(bytes: Int) throws(CUDAError) {
        let context = module.context
        try context.withCurrent { () throws(CUDAError) in
            try context.driver.check(context.driver.table.cuFuncSetAttribute(handle, 8, CInt(bytes)), "cuFuncSetAttribute")
        }
    }
}

/// One kernel argument, passed by value as the kernel declares it.
public enum CUDAKernelArgument: Sendable {
    case buffer(CUDADeviceBuffer)
    case int32(Int32)
    case uint32(UInt32)
    case int64(Int64)
    case float(Float)
}

/// A grid of blocks of threads.
public struct CUDALaunchShape: Sendable, Equatable {
    public var grid: (x: UInt32, y: UInt32, z: UInt32)
    public var block: (x: UInt32, y: UInt32, z: UInt32)
    public var sharedBytes: UInt32

    public init(grid: (x: UInt32, y: UInt32, z: UInt32), block: (x: UInt32, y: UInt32, z: UInt32), sharedBytes: UInt32 = 0) {
        self.grid = grid
        self.block = block
        self.sharedBytes = sharedBytes
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.grid == b.grid && a.block == b.block && a.sharedBytes == b.sharedBytes
    }
}

/// A stream of the context (cuStreamCreate, non-blocking); destroyed when the last reference goes.
public final class CUDAStream: @unchecked Sendable {
    public let context: CUDAContext
    let handle: bp_cu_stream

    public init(context: CUDAContext) throws(CUDAError) {
        self.context = context
        handle = try context.withCurrent { () throws(CUDAError) -> bp_cu_stream in
            var stream: bp_cu_stream?
            try context.driver.check(context.driver.table.cuStreamCreate(&stream, UInt32(BP_CU_STREAM_NON_BLOCKING)), "cuStreamCreate")
            return stream!
        }
    }

    deinit {
        let driver = context.driver
        let stream = handle
        _ = try? context.withCurrent { () throws(CUDAError) in _ = driver.table.cuStreamDestroy(stream) }
    }

    public func synchronize() throws(CUDAError) {
        try context.withCurrent { () throws(CUDAError) in
            try context.driver.check(context.driver.table.cuStreamSynchronize(handle), "cuStreamSynchronize")
        }
    }
}

/// An event for timing work on a stream (cuEventCreate); destroyed when the last reference goes.
///
/// Created with the default flags: the host waits for an event by polling it (`wait`), never by
/// cuEventSynchronize, so CU_EVENT_BLOCKING_SYNC would change nothing; the polling sleeps
/// between queries rather than spinning.
public final class CUDAEvent: @unchecked Sendable {
    public let context: CUDAContext
    let handle: bp_cu_event

    public init(context: CUDAContext) throws(CUDAError) {
        self.context = context
        handle = try context.withCurrent { () throws(CUDAError) -> bp_cu_event in
            var event: bp_cu_event?
            try context.driver.check(context.driver.table.cuEventCreate(&event, UInt32(BP_CU_EVENT_DEFAULT)), "cuEventCreate")
            return event!
        }
    }

    deinit {
        let driver = context.driver
        let event = handle
        _ = try? context.withCurrent { () throws(CUDAError) in _ = driver.table.cuEventDestroy(event) }
    }

    public func record(on stream: CUDAStream?) throws(CUDAError) {
        try context.withCurrent { () throws(CUDAError) in try recordCurrent(on: stream) }
    }

    /// cuEventRecord with this event's context already current.
    func recordCurrent(on stream: CUDAStream?) throws(CUDAError) {
        try context.driver.check(context.driver.table.cuEventRecord(handle, stream?.handle), "cuEventRecord")
    }

    /// Waits until the work recorded before this event has completed, polling cuEventQuery
    /// (20 µs sleeps for the first 2 ms, then 100 µs: a short kernel is seen promptly, a long one
    /// costs little CPU). Returns false, without waiting further, once `isCancelled` says so while
    /// the work is still running: cuEventSynchronize would block forever on a hung kernel, and
    /// nothing can interrupt it.
    public func wait(isCancelled: () -> Bool) throws(CUDAError) -> Bool {
        try context.withCurrent { () throws(CUDAError) -> Bool in
            var slept = 0
            while true {
                let result = context.driver.table.cuEventQuery(handle)
                if result == 0 { return true }
                if Int(result) != Int(BP_CUDA_ERROR_NOT_READY) { try context.driver.check(result, "cuEventQuery") }
                if isCancelled() { return false }
                let pause = slept < 2_000 ? 20 : 100
                usleep(UInt32(pause))
                slept += pause
            }
        }
    }

    /// Seconds between `start` and this event, both recorded and this one complete.
    public func seconds(since start: CUDAEvent) throws(CUDAError) -> Double {
        try context.withCurrent { () throws(CUDAError) -> Double in
            var milliseconds: Float = 0
            let symbol = String(cString: context.driver.table.event_elapsed_time_symbol)
            if let error = context.driver.failure(context.driver.table.cuEventElapsedTime(&milliseconds, start.handle, handle), symbol) {
                throw error
            }
            return Double(milliseconds) / 1000
        }
    }
}

/// A kernel launch with its function resolved and its arguments marshalled once, so that what
/// runs between a probe's timing events is the cuLaunchKernel call and nothing else.
///
/// The driver wants one pointer per parameter, to a value of exactly the type the kernel declares
/// (bitprobe_cuda_kernels.h). Values sit in 8-byte slots (zeroed first); after the parameter
/// pointers come a NULL and each argument's byte size, which the driver never reads (it reads as
/// many pointers as the kernel has parameters) and the stub driver logs to check the contracts.
public final class CUDAPreparedLaunch: @unchecked Sendable {
    // @unchecked: immutable after init; the storage is only read by the driver.
    public let function: CUDAFunction
    public let shape: CUDALaunchShape
    private let values: UnsafeMutableRawPointer
    private let parameters: UnsafeMutablePointer<UnsafeMutableRawPointer?>

    public init(_ function: CUDAFunction, shape: CUDALaunchShape, arguments: [CUDAKernelArgument]) {
        self.function = function
        self.shape = shape
        let count = arguments.count
        values = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 8, alignment: 8)
        values.initializeMemory(as: UInt64.self, repeating: 0, count: max(1, count))
        parameters = .allocate(capacity: 2 * count + 1)
        for (index, argument) in arguments.enumerated() {
            let slot = values + index * 8
            let size: Int
            switch argument {
            case .buffer(let buffer): slot.storeBytes(of: buffer.address, as: UInt64.self); size = 8
            case .int32(let value): slot.storeBytes(of: value, as: Int32.self); size = 4
            case .uint32(let value): slot.storeBytes(of: value, as: UInt32.self); size = 4
            case .int64(let value): slot.storeBytes(of: value, as: Int64.self); size = 8
            case .float(let value): slot.storeBytes(of: value, as: Float.self); size = 4
            }
            parameters[index] = slot
            parameters[count + 1 + index] = UnsafeMutableRawPointer(bitPattern: size)
        }
        parameters[count] = nil
    }

    deinit {
        values.deallocate()
        parameters.deallocate()
    }

    /// cuLaunchKernel on `stream` (the legacy default stream when nil), with the function's
    /// context already current.
    func enqueueCurrent(on stream: CUDAStream?) throws(CUDAError) {
        let driver = function.module.context.driver
        let result = driver.table.cuLaunchKernel(
            function.handle, shape.grid.x, shape.grid.y, shape.grid.z, shape.block.x, shape.block.y, shape.block.z,
            shape.sharedBytes, stream?.handle, parameters, nil)
        try driver.check(result, "cuLaunchKernel")
    }
}
