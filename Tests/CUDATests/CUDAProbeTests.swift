import Testing

@testable import BitProbe

/// GPU probes against the stub driver: the stub runs host versions of the elementwise and f32
/// matmul kernels, so those probes run end to end (inputs, copies, events, copy back,
/// verification); every other kernel fails to launch with CUDA_ERROR_NOT_SUPPORTED.
@Suite(.serialized) struct CUDAProbeTests {
    static var quick: BenchmarkConfig {
        var config = BenchmarkConfig()
        config.warmupIterations = 1
        config.measurementIterations = 2
        config.minMeasurementSeconds = 0
        config.timeoutSeconds = 30
        return config
    }

    func backend(_ behaviour: String, tracker: MemoryTracker? = nil, matmulVariant: CUDAMatmulVariant = .s3) throws -> (CUDAPlatform, CUDABackend) {
        let platform = try StubDriver.open(behaviour)
        let device = try #require(platform.devices.first)
        let context = try #require(device.context)
        return (platform, try CUDABackend(info: device.info, context: context, tracker: tracker, matmulVariant: matmulVariant))
    }

    func spec(_ op: ProbeOp, _ dtype: DType, _ shape: [Int]) throws -> ProbeSpec {
        try ProbeSpec(backend: .cuda, device: "cuda0", op: op, dtype: dtype, shape: ProbeShape(shape))
    }

    @Test(arguments: [(ProbeOp.add, DType.f32), (.add, .f16), (.multiply, .f32), (.multiply, .f16)])
    func elementwiseProbesRunAndVerifyOnTheStub(op: ProbeOp, dtype: DType) throws {
        let tracker = MemoryTracker()
        let (platform, backend) = try backend("devices=1", tracker: tracker)
        defer { platform.close() }
        let result = Benchmarker(config: Self.quick, backend: backend).run(try spec(op, dtype, [65_537]))
        #expect(result.outcome == .ok, "\(result.detail ?? "")")
        #expect(result.verification?.checkedValues == 65_537)
        #expect(result.verification?.tolerance == "exact (correctly rounded)")
        #expect(result.kernelPath == "sm_90")
        #expect(result.samples.count == 2)
        let totals = try #require(tracker.totals["cuda0"])
        #expect(totals.trackedBytes == 0)
        #expect(totals.peakBytes == 3 * 65_537 * dtype.floatElementBytes)
        #expect(totals.events[.allocate] == 3)
        #expect(totals.events[.free] == 3)
        #expect(totals.events[.transferToDevice] == 2)
        #expect(totals.events[.transferToHost] == 1)
    }

    @Test func matmulF32RunsAndVerifiesOnTheStub() throws {
        let (platform, backend) = try backend("devices=1")
        defer { platform.close() }
        let result = Benchmarker(config: Self.quick, backend: backend).run(try spec(.matmul, .f32, [33, 65, 17]))
        #expect(result.outcome == .ok, "\(result.detail ?? "")")
        #expect(result.verification?.checkedValues == MatmulVerifier.maxRows * 65)
        #expect(result.operationsPerSecond != nil)
    }

    @Test(arguments: [ProbeOp.copy, .h2d, .d2h])
    func transfersRunAndVerifyOnTheStub(op: ProbeOp) throws {
        let (platform, backend) = try backend("devices=1")
        defer { platform.close() }
        let result = Benchmarker(config: Self.quick, backend: backend).run(try spec(op, .bytes, [1 << 20]))
        #expect(result.outcome == .ok, "\(result.detail ?? "")")
        #expect(result.verification?.checkedValues == 1 << 20)
        #expect(result.bytesPerSecond != nil)
    }

    @Test func aKernelTheStubLacksFailsTheProbeWithTheDriversError() throws {
        let (platform, backend) = try backend("devices=1")
        defer { platform.close() }
        let result = Benchmarker(config: Self.quick, backend: backend).run(try spec(.matmul, .f16, [64, 64, 64]))
        #expect(result.outcome == .failed)
        #expect(result.detail == "cuLaunchKernel failed: CUDA_ERROR_NOT_SUPPORTED (operation not supported)")
        #expect(backend.stickyError == nil)
    }

    @Test func aFailedLaunchFailsTheProbeAndIsRememberedAsSticky() throws {
        let (platform, backend) = try backend("devices=1,launch=fail")
        defer { platform.close() }
        let result = Benchmarker(config: Self.quick, backend: backend).run(try spec(.add, .f32, [1024]))
        #expect(result.outcome == .failed)
        #expect(result.detail == "cuLaunchKernel failed: CUDA_ERROR_LAUNCH_FAILED (unspecified launch failure)")
        #expect(backend.stickyError?.code == 719)
        // The next probe on the broken context fails at once with the same error.
        let next = Benchmarker(config: Self.quick, backend: backend).run(try spec(.add, .f32, [1024]))
        #expect(next.detail == "cuLaunchKernel failed: CUDA_ERROR_LAUNCH_FAILED (unspecified launch failure)")
    }

    @Test func outOfMemoryFailsTheProbeAsOOMWithAMemoryEvent() throws {
        let tracker = MemoryTracker()
        let (platform, backend) = try backend("devices=1,alloc=fail", tracker: tracker)
        defer { platform.close() }
        let result = Benchmarker(config: Self.quick, backend: backend).run(try spec(.add, .f32, [65_536]))
        #expect(result.outcome == .failed)
        #expect(result.detail == "oom: could not allocate 256.00 KiB on cuda0: cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)")
        #expect(tracker.totals["cuda0"]?.events[.allocationFailure] == 1)
        #expect(tracker.recentEvents.last?.kind == .allocationFailure)
        #expect(backend.stickyError == nil)
    }

    @Test func theWideMatmulKernelsGetTheirSharedMemoryOptIn() throws {
        let (platform, backend) = try backend("devices=1")
        defer { platform.close() }
        #expect(backend.matmulVariant == .s3)
        for variant in CUDAMatmulVariant.allCases {
            #expect(try backend.function(variant.kernel(bf16: true)).name == variant.kernel(bf16: true))
        }
        #expect(CUDAMatmulVariant.wide.sharedBytes == 98_304 && CUDAMatmulVariant.wide.tileN == 256)
    }

    @Test func anImageThatIsNotAFatbinIsRefused() throws {
        let platform = try StubDriver.open("devices=1")
        defer { platform.close() }
        let context = try #require(platform.devices.first?.context)
        let error = #expect(throws: CUDAError.self) { try CUDAModule(context: context, image: Array("not a fatbin\0".utf8)) }
        #expect(error?.description == "cuModuleLoadData failed: CUDA_ERROR_INVALID_IMAGE (device kernel image is invalid)")
    }

    @Test func tensorCoreMatmulsAllowForTruncatingAccumulation() {
        let f16 = MatmulVerifier(m: 1, n: 1, k: 1, outputRoundoff: 0x1p-11, accumulationRoundoff: CUDAMatmulProbe.tensorCoreAccumulation)
        let bf16 = MatmulVerifier(m: 1, n: 1, k: 1, outputRoundoff: BFloat16.unitRoundoff, accumulationRoundoff: CUDAMatmulProbe.tensorCoreAccumulation)
        #expect(f16.tolerance == "|c - ref| <= (K + 2) * 2^-23 * sum|a*b| + 2^-11 * |ref|")
        #expect(bf16.tolerance == "|c - ref| <= (K + 2) * 2^-23 * sum|a*b| + 2^-8 * |ref|")
        // K = 1 and an error of 2.5 * 2^-23 * |a*b|: within (K + 2) * 2^-23, beyond (K + 2) * 2^-24.
        let c = 1 + 2.5 * 0x1p-23
        let truncating = MatmulVerifier(m: 1, n: 1, k: 1, outputRoundoff: 0, accumulationRoundoff: CUDAMatmulProbe.tensorCoreAccumulation)
        #expect(truncating.verify(a: { _ in 1 }, b: { _ in 1 }, c: { _ in c }).wrongValues == 0)
        let nearest = MatmulVerifier(m: 1, n: 1, k: 1, outputRoundoff: 0)
        #expect(nearest.verify(a: { _ in 1 }, b: { _ in 1 }, c: { _ in c }).wrongValues == 1)
    }

    @Test func bf16RoundsToNearestEven() {
        #expect(BFloat16.bits(from: 1) == 0x3F80)
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even pattern (1).
        #expect(BFloat16.bits(from: 1 + 0x1p-8) == 0x3F80)
        #expect(BFloat16.bits(from: 1 + 0x1p-8 + 0x1p-16) == 0x3F81)
        #expect(BFloat16.bits(from: 1 + 3 * 0x1p-8) == 0x3F82)
        #expect(BFloat16.double(0xBF80) == -1)
        #expect(BFloat16.float(BFloat16.bits(from: .nan)).isNaN)
    }

    @Test func aDeviceDownAgainSoonAfterARecoveryContinuesTheBackoff() throws {
        let platform = try StubDriver.open("devices=1")
        defer { platform.close() }
        platform.markDown(0, reason: "x", now: 0)
        #expect(platform.devices[0].recovery?.nextAttempt == 1)
        #expect(platform.recoverDue(now: 1).map(\.error) == [nil])
        platform.markDown(0, reason: "x", now: 10)
        #expect(platform.devices[0].recovery?.nextAttempt == 12)
        #expect(platform.recoverDue(now: 12).map(\.error) == [nil])
        platform.markDown(0, reason: "x", now: 20)
        #expect(platform.devices[0].recovery?.nextAttempt == 24)
        #expect(platform.recoverDue(now: 24).map(\.error) == [nil])
        // Up for 5 minutes: the next fault starts again at 1 s.
        platform.markDown(0, reason: "x", now: 400)
        #expect(platform.devices[0].recovery?.nextAttempt == 401)
    }

    @Test func recoveryBacksOffExponentiallyUpToFiveMinutes() {
        #expect((0..<11).map { CUDARecoveryBackoff.delay(afterFailures: $0) } == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300])
        var backoff = CUDARecoveryBackoff(downAt: 100)
        #expect(!backoff.isDue(at: 100.5) && backoff.isDue(at: 101))
        backoff.failed(at: 101)
        #expect(backoff.nextAttempt == 103)
    }

    // MARK: launch contracts

    /// One launch as the stub logs it.
    struct Launch: Equatable, CustomStringConvertible {
        var kernel: String
        var grid: [Int], block: [Int], smem: Int, args: [Int]
        var description: String {
            "\(kernel) grid=\(grid.map(String.init).joined(separator: ",")) block=\(block.map(String.init).joined(separator: ",")) "
                + "smem=\(smem) args=\(args.map(String.init).joined(separator: ","))"
        }
    }

    /// Argument byte sizes of every kernel, from the C types in bitprobe_cuda_kernels.h: pointers 8,
    /// int 4, float 4, unsigned long long 8.
    static let argumentSizes: [String: [Int]] = [
        "bp_add_f32": [8, 8, 8, 8], "bp_mul_f32": [8, 8, 8, 8], "bp_add_f16": [8, 8, 8, 8], "bp_mul_f16": [8, 8, 8, 8],
        "bp_matmul_f32": [8, 8, 8, 4, 4, 4],
        "bp_matmul_f16": [8, 8, 8, 4, 4, 4], "bp_matmul_bf16": [8, 8, 8, 4, 4, 4],
        "bp_matmul_f16_s4": [8, 8, 8, 4, 4, 4], "bp_matmul_bf16_s4": [8, 8, 8, 4, 4, 4],
        "bp_matmul_f16_wide": [8, 8, 8, 4, 4, 4], "bp_matmul_bf16_wide": [8, 8, 8, 4, 4, 4],
        "bp_ternary_gemv": [8, 8, 8, 4, 8, 8, 4, 4, 4], "bp_ternary_gemm": [8, 8, 8, 4, 8, 8, 4, 4, 4],
        "bp_quantize_weights_absum_f32": [8, 8, 8], "bp_quantize_weights_absum_f16": [8, 8, 8],
        "bp_quantize_weights_gamma": [8, 8, 8, 8],
        "bp_quantize_weights_pack_f32": [8, 4, 4, 8, 8], "bp_quantize_weights_pack_f16": [8, 4, 4, 8, 8],
        "bp_quantize_activations_f32": [8, 4, 4, 8, 8], "bp_quantize_activations_f16": [8, 4, 4, 8, 8],
    ]

    /// The launches one iteration of a probe must make on the stub's cuda0 (132 SMs), from the
    /// contracts in docs/cuda-kernels.md, worked out here independently of the probes' code.
    static func contract(_ op: ProbeOp, _ dtype: DType, _ shape: [Int], variant: CUDAMatmulVariant) -> [Launch] {
        func up(_ a: Int, _ b: Int) -> Int { (a + b - 1) / b }
        func launch(_ kernel: String, _ grid: [Int], block: Int = 256, smem: Int = 0) -> Launch {
            Launch(kernel: kernel, grid: grid, block: [block, 1, 1], smem: smem, args: argumentSizes[kernel]!)
        }
        let sms = 132
        switch op {
        case .add, .multiply:
            let name = (op == .add ? "bp_add_" : "bp_mul_") + dtype.rawValue
            return [launch(name, [min(up(shape[0], dtype == .f32 ? 1024 : 2048), 16 * sms), 1, 1])]
        case .matmul:
            let (m, n) = (shape[0], shape[1])
            if dtype == .f32 { return [launch("bp_matmul_f32", [up(n, 128), up(m, 128), 1])] }
            let suffix = variant == .s3 ? "" : "_\(variant.rawValue)"
            let (tileN, smem) =
                switch variant {
                case .s3: (128, 49_152)
                case .s4: (128, 65_536)
                case .wide: (256, 98_304)
                }
            return [launch("bp_matmul_\(dtype.rawValue)\(suffix)", [up(m, 128) * up(n, tileN), 1, 1], smem: smem)]
        case .ternaryMatmul:
            let (m, n) = (shape[0], shape[1])
            return m <= 4 ? [launch("bp_ternary_gemv", [up(n, 16), m, 1])] : [launch("bp_ternary_gemm", [up(n, 64), up(m, 64), 1])]
        case .quantizeWeights:
            let (rows, cols) = (shape[0], shape[1])
            return [
                launch("bp_quantize_weights_absum_\(dtype.rawValue)", [up(rows * cols, 65_536), 1, 1]),
                launch("bp_quantize_weights_gamma", [1, 1, 1]),
                launch("bp_quantize_weights_pack_\(dtype.rawValue)", [min(up(rows * up(cols, 128), 8), 32 * sms), 1, 1]),
            ]
        case .quantizeActivations:
            return [launch("bp_quantize_activations_\(dtype.rawValue)", [shape[0], 1, 1])]
        case .copy, .h2d, .d2h:
            return []
        case .stridedAdd:
            // CPU only: the CUDA backend does not offer it (ProbeOp.cudaDTypes).
            return []
        }
    }

    static let contractCases: [(ProbeOp, DType, [Int], CUDAMatmulVariant)] = [
        (.add, .f32, [4099], .s3), (.add, .f16, [4099], .s3), (.multiply, .f32, [1_000_003], .s3), (.multiply, .f16, [1_000_003], .s3),
        (.matmul, .f32, [33, 257, 17], .s3),
        (.matmul, .f16, [131, 65, 33], .s3), (.matmul, .bf16, [131, 65, 33], .s3),
        (.matmul, .f16, [131, 257, 33], .s4), (.matmul, .bf16, [131, 257, 33], .s4),
        (.matmul, .f16, [131, 257, 33], .wide), (.matmul, .bf16, [131, 257, 33], .wide),
        (.ternaryMatmul, .i8Ternary, [3, 65, 300], .s3), (.ternaryMatmul, .i8Ternary, [67, 65, 300], .s3),
        (.quantizeWeights, .f32, [5, 70_001], .s3), (.quantizeWeights, .f16, [5, 70_001], .s3),
        (.quantizeActivations, .f32, [7, 301], .s3), (.quantizeActivations, .f16, [7, 301], .s3),
    ]

    /// Every GPU probe (each op, dtype and tensor-core variant, at small odd shapes) prepared and run
    /// once on the stub with its launch log on: each launch's grid, block, dynamic shared memory
    /// and argument sizes must be the contract's. Kernels the stub has no host version of run as
    /// no-ops (`kernels=noop`), so whole launch sequences are logged.
    @Test func everyProbeLaunchesAsTheContractsSay() throws {
        let log = StubDriver.temporaryPath("contracts")
        // Each launch takes 100 µs on the stub's clock: one pass is timed alone (no repetitions).
        let behaviour = "devices=1,kernels=noop,kernel_us=100,launch_log=\(log)"
        for (op, dtype, shape, variant) in Self.contractCases {
            let (platform, backend) = try backend(behaviour, matmulVariant: variant)
            defer { platform.close() }
            StubDriver.truncate(log)
            let prepared = try backend.prepare(try spec(op, dtype, shape), seed: 1)
            _ = try prepared.runIteration()
            prepared.release()
            let expected = Self.contract(op, dtype, shape, variant: variant).map(\.description)
            // Prepare's two calibration passes, then the iteration: three passes of the sequence.
            #expect(try StubDriver.lines(log) == expected + expected + expected, "\(op) \(dtype) \(shape) \(variant)")
            #expect(prepared.iterationsPerSample == 1)
        }
    }

    // MARK: repetitions

    @Test func shortPassesAreRepeatedToAtLeast50MicrosecondsAndAtMost64() {
        #expect(CUDAKernelRun.repetitions(forPass: 60e-6) == 1)
        #expect(CUDAKernelRun.repetitions(forPass: 50e-6) == 1)
        #expect(CUDAKernelRun.repetitions(forPass: 10e-6) == 5)
        #expect(CUDAKernelRun.repetitions(forPass: 1e-6) == 50)
        #expect(CUDAKernelRun.repetitions(forPass: 0.5e-6) == 64)
        #expect(CUDAKernelRun.repetitions(forPass: 0) == 64)
    }

    @Test(arguments: [(ProbeOp.add, [4099]), (.matmul, [33, 65, 17])])
    func repeatedLaunchesAreTimedAsOneSpanAndStillVerify(op: ProbeOp, shape: [Int]) throws {
        // 10 µs a launch on the stub's clock: 5 launches make the 50 µs span.
        let (platform, backend) = try backend("devices=1,kernel_us=10")
        defer { platform.close() }
        let result = Benchmarker(config: Self.quick, backend: backend).run(try spec(op, .f32, shape))
        #expect(result.outcome == .ok, "\(result.detail ?? "")")
        #expect(result.iterationsPerSample == 5)
        #expect(result.samples.count == 2)
        for sample in result.samples { #expect(abs(sample - 10e-6) < 1e-9) }
    }

    // MARK: faults

    @Test func aHungKernelTimesOutTheProbeAndLeavesTheBackendUnusable() throws {
        let tracker = MemoryTracker()
        let (platform, backend) = try backend("devices=1,hang=bp_add_f32", tracker: tracker)
        defer { platform.close() }
        var config = Self.quick
        config.timeoutSeconds = 0.3
        let result = Benchmarker(config: config, backend: backend).run(try spec(.add, .f32, [1024]))
        #expect(result.outcome == .timeout)
        #expect(result.detail == "exceeded the 0.3 s timeout after 0 warmup and 0 measured iterations")
        let reason = "bp_add_f32 did not complete before the probe was cancelled (timeout or shutdown): the GPU may be hung"
        #expect(backend.faultReason == reason)
        #expect(backend.stickyError == nil)
        // Nothing waited for the hung device: the stub's frees would have taken 5 s each.
        #expect(result.wallSeconds < 3)
        #expect(tracker.totals["cuda0"]?.trackedBytes == 0)
        let next = Benchmarker(config: config, backend: backend).run(try spec(.add, .f32, [1024]))
        #expect(next.outcome == .failed)
        #expect(next.detail == "device unusable: \(reason)")
        // The owner takes the device down (context reset) and a recovery brings it back.
        platform.markDown(0, reason: reason, now: 0)
        let tried = platform.recoverDue(now: 1)
        #expect(tried.map(\.device) == ["cuda0"] && tried.allSatisfy { $0.error == nil })
    }

    @Test func kernelsTheDriverCannotLoadKeepTheDeviceDownWithBackoff() throws {
        let platform = try StubDriver.open("devices=1,module=fail")
        defer { platform.close() }
        let device = try #require(platform.devices.first)
        let context = try #require(device.context)
        let message =
            "cannot load the bitprobe kernels: cuModuleLoadData failed: CUDA_ERROR_UNSUPPORTED_PTX_VERSION "
            + "(the provided PTX was compiled with an unsupported toolchain.) (driver older than CUDA 13.0?)"
        let error = #expect(throws: CUDABackendError.self) { try CUDABackend(info: device.info, context: context) }
        #expect(error?.description == message)
        // Recovery loads the kernels too, so each attempt fails and the delay doubles.
        platform.markDown(0, reason: message, now: 0)
        let load = { (device: CUDAPlatform.Device, context: CUDAContext) throws in _ = try CUDABackend(info: device.info, context: context) }
        #expect(platform.recoverDue(now: 1, prepare: load).map(\.error) == [message])
        #expect(platform.devices[0].recovery?.nextAttempt == 3)
        #expect(platform.recoverDue(now: 2, prepare: load).isEmpty)
        #expect(platform.recoverDue(now: 3, prepare: load).map(\.error) == [message])
        #expect(platform.devices[0].recovery?.nextAttempt == 7)
        #expect(!platform.devices[0].up && platform.devices[0].reason == message)
        let images: [(Int32, String)] = [
            (209, " (GPU older than compute capability 8.0, or driver older than CUDA 13.0?)"), (200, ""),
        ]
        for (code, hint) in images {
            let error = CUDAError(call: "cuModuleLoadData", code: code, name: "N", text: nil)
            #expect(CUDABackendError.kernelsNotLoaded(error).description == "cannot load the bitprobe kernels: cuModuleLoadData failed: N\(hint)")
        }
    }

    @Test(arguments: [
        ("unknown", "CUDA_ERROR_UNKNOWN (unknown error)"), ("unavailable", "CUDA_ERROR_DEVICE_UNAVAILABLE (CUDA-capable device(s) is/are busy or unavailable)"),
    ])
    func lostDeviceErrorsFailTheProbeAndAreKeptForTheOwner(setting: String, error: String) throws {
        let (platform, backend) = try backend("devices=1,errors=\(setting)")
        defer { platform.close() }
        let result = Benchmarker(config: Self.quick, backend: backend).run(try spec(.add, .f32, [1024]))
        #expect(result.outcome == .failed)
        #expect(result.detail == "cuMemcpyHtoD_v2 failed: \(error)")
        #expect(backend.stickyError == nil && backend.faultReason == nil)
        let last = try #require(backend.takeLastError())
        #expect(last.suggestsLostDevice)
        #expect(backend.takeLastError() == nil)
    }

    @Test func aPinnedAllocationFailureIsTheHosts() throws {
        let tracker = MemoryTracker()
        let (platform, backend) = try backend("devices=1,alloc=fail", tracker: tracker)
        defer { platform.close() }
        // h2d allocates its pinned source first.
        let result = Benchmarker(config: Self.quick, backend: backend).run(try spec(.h2d, .bytes, [4096]))
        #expect(
            result.detail
                == "oom: could not allocate 4.00 KiB of pinned host memory for cuda0: cuMemAllocHost_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)")
        #expect(tracker.totals["cpu0"]?.events[.allocationFailure] == 1)
        #expect(tracker.totals["cuda0"]?.events[.allocationFailure] == nil)
    }
}
