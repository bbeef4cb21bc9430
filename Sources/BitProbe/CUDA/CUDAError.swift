/// A CUDA driver call that did not return CUDA_SUCCESS.
public struct CUDAError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The driver symbol called, e.g. `cuMemAlloc_v2`.
    public var call: String
    /// The CUresult.
    public var code: Int32
    /// cuGetErrorName's text (`CUDA_ERROR_OUT_OF_MEMORY`), nil when the driver does not know the code.
    public var name: String?
    /// cuGetErrorString's text (`out of memory`).
    public var text: String?

    public init(call: String, code: Int32, name: String?, text: String?) {
        self.call = call
        self.code = code
        self.name = name
        self.text = text
    }

    /// `cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)`.
    public var description: String {
        "\(call) failed: \(name ?? "CUresult \(code)")" + (text.map { " (\($0))" } ?? "")
    }

    /// What the backend does about an error.
    public enum Kind: String, Sendable {
        /// The allocation did not fit: the probe fails with reason `oom`; the context is fine.
        case outOfMemory = "oom"
        /// The context is unusable until it is torn down (and the process may need a restart):
        /// every later call in it returns the same error. The device is marked down.
        case sticky
        /// Anything else: the call failed, the context still works.
        case ordinary
    }

    /// Errors the driver documents as leaving the context unusable ("any further CUDA work will
    /// return the same error"). CUDA_ERROR_DEVICE_UNAVAILABLE (46) and CUDA_ERROR_UNKNOWN (999)
    /// are not in the list: one of them says nothing certain about the context, but they are also
    /// what a GPU that fell off the bus or a wedged driver returns, so they are `suggestsLostDevice`
    /// and repeated ones take the device down (docs/cuda.md).
    public static let stickyCodes: Set<Int32> = [
        214,  // CUDA_ERROR_ECC_UNCORRECTABLE
        700,  // CUDA_ERROR_ILLEGAL_ADDRESS
        702,  // CUDA_ERROR_LAUNCH_TIMEOUT
        710,  // CUDA_ERROR_ASSERT
        714,  // CUDA_ERROR_HARDWARE_STACK_ERROR
        715,  // CUDA_ERROR_ILLEGAL_INSTRUCTION
        716,  // CUDA_ERROR_MISALIGNED_ADDRESS
        717,  // CUDA_ERROR_INVALID_ADDRESS_SPACE
        718,  // CUDA_ERROR_INVALID_PC
        719,  // CUDA_ERROR_LAUNCH_FAILED
    ]

    /// CUDA_ERROR_DEVICE_UNAVAILABLE (46) and CUDA_ERROR_UNKNOWN (999).
    public static let lostDeviceCodes: Set<Int32> = [46, 999]

    public static let outOfMemoryCode: Int32 = 2  // CUDA_ERROR_OUT_OF_MEMORY
    public static let noBinaryForGPUCode: Int32 = 209  // CUDA_ERROR_NO_BINARY_FOR_GPU
    public static let unsupportedPTXVersionCode: Int32 = 222  // CUDA_ERROR_UNSUPPORTED_PTX_VERSION
    public static let notInitializedCode: Int32 = 3  // CUDA_ERROR_NOT_INITIALIZED
    public static let noDeviceCode: Int32 = 100  // CUDA_ERROR_NO_DEVICE

    /// An ordinary error that, repeated, means the GPU or its driver is gone.
    public var suggestsLostDevice: Bool { Self.lostDeviceCodes.contains(code) }

    public var kind: Kind {
        if code == Self.outOfMemoryCode { return .outOfMemory }
        if Self.stickyCodes.contains(code) { return .sticky }
        return .ordinary
    }
}

/// Why the driver library could not be used at all.
public struct CUDALoadError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// dlopen failed: no driver installed (a CPU-only node), or the path is wrong.
        case libraryMissing
        /// The library loaded but lacks an entry point bitprobe needs.
        case symbolMissing
    }

    public var kind: Kind
    /// Names the path or the symbol, with dlerror()'s text.
    public var message: String

    public var description: String { message }
}
