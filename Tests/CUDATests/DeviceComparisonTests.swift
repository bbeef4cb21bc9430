import Testing

@testable import BitProbe

/// The comparison's speedups, crossover and selection guide, from made-up results.
@Suite struct DeviceComparisonTests {
    func result(_ device: String, _ size: Int, median: Double?, outcome: ProbeOutcome = .ok) throws -> ProbeResult {
        let backend: BackendKind = device.hasPrefix("cpu") ? .cpu : .cuda
        let spec = try ProbeSpec(backend: backend, device: device, op: .matmul, dtype: .f16, shape: ProbeShape([size, size, size]))
        var result = ProbeResult.notRun(spec, outcome: outcome, reason: "")
        if let median { result.statistics = SampleStatistics([median]) }
        return result
    }

    @Test func theCrossoverIsWhereTheGPUWinsAtEveryLargerSize() throws {
        let sizes = [64, 128, 256, 512]
        let sweep = DeviceComparison.Sweep(op: .matmul, dtype: .f16, sizes: sizes)
        let cpu = [1.0, 2.0, 4.0, 8.0]
        // cuda0 wins at 64 by luck, loses at 128, wins from 256 on; cuda1 never wins.
        let gpu0 = [0.5, 3.0, 1.0, 1.0]
        let gpu1 = [9.0, 9.0, 9.0, 9.0]
        let results = [
            "cpu0": try zip(sizes, cpu).map { try result("cpu0", $0, median: $1) },
            "cuda0": try zip(sizes, gpu0).map { try result("cuda0", $0, median: $1) },
            "cuda1": try zip(sizes, gpu1).map { try result("cuda1", $0, median: $1) },
        ]
        let comparison = DeviceComparison(sweeps: [sweep], cpu: "cpu0", gpus: ["cuda0", "cuda1"], results: results)
        #expect(comparison.rows.map { $0.speedup["cuda0"] } == [2, 2.0 / 3, 4, 8])
        #expect(comparison.rows.map(\.fastest) == ["cuda0", "cpu0", "cuda0", "cuda0"])
        #expect(comparison.guide == [DeviceComparison.Guide(op: .matmul, dtype: .f16, device: "cuda0", crossoverSize: 256, line: "matmul f16 >= 256: cuda0")])
        let table = comparison.table()
        #expect(table.contains("selection guide:\n  matmul f16 >= 256: cuda0\n"))
        #expect(
            table.split(separator: "\n")[0].split(separator: " ", omittingEmptySubsequences: true)
                == ["OP", "DTYPE", "SHAPE", "CPU0", "CUDA0", "CUDA1", "SPEEDUP", "CUDA0", "SPEEDUP", "CUDA1", "FASTEST"])
    }

    @Test func guideLinesWhenOneSideAlwaysWins() throws {
        let sweep = DeviceComparison.Sweep(op: .matmul, dtype: .f16, sizes: [64, 128])
        let gpuWins = DeviceComparison(
            sweeps: [sweep], cpu: "cpu0", gpus: ["cuda0"],
            results: [
                "cpu0": [try result("cpu0", 64, median: 2), try result("cpu0", 128, median: 2)],
                "cuda0": [try result("cuda0", 64, median: 1), try result("cuda0", 128, median: 1)],
            ])
        #expect(gpuWins.guide.map(\.line) == ["matmul f16: cuda0 at every size tried"])
        // A GPU run that failed at the largest size cannot be recommended.
        let failed = DeviceComparison(
            sweeps: [sweep], cpu: "cpu0", gpus: ["cuda0"],
            results: [
                "cpu0": [try result("cpu0", 64, median: 2), try result("cpu0", 128, median: 2)],
                "cuda0": [try result("cuda0", 64, median: 1), try result("cuda0", 128, median: nil, outcome: .failed)],
            ])
        #expect(failed.guide.map(\.line) == ["matmul f16: cpu0 at every size tried"])
        let noGPU = DeviceComparison(
            sweeps: [sweep], cpu: "cpu0", gpus: [], results: ["cpu0": [try result("cpu0", 64, median: 2), try result("cpu0", 128, median: 2)]],
            note: "no CUDA device: x")
        #expect(noGPU.table().hasSuffix("selection guide:\n  matmul f16: cpu0 at every size tried\n\nnote: no CUDA device: x\n"))
    }

    @Test func sweepShapes() {
        #expect(DeviceComparison.Sweep.shape(op: .ternaryMatmul, size: 8192) == ProbeShape([1, 8192, 8192]))
        #expect(
            DeviceComparison.Sweep.standard.map { "\($0.op.rawValue) \($0.dtype.rawValue) \($0.sizes.first!)..\($0.sizes.last!)" }
                == ["matmul f32 64..4096", "matmul f16 64..4096", "add f32 4096..67108864", "ternary_matmul i8_ternary 1024..8192"])
    }
}
