import Testing

@testable import BitProbe

/// Every probe kernel at awkward shapes (not multiples of any SIMD width or tile), on every SIMD
/// path this machine has, checked by the float64 / int64 verifiers.
@Suite struct KernelPathTests {
    static let paths = SIMDPath.supported

    static let awkwardMatmulShapes: [[Int]] = [
        [1, 1, 1], [1, 3, 17], [3, 17, 33], [17, 33, 127], [33, 127, 3], [127, 1, 1000], [1, 1000, 127],
        [1000, 17, 33], [64, 64, 64], [65, 129, 257],
    ]
    static let awkwardMatrixShapes: [[Int]] = [[1, 1], [1, 3], [3, 17], [17, 33], [33, 127], [127, 1000], [5, 129], [2, 16384]]
    static let awkwardLengths = [1, 3, 17, 33, 127, 1000, 65537]

    func run(_ op: ProbeOp, _ dtype: DType, _ dims: [Int], path: SIMDPath, threads: Int = 2) throws -> ProbeResult {
        let backend = try CPUBackend(threads: threads, simdPath: path)
        var config = BenchmarkConfig()
        config.warmupIterations = 1
        config.measurementIterations = 2
        config.minMeasurementSeconds = 0
        let spec = try ProbeSpec(op: op, dtype: dtype, shape: ProbeShape(dims))
        return Benchmarker(config: config, backend: backend).run(spec)
    }

    func expectOK(_ result: ProbeResult) {
        #expect(result.outcome == .ok, "\(result.spec) on \(result.kernelPath): \(result.detail ?? "")")
        #expect((result.verification?.checkedValues ?? 0) > 0)
        #expect(result.bytesPerSecond != nil)
    }

    @Test(arguments: paths, [DType.f32, .f16])
    func matmul(path: SIMDPath, dtype: DType) throws {
        for dims in Self.awkwardMatmulShapes { expectOK(try run(.matmul, dtype, dims, path: path)) }
    }

    @Test(arguments: paths)
    func ternaryMatmul(path: SIMDPath) throws {
        for dims in Self.awkwardMatmulShapes + [[1, 64, 16384], [7, 9, 4096]] {
            expectOK(try run(.ternaryMatmul, .i8Ternary, dims, path: path))
        }
    }

    @Test(arguments: paths, [DType.f32, .f16])
    func quantizeWeights(path: SIMDPath, dtype: DType) throws {
        for dims in Self.awkwardMatrixShapes { expectOK(try run(.quantizeWeights, dtype, dims, path: path)) }
    }

    @Test(arguments: paths, [DType.f32, .f16])
    func quantizeActivations(path: SIMDPath, dtype: DType) throws {
        for dims in Self.awkwardMatrixShapes { expectOK(try run(.quantizeActivations, dtype, dims, path: path)) }
    }

    @Test(arguments: paths, [ProbeOp.add, .multiply])
    func elementwise(path: SIMDPath, op: ProbeOp) throws {
        for dtype in [DType.f32, .f16] {
            for n in Self.awkwardLengths { expectOK(try run(op, dtype, [n], path: path)) }
        }
    }

    @Test(arguments: paths)
    func copy(path: SIMDPath) throws {
        for n in Self.awkwardLengths + [1 << 22] { expectOK(try run(.copy, .bytes, [n], path: path)) }
    }

    @Test(arguments: paths)
    func singleThreadMatchesToo(path: SIMDPath) throws {
        expectOK(try run(.matmul, .f32, [65, 129, 257], path: path, threads: 1))
        expectOK(try run(.ternaryMatmul, .i8Ternary, [3, 300, 1000], path: path, threads: 1))
    }
}
