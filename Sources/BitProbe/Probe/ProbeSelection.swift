/// Turns what a user asked for (op, dtype and shape lists, any of them empty for "all" or "default")
/// into the probes to run, in a stable order. Every rejection names the input that caused it.
public struct ProbeSelection: Equatable, Sendable {
    public var backend: BackendKind
    public var device: String
    public var ops: [String]
    public var dtypes: [String]
    public var shapes: [String]

    /// The `device` of a CUDA selection meant for every GPU (the agent's config without `device:`).
    public static let everyGPU = ""

    public init(backend: BackendKind = .cpu, device: String = "cpu0", ops: [String] = [], dtypes: [String] = [], shapes: [String] = []) {
        self.backend = backend
        self.device = device
        self.ops = ops
        self.dtypes = dtypes
        self.shapes = shapes
    }

    public func resolve() throws(ProbeInputError) -> [ProbeSpec] {
        var ops: [ProbeOp] = []
        for text in self.ops {
            guard let op = ProbeOp(rawValue: text) else { throw .unknownOp(text, backend: backend) }
            guard !op.dtypes(on: backend).isEmpty else { throw .opUnavailable(op: op, backend: backend) }
            if !ops.contains(op) { ops.append(op) }
        }
        var dtypes: [DType] = []
        for text in self.dtypes {
            guard let dtype = DType(rawValue: text) else { throw .unknownDType(text) }
            if !dtypes.contains(dtype) { dtypes.append(dtype) }
        }
        var shapes: [ProbeShape] = []
        for text in self.shapes {
            let shape = try ProbeShape(parsing: text)
            if !shapes.contains(shape) { shapes.append(shape) }
        }
        if ops.isEmpty {
            // No op named: every op that can run one of the requested dtypes and shapes.
            ops = ProbeOp.inDefaultSuite(on: backend).filter { op in
                (dtypes.isEmpty || dtypes.contains { op.dtypes(on: backend).contains($0) })
                    && (shapes.isEmpty || shapes.contains { $0.rank == op.shapeDimensionNames.count })
            }
            if ops.isEmpty, let dtype = dtypes.first {
                throw .unsupportedPair(op: .matmul, dtype: dtype, backend: backend)
            }
        }

        for dtype in dtypes where !ops.contains(where: { $0.dtypes(on: backend).contains(dtype) }) {
            throw .unsupportedPair(op: ops[0], dtype: dtype, backend: backend)
        }
        for shape in shapes where !ops.contains(where: { $0.shapeDimensionNames.count == shape.rank }) {
            throw .unusedShape(shape, ops: ops)
        }

        var specs: [ProbeSpec] = []
        for op in ops {
            let supported = op.dtypes(on: backend)
            let opDTypes = dtypes.isEmpty ? supported : dtypes.filter(supported.contains)
            guard !opDTypes.isEmpty else {
                throw .opWithoutDType(op: op, requested: dtypes, backend: backend)
            }
            let opShapes: [ProbeShape]
            if shapes.isEmpty {
                opShapes = DefaultSuite.shapes(for: op, on: backend)
            } else {
                opShapes = shapes.filter { $0.rank == op.shapeDimensionNames.count }
                guard !opShapes.isEmpty else { throw .noShapeForOp(op: op, shapes: shapes) }
            }
            for dtype in opDTypes {
                for shape in opShapes {
                    specs.append(try ProbeSpec(backend: backend, device: device, op: op, dtype: dtype, shape: shape))
                }
            }
        }
        return specs
    }
}

/// The default probe sizes of each backend.
///
/// CPU: large enough to measure the BitNet building blocks at model-like sizes (4096-wide layers,
/// GEMV for token generation), small enough that the whole CPU suite runs in well under 30 s on a
/// 2-core machine.
///
/// CUDA: GPU-sized (8192-wide layers, a 4096³ tensor-core GEMM, 64 MiB–256 MiB streams), so each
/// probe's work is large next to the events' resolution: the smallest, the elementwise ops, move
/// 192 MiB (f32) or 96 MiB (f16) per iteration, and the GEMM is 2·4096³ ≈ 1.4·10¹¹ flops. None of
/// it has been timed on a GPU yet; kernels that turn out shorter than 50 µs are repeated within
/// one timed span (`CUDAKernelRun`, docs/cuda.md).
public enum DefaultSuite {
    public static func shapes(for op: ProbeOp, on backend: BackendKind = .cpu) -> [ProbeShape] {
        switch backend {
        case .cpu: cpuShapes(for: op)
        case .cuda: cudaShapes(for: op)
        }
    }

    static func cpuShapes(for op: ProbeOp) -> [ProbeShape] {
        switch op {
        case .matmul: [ProbeShape([512, 512, 512]), ProbeShape([1, 4096, 4096])]
        case .ternaryMatmul: [ProbeShape([1, 4096, 4096]), ProbeShape([32, 4096, 4096])]
        case .quantizeWeights: [ProbeShape([4096, 4096])]
        case .quantizeActivations: [ProbeShape([64, 4096])]
        case .add, .multiply: [ProbeShape([1 << 22])]
        case .copy: [ProbeShape([1 << 26])]
        // 4 Mi elements contiguous and 16 apart (256 MiB of inputs at stride 16).
        case .stridedAdd: [ProbeShape([1 << 22, 1]), ProbeShape([1 << 22, 16])]
        case .h2d, .d2h: []
        }
    }

    static func cudaShapes(for op: ProbeOp) -> [ProbeShape] {
        switch op {
        case .matmul: [ProbeShape([4096, 4096, 4096])]
        case .ternaryMatmul: [ProbeShape([1, 8192, 8192]), ProbeShape([64, 8192, 8192])]
        case .quantizeWeights: [ProbeShape([4096, 8192])]
        case .quantizeActivations: [ProbeShape([512, 8192])]
        case .add, .multiply: [ProbeShape([1 << 24])]
        case .copy: [ProbeShape([1 << 28])]
        case .h2d, .d2h: [ProbeShape([1 << 26])]
        case .stridedAdd: []
        }
    }
}
