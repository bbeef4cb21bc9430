import ArgumentParser
import BitProbe

/// Which probes to run: the --op, --dtype and --shape lists every probing command takes, resolved
/// the same way everywhere (`ProbeSelection`).
struct ProbeSelectionOptions: ParsableArguments {
    @Option(help: "Ops to run: matmul, ternary_matmul, quantize_weights, quantize_activations, add, multiply, copy; h2d, d2h (cuda).")
    var op: [String] = []

    @Option(help: "Element types: f32, f16, bf16 (cuda matmul), i8_ternary (ternary_matmul), bytes (copy, h2d, d2h).")
    var dtype: [String] = []

    @Option(help: "Shapes: MxNxK (matmul, ternary_matmul), ROWSxCOLS (quantize_*), N (add, multiply, copy bytes).")
    var shape: [String] = []

    /// Whether any flag narrowed the selection (else: the default suite, or a baseline's probes).
    var selectsProbes: Bool { !op.isEmpty || !dtype.isEmpty || !shape.isEmpty }

    /// The probes the flags select (the default suite when none is given); a bad value is a usage error.
    func specs(command: String, backend: BackendKind = .cpu, device: String? = nil) throws -> [ProbeSpec] {
        do {
            let selection =
                device.map { ProbeSelection(backend: backend, device: $0, ops: splitList(op), dtypes: splitList(dtype), shapes: splitList(shape)) }
                ?? ProbeSelection(backend: backend, ops: splitList(op), dtypes: splitList(dtype), shapes: splitList(shape))
            return try selection.resolve()
        } catch {
            throw fail(command, error.description, status: ExitStatus.usage)
        }
    }
}
