import Testing

@testable import BitProbe

/// The CUDA driver layer against the stub driver (Tests/CUDAStub): loading, discovery, errors and
/// their classification, with the exact messages operators see.
@Suite struct CUDADriverTests {
    @Test func aMissingLibraryIsOffInAutoModeAndDownWhenEnabled() {
        let path = "/nonexistent/libcuda.so.1"
        let message = "cannot load the CUDA driver \(path): \(path): cannot open shared object file: No such file or directory"
        #expect(CUDAPlatform.open(mode: .auto, library: path).status == .off(reason: message))
        #expect(CUDAPlatform.open(mode: .enabled, library: path).status == .down(reason: message))
        #expect(CUDAPlatform.open(mode: .disabled, library: path).status == .off(reason: "disabled in the config (backends.cuda)"))
        #expect(throws: CUDALoadError(kind: .libraryMissing, message: message)) { try CUDADriver.load(path: path) }
    }

    @Test func aLibraryWithoutAnEntryPointIsDownNamingTheSymbol() throws {
        let path = try StubDriver.library("devices=1", missingLaunch: true)
        let message = "the CUDA driver \(path) lacks cuLaunchKernel: \(path): undefined symbol: cuLaunchKernel"
        #expect(throws: CUDALoadError(kind: .symbolMissing, message: message)) { try CUDADriver.load(path: path) }
        // A broken driver is a problem on a GPU node even in auto mode: the backend is down, not off.
        #expect(CUDAPlatform.open(mode: .auto, library: path).status == .down(reason: message))
    }

    @Test func aFailingInitIsDownWithTheDriversError() throws {
        let platform = try StubDriver.open("init=fail")
        #expect(platform.status == .down(reason: "cuInit failed: CUDA_ERROR_UNKNOWN (unknown error)"))
        #expect(platform.devices.isEmpty)
    }

    @Test func noDevicesIsDown() throws {
        let platform = try StubDriver.open("devices=0")
        #expect(platform.status == .down(reason: "no CUDA devices: cuInit failed: CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected)"))
        #expect(platform.devices.isEmpty)
    }

    @Test func twoDevicesAreReadWithTheirIdentityAndMemory() throws {
        let platform = try StubDriver.open("devices=2")
        defer { platform.close() }
        #expect(platform.status == .up)
        #expect(platform.driverVersion == "13.0")
        #expect(
            platform.devices.map(\.info) == [
                CUDADeviceInfo(
                    device: "cuda0", ordinal: 0, name: "bitprobe stub GPU 0", uuid: "GPU-b17b0be0-0000-4000-8000-000000000000",
                    computeCapability: "9.0", multiprocessors: 132, clockMhz: 1980, memoryClockMhz: 3201, memoryBusWidthBits: 5120,
                    memoryTotalBytes: 4 << 30),
                CUDADeviceInfo(
                    device: "cuda1", ordinal: 1, name: "bitprobe stub GPU 1", uuid: "GPU-b17b0be0-0000-4000-8000-000000000001",
                    computeCapability: "8.0", multiprocessors: 108, clockMhz: 1410, memoryClockMhz: 1593, memoryBusWidthBits: 5120,
                    memoryTotalBytes: 2 << 30),
            ])
        #expect(platform.devices.map(\.up) == [true, true])
        #expect(platform.devices.map(\.reason) == ["", ""])
        #expect(platform.devices.map(\.memoryFreeBytes) == [4 << 30, 2 << 30])
        #expect(platform.devices.map(\.memoryTotalBytes) == [4 << 30, 2 << 30])
    }

    @Test func allocationFailureIsClassifiedOutOfMemory() throws {
        let platform = try StubDriver.open("devices=1,alloc=fail")
        defer { platform.close() }
        let context = try #require(platform.devices.first?.context)
        let error = #expect(throws: CUDAError.self) { try context.allocate(bytes: 1 << 20) }
        #expect(error?.description == "cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)")
        #expect(error?.kind == .outOfMemory)
        // Out of memory leaves the context usable.
        #expect(platform.refreshMemory().isEmpty)
        #expect(platform.devices[0].up)
    }

    @Test func aLostDeviceIsDownWithAStickyErrorAndTheOthersStayUp() throws {
        let platform = try StubDriver.open("devices=2,lost=cuda1")
        defer { platform.close() }
        let reason = "cuMemGetInfo_v2 failed: CUDA_ERROR_ILLEGAL_ADDRESS (an illegal memory access was encountered)"
        #expect(platform.status == .up)
        #expect(platform.devices.map(\.up) == [true, false])
        #expect(platform.devices.map(\.reason) == ["", reason])
        #expect(platform.devices[1].info.name == "bitprobe stub GPU 1")
        #expect(platform.devices[1].memoryFreeBytes == nil)
        // Its context was reset and released; a recovery attempt is scheduled.
        #expect(platform.devices[1].context == nil)
        #expect(platform.devices[1].recovery?.attempts == 0)
        let lost = try CUDAContext(driver: try #require(platform.driver), device: 1)
        let error = #expect(throws: CUDAError.self) { try lost.allocate(bytes: 64) }
        #expect(error?.description == "cuMemAlloc_v2 failed: CUDA_ERROR_ILLEGAL_ADDRESS (an illegal memory access was encountered)")
        #expect(error?.kind == .sticky)
    }

    @Test func aFailedLaunchIsStickyAndTheNextMemoryReadMarksTheDeviceDown() throws {
        let platform = try StubDriver.open("devices=1,launch=fail")
        defer { platform.close() }
        let context = try #require(platform.devices.first?.context)
        let module = try CUDAModule(context: context, image: CUDABackend.fatbin)
        let kernel = try module.function("bp_add_f32")
        let shape = CUDALaunchShape(grid: (1, 1, 1), block: (32, 1, 1))
        let error = #expect(throws: CUDAError.self) { try context.launch(kernel, shape: shape, arguments: [.int32(1)]) }
        #expect(error?.description == "cuLaunchKernel failed: CUDA_ERROR_LAUNCH_FAILED (unspecified launch failure)")
        #expect(error?.kind == .sticky)
        let down = platform.refreshMemory()
        #expect(down.map(\.info.device) == ["cuda0"])
        #expect(platform.devices[0].reason == "cuMemGetInfo_v2 failed: CUDA_ERROR_LAUNCH_FAILED (unspecified launch failure)")
        // Marking it down reset and released the context; the recovery attempt retains a fresh one.
        #expect(platform.devices[0].context == nil)
        let tried = platform.recoverDue(now: .infinity)
        #expect(tried.map(\.device) == ["cuda0"] && tried.allSatisfy { $0.error == nil })
        #expect(platform.devices[0].up && platform.devices[0].reason == "")
        #expect(try platform.devices[0].context?.memoryInfo().free == 4 << 30)
    }

    @Test func memoryCopiesEventsAndLaunchesRunOnTheStub() throws {
        // kernel_us: each launch takes exactly 250 µs on the stub's clock, so the events' interval is known.
        let platform = try StubDriver.open("devices=1,memory=1048576,kernel_us=250")
        defer { platform.close() }
        let context = try #require(platform.devices.first?.context)
        let buffer = try context.allocate(bytes: 4096)
        #expect(try context.memoryInfo() == (free: 1_048_576 - 4096, total: 1_048_576))
        let input = (0..<4096).map { UInt8(truncatingIfNeeded: $0 * 7) }
        try input.withUnsafeBytes { try context.copy($0, to: buffer) }
        let second = try context.allocate(bytes: 4096)
        try context.copy(buffer, to: second, bytes: 4096)
        var output = [UInt8](repeating: 0, count: 4096)
        try output.withUnsafeMutableBytes { try context.copy(second, to: $0) }
        #expect(output == input)
        try context.fill(second, byte: 0xab)
        try output.withUnsafeMutableBytes { try context.copy(second, to: $0) }
        #expect(output.allSatisfy { $0 == 0xab })

        let stream = try CUDAStream(context: context)
        let start = try CUDAEvent(context: context)
        let end = try CUDAEvent(context: context)
        let module = try CUDAModule(context: context, image: CUDABackend.fatbin)
        try start.record(on: stream)
        try context.launch(
            try module.function("bp_add_f32"), shape: CUDALaunchShape(grid: (4, 1, 1), block: (256, 1, 1)), stream: stream,
            arguments: [.buffer(buffer), .buffer(buffer), .buffer(second), .int64(1024)])
        try end.record(on: stream)
        #expect(try end.wait(isCancelled: { false }))
        try stream.synchronize()
        #expect(try end.seconds(since: start) == 0.00025)
        let pinned = try context.allocateHost(bytes: 64)
        try context.free(pinned)
        try context.free(buffer)
        try context.free(second)
        try context.synchronize()
        #expect(try context.memoryInfo().free == 1_048_576)
    }

    @Test func aReleasedContextRefusesWork() throws {
        let platform = try StubDriver.open("devices=1,memory=2097152")
        let context = try #require(platform.devices.first?.context)
        platform.close()
        #expect(platform.devices[0].up == false)
        let error = #expect(throws: CUDAError.self) { try context.memoryInfo() }
        #expect(error?.description == "cuCtxPushCurrent_v2 failed: CUDA_ERROR_INVALID_CONTEXT (the context was released)")
    }

    @Test func uuidsAreFormattedAsNvidiaSmiPrintsThem() {
        let bytes: [UInt8] = [0x3f, 0x1e, 0xa2, 0x07, 0x5c, 0x44, 0x98, 0x10, 0xab, 0xcd, 0x01, 0x23, 0x45, 0x67, 0x89, 0xef]
        #expect(CUDADeviceInfo.formatUUID(bytes) == "GPU-3f1ea207-5c44-9810-abcd-0123456789ef")
    }

    @Test func errorsAreClassified() {
        func kind(_ code: Int32) -> CUDAError.Kind { CUDAError(call: "x", code: code, name: nil, text: nil).kind }
        #expect(kind(2) == .outOfMemory)
        for code: Int32 in [214, 700, 702, 710, 714, 715, 716, 717, 718, 719] { #expect(kind(code) == .sticky) }
        for code: Int32 in [1, 3, 46, 100, 201, 500, 701, 999] { #expect(kind(code) == .ordinary) }
        for code: Int32 in [46, 999] { #expect(CUDAError(call: "x", code: code, name: nil, text: nil).suggestsLostDevice) }
        for code: Int32 in [1, 2, 700, 719] { #expect(!CUDAError(call: "x", code: code, name: nil, text: nil).suggestsLostDevice) }
        #expect(CUDAError(call: "cuFoo", code: 12345, name: nil, text: nil).description == "cuFoo failed: CUresult 12345")
    }

    @Test func theLaunchLogRecordsShapesAndArgumentSizesAsPassed() throws {
        let log = StubDriver.temporaryPath("launch-log")
        let platform = try StubDriver.open("devices=1,kernels=noop,launch_log=\(log)")
        defer { platform.close() }
        let context = try #require(platform.devices.first?.context)
        let module = try CUDAModule(context: context, image: CUDABackend.fatbin)
        let buffer = try context.allocate(bytes: 64)
        try context.launch(
            try module.function("bp_ternary_gemv"), shape: CUDALaunchShape(grid: (3, 2, 1), block: (256, 1, 1)),
            arguments: [
                .buffer(buffer), .buffer(buffer), .buffer(buffer), .float(0.5), .buffer(buffer), .buffer(buffer),
                .int32(2), .int32(33), .int32(100),
            ])
        try context.launch(
            try module.function("bp_quantize_weights_absum_f32"), shape: CUDALaunchShape(grid: (1, 1, 1), block: (256, 1, 1)),
            arguments: [.buffer(buffer), .int64(16), .buffer(buffer)])
        #expect(
            try StubDriver.lines(log) == [
                "bp_ternary_gemv grid=3,2,1 block=256,1,1 smem=0 args=8,8,8,4,8,8,4,4,4",
                "bp_quantize_weights_absum_f32 grid=1,1,1 block=256,1,1 smem=0 args=8,8,8",
            ])
        try context.free(buffer)
    }

    @Test func moreThan48KiBOfDynamicSharedMemoryNeedsTheOptIn() throws {
        let platform = try StubDriver.open("devices=1,kernels=noop")
        defer { platform.close() }
        let context = try #require(platform.devices.first?.context)
        let module = try CUDAModule(context: context, image: CUDABackend.fatbin)
        let kernel = try module.function("bp_matmul_f16_s4")
        let shape = CUDALaunchShape(grid: (1, 1, 1), block: (256, 1, 1), sharedBytes: 65_536)
        let error = #expect(throws: CUDAError.self) { try context.launch(kernel, shape: shape, arguments: [.int32(1)]) }
        #expect(error?.description == "cuLaunchKernel failed: CUDA_ERROR_INVALID_VALUE (invalid argument)")
        try kernel.allowDynamicSharedMemory(bytes: 65_536)
        try context.launch(kernel, shape: shape, arguments: [.int32(1)])
        // 48 KiB needs no opt-in.
        try context.launch(
            try module.function("bp_matmul_f16"), shape: CUDALaunchShape(grid: (1, 1, 1), block: (256, 1, 1), sharedBytes: 49_152),
            arguments: [.int32(1)])
    }

    @Test func waitingForAHungKernelEndsWhenCancelled() throws {
        let platform = try StubDriver.open("devices=1,hang=bp_add_f32")
        defer { platform.close() }
        let context = try #require(platform.devices.first?.context)
        let module = try CUDAModule(context: context, image: CUDABackend.fatbin)
        let stream = try CUDAStream(context: context)
        let end = try CUDAEvent(context: context)
        let buffer = try context.allocate(bytes: 16)
        try context.launch(
            try module.function("bp_add_f32"), shape: CUDALaunchShape(grid: (1, 1, 1), block: (256, 1, 1)), stream: stream,
            arguments: [.buffer(buffer), .buffer(buffer), .buffer(buffer), .int64(4)])
        try end.record(on: stream)
        var polls = 0
        #expect(
            try end.wait(isCancelled: {
                polls += 1
                return polls == 5
            }) == false)
        #expect(polls == 5)
        // A reset ends the hang (and frees the context's memory); a fresh event completes at once.
        try context.reset()
        let after = try CUDAEvent(context: context)
        try after.record(on: stream)
        #expect(try after.wait(isCancelled: { true }))
    }

    @Test func fatbinImagesByComputeCapability() {
        let images = ["9.0", "8.9", "8.6", "8.0", "10.0", "12.0", "7.5", ""].map { CUDABackend.kernelImage(computeCapability: $0) }
        #expect(images == ["sm_90", "sm_89", "sm_80", "sm_80", "compute_80 PTX (JIT)", "compute_80 PTX (JIT)", "none", "unknown"])
    }
}
