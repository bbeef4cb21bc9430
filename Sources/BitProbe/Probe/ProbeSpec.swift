/// One probe: an op at one dtype and shape on one device.
public struct ProbeSpec: Hashable, Codable, Sendable, CustomStringConvertible {
    public var backend: BackendKind
    public var device: String
    public var op: ProbeOp
    public var dtype: DType
    public var shape: ProbeShape

    /// Checks that the op, dtype and shape fit together; the error names what does not.
    public init(backend: BackendKind = .cpu, device: String = "cpu0", op: ProbeOp, dtype: DType, shape: ProbeShape) throws(ProbeInputError) {
        guard !op.dtypes(on: backend).isEmpty else { throw .opUnavailable(op: op, backend: backend) }
        guard op.dtypes(on: backend).contains(dtype) else {
            throw .unsupportedPair(op: op, dtype: dtype, backend: backend)
        }
        guard shape.rank == op.shapeDimensionNames.count else {
            throw .noShapeForOp(op: op, shapes: [shape])
        }
        guard shape.elementCount != nil else { throw .shapeTooLarge(shape.description) }
        self.backend = backend
        self.device = device
        self.op = op
        self.dtype = dtype
        self.shape = shape
    }

    /// `cpu0 matmul f32 1024x1024x1024`
    public var description: String { "\(device) \(op.rawValue) \(dtype.rawValue) \(shape)" }

    /// Counted arithmetic per iteration (2MNK for matrix products), nil for bandwidth probes.
    public var operationsPerIteration: Double? {
        switch op {
        case .matmul, .ternaryMatmul: 2 * Double(shape[0]) * Double(shape[1]) * Double(shape[2])
        default: nil
        }
    }

    /// Counted bytes per iteration: every operand read once and every result written once.
    public var bytesPerIteration: Double {
        let e = Double(dtype.floatElementBytes)
        switch op {
        case .matmul:
            let (m, n, k) = (Double(shape[0]), Double(shape[1]), Double(shape[2]))
            return e * (m * k + k * n + m * n)
        case .ternaryMatmul:
            let (m, n, k) = (Double(shape[0]), Double(shape[1]), Double(shape[2]))
            // int8 activations + per-row scales, packed weights, f32 output.
            return m * k + 4 * m + n * Double(ternaryRowBytes(k: shape[2])) + 4 * m * n
        case .quantizeWeights:
            let (rows, cols) = (Double(shape[0]), Double(shape[1]))
            // Two passes read the weights (sum of |W|, then quantize); packed output written once.
            return 2 * e * rows * cols + rows * Double(ternaryRowBytes(k: shape[1]))
        case .quantizeActivations:
            let (rows, cols) = (Double(shape[0]), Double(shape[1]))
            // Two passes read each row (absmax, then quantize); int8 + one scale per row written.
            return 2 * e * rows * cols + rows * cols + 4 * rows
        case .add, .multiply:
            return 3 * e * Double(shape[0])
        case .stridedAdd:
            // The bytes the arithmetic uses, as for add: the stride's wasted cache-line bytes are
            // the cost being measured, not counted work.
            return 3 * e * Double(shape[0])
        case .copy:
            return 2 * Double(shape[0])
        case .h2d, .d2h:
            // A transfer is counted once: the bytes that crossed the bus.
            return Double(shape[0])
        }
    }

    /// Bytes of the buffers the probe allocates (inputs, outputs and verification scratch).
    public var bufferBytes: Int {
        let e = dtype.floatElementBytes
        let dims = shape.dimensions
        let total: Double
        switch op {
        case .matmul:
            total = Double(e) * (Double(dims[0]) * Double(dims[2]) + Double(dims[2]) * Double(dims[1]) + Double(dims[0]) * Double(dims[1]))
        case .ternaryMatmul:
            total =
                Double(dims[0]) * Double(dims[2]) + Double(dims[1]) * Double(ternaryRowBytes(k: dims[2]))
                + 8 * Double(dims[0]) * Double(dims[1]) + 4 * Double(dims[0])
        case .quantizeWeights:
            total = Double(e) * Double(dims[0]) * Double(dims[1]) + Double(dims[0]) * Double(ternaryRowBytes(k: dims[1]))
        case .quantizeActivations:
            total = Double(e + 1) * Double(dims[0]) * Double(dims[1]) + 4 * Double(dims[0])
        case .add, .multiply:
            total = 3 * Double(e) * Double(dims[0])
        case .stridedAdd:
            total = Double(e) * (2 * (Double(dims[0] - 1) * Double(dims[1]) + 1) + Double(dims[0]))
        case .copy, .h2d, .d2h:
            total = 2 * Double(dims[0])
        }
        return total >= Double(Int.max) ? Int.max : Int(total)
    }
}

/// Bytes of one packed ternary weight row of length k (layout bp-i2-g128: 32 bytes per 128).
func ternaryRowBytes(k: Int) -> Int { (k + 127) / 128 * 32 }
