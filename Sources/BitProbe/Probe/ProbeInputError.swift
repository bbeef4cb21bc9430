/// A probe selection the user wrote that cannot run. Each message names the input that is wrong.
public enum ProbeInputError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `backend` chooses the ops listed as expected (the CPU's unless a selection says otherwise).
    case unknownOp(String, backend: BackendKind = .cpu)
    /// A known op the backend does not offer (h2d and d2h need a device).
    case opUnavailable(op: ProbeOp, backend: BackendKind)
    case unknownDType(String)
    case unsupportedPair(op: ProbeOp, dtype: DType, backend: BackendKind)
    case opWithoutDType(op: ProbeOp, requested: [DType], backend: BackendKind)
    case malformedShape(String)
    case nonPositiveShape(String)
    case shapeTooLarge(String)
    case noShapeForOp(op: ProbeOp, shapes: [ProbeShape])
    case unusedShape(ProbeShape, ops: [ProbeOp])
    case unknownBackend(String)
    case backendUnavailable(BackendKind, reason: String)
    case insufficientMemory(probe: String, neededBytes: Int, availableBytes: Int)

    public var description: String {
        switch self {
        case .unknownOp(let text, let backend):
            "unknown op '\(text)'; expected one of: \(ProbeOp.offered(on: backend).map(\.rawValue).sorted().joined(separator: ", "))"
        case .opUnavailable(let op, let backend):
            "op '\(op.rawValue)' does not run on backend \(backend.rawValue); it runs on: \(BackendKind.allCases.filter { !op.dtypes(on: $0).isEmpty }.map(\.rawValue).joined(separator: ", "))"
        case .unknownDType(let text):
            "unknown dtype '\(text)'; expected one of: \(DType.allCases.map(\.rawValue).sorted().joined(separator: ", "))"
        case .unsupportedPair(let op, let dtype, let backend):
            "op '\(op.rawValue)' does not support dtype '\(dtype.rawValue)' on backend \(backend.rawValue); supported: \(op.dtypes(on: backend).map(\.rawValue).joined(separator: ", "))"
        case .opWithoutDType(let op, let requested, let backend):
            "op '\(op.rawValue)' supports none of the requested dtypes (\(requested.map(\.rawValue).joined(separator: ", "))) on backend \(backend.rawValue); supported: \(op.dtypes(on: backend).map(\.rawValue).joined(separator: ", "))"
        case .malformedShape(let text):
            "malformed shape '\(text)'; expected positive integers joined by 'x', such as 1024x1024x1024"
        case .nonPositiveShape(let text):
            "shape '\(text)' has a dimension that is not positive"
        case .shapeTooLarge(let text):
            "shape '\(text)' has a dimension too large to represent"
        case .noShapeForOp(let op, let shapes):
            "no --shape fits op '\(op.rawValue)', which needs \(op.shapeDimensionNames.count) dimension(s) (\(op.shapeDimensionNames.joined(separator: "x"))); given: \(shapes.map(\.description).joined(separator: ", "))"
        case .unusedShape(let shape, let ops):
            "shape '\(shape)' fits none of the selected ops (\(ops.map(\.rawValue).joined(separator: ", ")))"
        case .unknownBackend(let text):
            "unknown backend '\(text)'; expected one of: \(BackendKind.allCases.map(\.rawValue).joined(separator: ", "))"
        case .backendUnavailable(let backend, let reason):
            "backend \(backend.rawValue) is not available: \(reason)"
        case .insufficientMemory(let probe, let needed, let available):
            "probe \(probe) needs \(ByteCount.format(needed)) of buffers but only \(ByteCount.format(available)) of memory is available"
        }
    }
}

/// Human-readable byte counts in binary units, e.g. "1.50 GiB".
public enum ByteCount {
    public static func format(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) B" }
        return "\(formatFixed(value, decimals: 2)) \(units[unit])"
    }
}

/// Fixed-point decimal formatting without Foundation's locale machinery.
func formatFixed(_ value: Double, decimals: Int) -> String {
    guard value.isFinite else { return String(value) }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (abs(value) * scale).rounded(.toNearestOrEven)
    guard scaled < 9e15 else { return String(value) }
    let integer = Int(scaled)
    let whole = integer / Int(scale)
    let fraction = integer % Int(scale)
    var text = String(whole)
    if decimals > 0 {
        let digits = String(fraction)
        text += "." + String(repeating: "0", count: decimals - digits.count) + digits
    }
    return (value < 0 && scaled != 0 ? "-" : "") + text
}
