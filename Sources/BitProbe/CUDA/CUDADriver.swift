import CCUDADriver
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The CUDA driver library opened at run time, with its entry points resolved (CCUDADriver).
///
/// Loaded once per path for the life of the process: drivers cannot be unloaded safely, and the
/// agent re-reads its config without reloading libraries. The driver API is thread-safe, and the
/// table never changes after loading, which is why the class is Sendable.
public final class CUDADriver: @unchecked Sendable {
    /// The library opened when BITPROBE_CUDA_LIBRARY is not set.
    public static let defaultLibrary = "libcuda.so.1"
    public static let libraryVariable = "BITPROBE_CUDA_LIBRARY"

    /// BITPROBE_CUDA_LIBRARY when set and not empty, else libcuda.so.1 (found by the dynamic loader).
    public static var configuredLibrary: String {
        if let value = getenv(libraryVariable), value.pointee != 0 { return String(cString: value) }
        return defaultLibrary
    }

    public let path: String
    let table: bp_cuda_driver
    private let initResult = Mutex<CUDAError??>(nil)

    private init(path: String, table: bp_cuda_driver) {
        self.path = path
        self.table = table
    }

    private static let loaded = Mutex<[String: Result<CUDADriver, CUDALoadError>]>([:])

    /// The driver at `path`, opened the first time it is asked for; a failure is remembered too.
    public static func load(path: String = configuredLibrary) throws(CUDALoadError) -> CUDADriver {
        let result = loaded.withLock { cache -> Result<CUDADriver, CUDALoadError> in
            if let known = cache[path] { return known }
            var table = bp_cuda_driver()
            var message = [CChar](repeating: 0, count: 1024)
            let status = bp_cuda_driver_open(path, &table, &message, message.count)
            let text = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            let result: Result<CUDADriver, CUDALoadError> =
                switch Int(status) {
                case Int(BP_CUDA_OPEN_OK): .success(CUDADriver(path: path, table: table))
                case Int(BP_CUDA_OPEN_NO_LIBRARY): .failure(CUDALoadError(kind: .libraryMissing, message: text))
                default: .failure(CUDALoadError(kind: .symbolMissing, message: text))
                }
            cache[path] = result
            return result
        }
        return try result.get()
    }

    /// cuInit(0), called once; later calls return the first call's outcome, as the driver would.
    public func initialize() throws(CUDAError) {
        let outcome = initResult.withLock { cached -> CUDAError? in
            if let known = cached { return known }
            let error = failure(table.cuInit(0), "cuInit")
            cached = .some(error)
            return error
        }
        if let outcome { throw outcome }
    }

    /// The driver's CUDA version as "major.minor" (cuDriverGetVersion's 13000 is "13.0").
    public func version() throws(CUDAError) -> String {
        var version: CInt = 0
        try check(table.cuDriverGetVersion(&version), "cuDriverGetVersion")
        return "\(version / 1000).\(version % 1000 / 10)"
    }

    /// Throws a `CUDAError` naming `call` unless `result` is CUDA_SUCCESS.
    @inline(__always)
    func check(_ result: bp_cu_result, _ call: StaticString) throws(CUDAError) {
        if result != 0 { throw error(result, "\(call)") }
    }

    func failure(_ result: bp_cu_result, _ call: String) -> CUDAError? {
        result == 0 ? nil : error(result, call)
    }

    /// The error for `result`, with the driver's own name and description of the code.
    func error(_ result: bp_cu_result, _ call: String) -> CUDAError {
        var name: UnsafePointer<CChar>?
        var text: UnsafePointer<CChar>?
        _ = table.cuGetErrorName(result, &name)
        _ = table.cuGetErrorString(result, &text)
        return CUDAError(call: call, code: result, name: name.map { String(cString: $0) }, text: text.map { String(cString: $0) })
    }
}
