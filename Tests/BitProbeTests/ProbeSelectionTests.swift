import Testing

@testable import BitProbe

@Suite struct ProbeSelectionTests {
    /// A probe's identity is the metric catalogue's label set, in the order the metrics write it.
    @Test func specLabelsAreTheCatalogueLabels() throws {
        let spec = try ProbeSpec(backend: .cuda, device: "cuda1", op: .ternaryMatmul, dtype: .i8Ternary, shape: ProbeShape([256, 512, 128]))
        #expect(spec.labels.map { "\($0.name)=\($0.value)" } == ["backend=cuda", "device=cuda1", "op=ternary_matmul", "dtype=i8_ternary", "shape=256x512x128"])
    }

    @Test func shapeParsesAndPrints() throws {
        #expect(try ProbeShape(parsing: "1024x512x3").dimensions == [1024, 512, 3])
        #expect(try ProbeShape(parsing: "16777216").description == "16777216")
    }

    @Test(arguments: [
        ("", "malformed shape ''; expected positive integers joined by 'x', such as 1024x1024x1024"),
        ("12ab", "malformed shape '12ab'; expected positive integers joined by 'x', such as 1024x1024x1024"),
        ("4x", "malformed shape '4x'; expected positive integers joined by 'x', such as 1024x1024x1024"),
        ("4X4", "malformed shape '4X4'; expected positive integers joined by 'x', such as 1024x1024x1024"),
        ("0x4x4", "shape '0x4x4' has a dimension that is not positive"),
        ("4x-4x4", "shape '4x-4x4' has a dimension that is not positive"),
        ("99999999999999999999x2", "shape '99999999999999999999x2' has a dimension too large to represent"),
    ])
    func badShapesAreRejected(text: String, message: String) {
        #expect(throws: ProbeInputError.self) { try ProbeShape(parsing: text) }
        do { _ = try ProbeShape(parsing: text) } catch { #expect(error.description == message) }
    }

    @Test func defaultSuiteCoversEveryOpAndCPUType() throws {
        let specs = try ProbeSelection().resolve()
        // Every op the CPU offers (h2d and d2h need a device).
        #expect(Set(specs.map(\.op)) == Set(ProbeOp.allCases).subtracting([.h2d, .d2h, .stridedAdd]))
        #expect(specs.contains { $0.op == .matmul && $0.dtype == .f16 })
        #expect(specs.contains { $0.op == .ternaryMatmul && $0.shape == ProbeShape([1, 4096, 4096]) })
    }

    @Test func theLayoutStudyRunsOnlyWhenNamed() throws {
        let specs = try ProbeSelection(ops: ["strided_add"]).resolve()
        #expect(specs.map(\.description) == ["cpu0 strided_add f32 4194304x1", "cpu0 strided_add f32 4194304x16"])
        #expect(throws: ProbeInputError.opUnavailable(op: .stridedAdd, backend: .cuda)) { try ProbeSelection(backend: .cuda, ops: ["strided_add"]).resolve() }
        // A rank-2 shape without an op names the quantize ops, not the layout study.
        #expect(Set(try ProbeSelection(shapes: ["64x4096"]).resolve().map(\.op)) == [.quantizeWeights, .quantizeActivations])
    }

    @Test func theCUDADefaultSuiteHasEveryGPUOpAtGPUSizes() throws {
        let specs = try ProbeSelection(backend: .cuda, device: "cuda1").resolve()
        #expect(Set(specs.map(\.op)) == Set(ProbeOp.allCases).subtracting([.stridedAdd]))
        #expect(specs.allSatisfy { $0.device == "cuda1" && $0.backend == .cuda })
        #expect(specs.contains { $0.description == "cuda1 matmul bf16 4096x4096x4096" })
        #expect(specs.contains { $0.description == "cuda1 ternary_matmul i8_ternary 1x8192x8192" })
        #expect(specs.contains { $0.description == "cuda1 h2d bytes 67108864" })
        #expect(ProbeOp.matmul.dtypes(on: .cuda) == [.f32, .f16, .bf16])
    }

    @Test func transfersAreRefusedOnTheCPUNamingWhereTheyRun() {
        for (ops, dtypes) in [(["h2d"], [String]()), (["d2h"], ["bytes"])] {
            let error = #expect(throws: ProbeInputError.self) { try ProbeSelection(ops: ops, dtypes: dtypes).resolve() }
            #expect(error?.description == "op '\(ops[0])' does not run on backend cpu; it runs on: cuda")
        }
        let bf16 = #expect(throws: ProbeInputError.self) { try ProbeSelection(ops: ["matmul"], dtypes: ["bf16"]).resolve() }
        #expect(bf16?.description == "op 'matmul' does not support dtype 'bf16' on backend cpu; supported: f32, f16")
        let unknown = #expect(throws: ProbeInputError.self) { try ProbeSelection(backend: .cuda, device: "cuda0", ops: ["conv"]).resolve() }
        #expect(
            unknown?.description
                == "unknown op 'conv'; expected one of: add, copy, d2h, h2d, matmul, multiply, quantize_activations, quantize_weights, ternary_matmul")
    }

    @Test func shapesGoToTheOpsOfTheirRank() throws {
        let specs = try ProbeSelection(ops: ["matmul", "add"], dtypes: ["f32"], shapes: ["64x64x64", "1000"]).resolve()
        #expect(specs.map(\.description) == ["cpu0 matmul f32 64x64x64", "cpu0 add f32 1000"])
    }

    @Test func dtypeAppliesToTheOpsThatSupportIt() throws {
        let specs = try ProbeSelection(dtypes: ["i8_ternary"], shapes: ["1x256x256"]).resolve()
        #expect(specs.map(\.description) == ["cpu0 ternary_matmul i8_ternary 1x256x256"])
    }

    @Test(arguments: [
        (
            ["conv"], [String](), [String](),
            "unknown op 'conv'; expected one of: add, copy, matmul, multiply, quantize_activations, quantize_weights, strided_add, ternary_matmul"
        ),
        (["matmul"], ["f64"], [], "unknown dtype 'f64'; expected one of: bf16, bytes, f16, f32, i8_ternary"),
        (["matmul"], ["i8_ternary"], [], "op 'matmul' does not support dtype 'i8_ternary' on backend cpu; supported: f32, f16"),
        (["matmul"], ["bf16"], [], "op 'matmul' does not support dtype 'bf16' on backend cpu; supported: f32, f16"),
        (["matmul", "ternary_matmul"], ["f32"], [], "op 'ternary_matmul' supports none of the requested dtypes (f32) on backend cpu; supported: i8_ternary"),
        (["matmul"], [], ["4x4"], "shape '4x4' fits none of the selected ops (matmul)"),
        (["matmul", "add"], [], ["4x4x4"], "no --shape fits op 'add', which needs 1 dimension(s) (elements); given: 4x4x4"),
        (["matmul"], [], ["0x4x4"], "shape '0x4x4' has a dimension that is not positive"),
    ])
    func badSelectionsAreRejected(ops: [String], dtypes: [String], shapes: [String], message: String) {
        do {
            _ = try ProbeSelection(ops: ops, dtypes: dtypes, shapes: shapes).resolve()
            Issue.record("expected an error")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func countedWorkFollowsTheCatalogue() throws {
        let matmul = try ProbeSpec(op: .matmul, dtype: .f32, shape: ProbeShape([2, 3, 4]))
        #expect(matmul.operationsPerIteration == 48)
        #expect(matmul.bytesPerIteration == 4 * (8 + 12 + 6))
        let add = try ProbeSpec(op: .add, dtype: .f16, shape: ProbeShape([1000]))
        #expect(add.operationsPerIteration == nil)
        #expect(add.bytesPerIteration == 6000)
        let copy = try ProbeSpec(op: .copy, dtype: .bytes, shape: ProbeShape([4096]))
        #expect(copy.bytesPerIteration == 8192)
    }

    @Test func insufficientMemoryMessageSaysHowMuch() throws {
        let spec = try ProbeSpec(op: .matmul, dtype: .f32, shape: ProbeShape([100000, 100000, 100000]))
        let error = ProbeInputError.insufficientMemory(probe: spec.description, neededBytes: spec.bufferBytes, availableBytes: 8 << 30)
        #expect(error.description == "probe cpu0 matmul f32 100000x100000x100000 needs 111.76 GiB of buffers but only 8.00 GiB of memory is available")
    }

    /// The check bench, check-config and the agent share: the agent once allocated such a probe
    /// until the host ran out of memory.
    @Test func memoryCheckRefusesOnlyWhatDoesNotFit() throws {
        let spec = try ProbeSpec(op: .matmul, dtype: .f32, shape: ProbeShape([100000, 100000, 100000]))
        #expect(throws: ProbeInputError.insufficientMemory(probe: spec.description, neededBytes: spec.bufferBytes, availableBytes: 8 << 30)) {
            try spec.requireMemory(availableBytes: 8 << 30)
        }
        try spec.requireMemory(availableBytes: spec.bufferBytes)
        try spec.requireMemory(availableBytes: nil)
    }
}
