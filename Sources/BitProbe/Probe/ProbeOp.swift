/// What a probe computes. The raw values are the `op` label on every probe series.
public enum ProbeOp: String, CaseIterable, Codable, Sendable, Comparable {
    case matmul
    case ternaryMatmul = "ternary_matmul"
    case quantizeWeights = "quantize_weights"
    case quantizeActivations = "quantize_activations"
    case add
    case multiply
    case copy
    /// `add` over inputs read `stride` elements apart: the cost of a non-contiguous layout against
    /// stride 1 of the same kernel (CPU only; not in the default suite).
    case stridedAdd = "strided_add"
    /// Host-to-device and device-to-host transfers from pinned host memory (CUDA backend only).
    case h2d
    case d2h

    public static func < (lhs: ProbeOp, rhs: ProbeOp) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The dimensions a shape of this op names, in order.
    public var shapeDimensionNames: [String] {
        switch self {
        case .matmul, .ternaryMatmul: ["M", "N", "K"]
        case .quantizeWeights, .quantizeActivations: ["rows", "cols"]
        case .add, .multiply: ["elements"]
        case .copy, .h2d, .d2h: ["bytes"]
        case .stridedAdd: ["elements", "stride"]
        }
    }

    /// The element types this op runs with on the CPU backend, widest first (none: not offered).
    public var cpuDTypes: [DType] {
        switch self {
        case .matmul, .add, .multiply, .quantizeWeights, .quantizeActivations: [.f32, .f16]
        case .ternaryMatmul: [.i8Ternary]
        case .copy: [.bytes]
        case .stridedAdd: [.f32]
        case .h2d, .d2h: []
        }
    }

    /// The element types this op runs with on a GPU (CUDA backend): bf16 matmul on tensor cores,
    /// and host/device transfers, which only exist where there is a device.
    public var cudaDTypes: [DType] {
        switch self {
        case .matmul: [.f32, .f16, .bf16]
        case .add, .multiply, .quantizeWeights, .quantizeActivations: [.f32, .f16]
        case .ternaryMatmul: [.i8Ternary]
        case .copy, .h2d, .d2h: [.bytes]
        case .stridedAdd: []
        }
    }

    /// Element types the op supports on a backend; empty when the backend does not offer the op.
    public func dtypes(on backend: BackendKind) -> [DType] {
        switch backend {
        case .cpu: cpuDTypes
        case .cuda: cudaDTypes
        }
    }

    /// The ops a backend offers, in declaration order.
    public static func offered(on backend: BackendKind) -> [ProbeOp] {
        allCases.filter { !$0.dtypes(on: backend).isEmpty }
    }

    /// The ops a selection without `op` runs: all offered but the layout study, which answers a
    /// question of its own (`compare --strides`, the report) rather than watching the machine.
    public static func inDefaultSuite(on backend: BackendKind) -> [ProbeOp] {
        offered(on: backend).filter { $0 != .stridedAdd }
    }
}

/// Element type of a probe's inputs. The raw values are the `dtype` label.
public enum DType: String, CaseIterable, Codable, Sendable, Comparable {
    case f32
    case f16
    case bf16
    /// int8 activations times packed 2-bit ternary weights (BitLinear W1.58A8).
    case i8Ternary = "i8_ternary"
    /// Raw bytes (memory copies).
    case bytes

    public static func < (lhs: DType, rhs: DType) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Bytes per stored element of the op's float operands.
    var floatElementBytes: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        case .i8Ternary, .bytes: 1
        }
    }
}

/// A compute backend. The raw values are the `backend` label.
public enum BackendKind: String, CaseIterable, Codable, Sendable {
    case cpu
    case cuda
}
