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

    func backend(_ behaviour: String, tracker: MemoryTracker? = nil) throws -> (CUDAPlatform, CUDABackend) {
        let platform = try StubDriver.open(behaviour)
        let device = try #require(platform.devices.first)
        let context = try #require(device.context)
        return (platform, try CUDABackend(info: device.info, context: context, tracker: tracker))
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

    @Test func bf16RoundsToNearestEven() {
        #expect(BFloat16.bits(from: 1) == 0x3F80)
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even pattern (1).
        #expect(BFloat16.bits(from: 1 + 0x1p-8) == 0x3F80)
        #expect(BFloat16.bits(from: 1 + 0x1p-8 + 0x1p-16) == 0x3F81)
        #expect(BFloat16.bits(from: 1 + 3 * 0x1p-8) == 0x3F82)
        #expect(BFloat16.double(0xBF80) == -1)
        #expect(BFloat16.float(BFloat16.bits(from: .nan)).isNaN)
    }

    @Test func recoveryBacksOffExponentiallyUpToFiveMinutes() {
        #expect((0..<11).map { CUDARecoveryBackoff.delay(afterFailures: $0) } == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300])
        var backoff = CUDARecoveryBackoff(downAt: 100)
        #expect(!backoff.isDue(at: 100.5) && backoff.isDue(at: 101))
        backoff.failed(at: 101)
        #expect(backoff.nextAttempt == 103)
    }
}
