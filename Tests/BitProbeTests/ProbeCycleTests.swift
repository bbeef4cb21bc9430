import Testing

@testable import BitProbe

/// A value the cycle's closures and the test share (the cycle runs on the test's thread).
final class Box<Value> {
    var value: Value
    init(_ value: Value) { self.value = value }
}

/// A device runner with no kernels: each probe's outcome comes from `plan`, and the runner is
/// down (all its probes skipped with the reason) while `downReason` is set, as the CUDA runner's
/// fault policy leaves a GPU. It records what the cycle asked of it, in order.
final class FakeDeviceRunner: DeviceRunner {
    let device: String
    let backend: BackendKind
    var specs: [ProbeSpec]
    var plan: [ProbeSpec: ProbeOutcome] = [:]
    var downReason: String?
    var memory: (free: Int, total: Int)?
    /// Called before each probe (a test flips stop here).
    var beforeProbe: (ProbeSpec) -> Void = { _ in }
    let calls: Box<[String]>

    init(backend: BackendKind, device: String, ops: [ProbeOp], calls: Box<[String]>) throws {
        self.backend = backend
        self.device = device
        self.calls = calls
        specs = try ops.map { try ProbeSpec(backend: backend, device: device, op: $0, dtype: .f32, shape: ProbeShape([1024])) }
    }

    func run(_ context: CycleContext) -> [ProbeResult] {
        calls.value.append("\(device) run")
        var results: [ProbeResult] = []
        for spec in specs {
            if context.isStopping() { break }
            if let downReason {
                results.append(.notRun(spec, reason: "device down: \(downReason)"))
                continue
            }
            beforeProbe(spec)
            let span = context.span.child("probe", attributes: [("bitprobe.op", .string(spec.op.rawValue))])
            let outcome = plan[spec] ?? .ok
            var result = ProbeResult.notRun(spec, outcome: outcome, reason: outcome == .ok ? "" : "fake \(outcome.rawValue)")
            if outcome == .ok {
                result.detail = nil
                result.samples = [0.001, 0.002, 0.003]
            } else {
                span.fail("fake \(outcome.rawValue)")
            }
            span.end()
            calls.value.append("\(spec)")
            results.append(result)
        }
        return results
    }

    func finishCycle(host: HostMemoryStatus) { calls.value.append("\(device) finish") }

    var statuses: [DeviceStatus] {
        [
            DeviceStatus(
                backend: backend, device: device, name: "fake \(device)", up: downReason == nil, reason: downReason ?? "",
                extraInfo: [], memoryFreeBytes: memory?.free, memoryTotalBytes: memory?.total)
        ]
    }

    func cancel() { calls.value.append("\(device) cancel") }
}

@Suite struct ProbeCycleTests {
    let calls = Box<[String]>([])

    func cycle(
        _ runners: [any DeviceRunner], host: HostMemoryStatus = HostMemoryStatus(totalBytes: 1000, availableBytes: 500),
        hostReads: Box<Int> = Box(0), stall: [UInt64] = [1_000_000, 1_250_000]
    ) -> ProbeCycle {
        let stalls = Box(stall)
        let clock = Box(100.0)
        return ProbeCycle(
            runners: runners,
            readHostMemory: {
                hostReads.value += 1; return host
            },
            readCPUStall: { stalls.value.isEmpty ? nil : stalls.value.removeFirst() },
            monotonicSeconds: {
                clock.value += 0.25; return clock.value
            }, wallSeconds: { 1_700_000_000 })
    }

    @Test func runnersRunInOrderAndFinishOnlyAfterAllRan() throws {
        let cpu = try FakeDeviceRunner(backend: .cpu, device: "cpu0", ops: [.add, .multiply], calls: calls)
        let gpu = try FakeDeviceRunner(backend: .cuda, device: "cuda0", ops: [.multiply], calls: calls)
        let report = cycle([cpu, gpu]).run(number: 7, isStopping: { false })
        #expect(
            calls.value == [
                "cpu0 run", "cpu0 add f32 1024", "cpu0 multiply f32 1024", "cuda0 run", "cuda0 multiply f32 1024",
                "cpu0 finish", "cuda0 finish",
            ])
        #expect(report.number == 7)
        #expect(report.results.map(\.spec.description) == ["cpu0 add f32 1024", "cpu0 multiply f32 1024", "cuda0 multiply f32 1024"])
        #expect(report.span.name == "cycle")
        #expect(report.span.children.map(\.name) == ["probe", "probe", "probe"])
        #expect(report.span.attributes.map(\.0) == ["bitprobe.cycle", "bitprobe.probes", "bitprobe.cpu_pressure"])
        #expect(report.devices.map(\.device) == ["cpu0", "cuda0"])
        #expect(report.startedAt == 1_700_000_000)
        // Two clock readings 0.25 s apart bracket the probes; 0.25 s of CPU stall in them is all of it.
        #expect(report.probeSeconds == 0.25)
        #expect(report.cpuPressureShare == 1)
        #expect(!report.stopped)
    }

    @Test func aFailingDeviceDoesNotStopTheOthers() throws {
        let cpu = try FakeDeviceRunner(backend: .cpu, device: "cpu0", ops: [.add], calls: calls)
        let gpu = try FakeDeviceRunner(backend: .cuda, device: "cuda0", ops: [.add, .multiply], calls: calls)
        gpu.plan[gpu.specs[0]] = .failed
        let report = cycle([gpu, cpu]).run(number: 1, isStopping: { false })
        #expect(report.results.map(\.outcome) == [.failed, .ok, .ok])
        #expect(report.results[0].detail == "fake failed")
        #expect(report.span.children.map { $0.failureReason } == ["fake failed", nil, nil])
    }

    /// A device that goes down has its probes skipped with the reason and no pressure reading;
    /// once recovered, it runs and reports its memory pressure again.
    @Test func aDeviceGoingDownAndRecovering() throws {
        let cpu = try FakeDeviceRunner(backend: .cpu, device: "cpu0", ops: [.add], calls: calls)
        let gpu = try FakeDeviceRunner(backend: .cuda, device: "cuda0", ops: [.add, .multiply], calls: calls)
        gpu.memory = (free: 3, total: 100)
        let probeCycle = cycle([cpu, gpu], stall: [])
        let up = probeCycle.run(number: 1, isStopping: { false })
        #expect(up.results.map(\.outcome) == [.ok, .ok, .ok])
        #expect(up.memoryPressure == ["cpu0": .low, "cuda0": .high])
        gpu.downReason = "cuLaunchKernel failed: CUDA_ERROR_LAUNCH_FAILED (unspecified launch failure)"
        let down = probeCycle.run(number: 2, isStopping: { false })
        #expect(down.results.map(\.outcome) == [.ok, .skipped, .skipped])
        #expect(down.results[1].detail == "device down: cuLaunchKernel failed: CUDA_ERROR_LAUNCH_FAILED (unspecified launch failure)")
        #expect(down.devices.map(\.up) == [true, false])
        #expect(down.devices[1].reason == "cuLaunchKernel failed: CUDA_ERROR_LAUNCH_FAILED (unspecified launch failure)")
        #expect(down.memoryPressure == ["cpu0": .low])
        #expect(down.span.children.count == 1)
        gpu.downReason = nil
        let recovered = probeCycle.run(number: 3, isStopping: { false })
        #expect(recovered.results.map(\.outcome) == [.ok, .ok, .ok])
        #expect(recovered.devices.map(\.up) == [true, true])
        #expect(recovered.memoryPressure == ["cpu0": .low, "cuda0": .high])
        #expect(recovered.cpuPressureShare == nil)
    }

    /// Stop during the first runner's second probe: that runner ends between probes, the next
    /// runner is not started, and the report says it is partial.
    @Test func stopMidCycle() throws {
        let cpu = try FakeDeviceRunner(backend: .cpu, device: "cpu0", ops: [.add, .multiply, .add], calls: calls)
        let gpu = try FakeDeviceRunner(backend: .cuda, device: "cuda0", ops: [.add], calls: calls)
        let stopping = Box(false)
        cpu.beforeProbe = { spec in if spec.op == .multiply { stopping.value = true } }
        let report = cycle([cpu, gpu]).run(number: 1, isStopping: { stopping.value })
        #expect(report.stopped)
        #expect(report.results.map(\.spec.description) == ["cpu0 add f32 1024", "cpu0 multiply f32 1024"])
        #expect(calls.value == ["cpu0 run", "cpu0 add f32 1024", "cpu0 multiply f32 1024", "cpu0 finish", "cuda0 finish"])
    }

    /// Host memory is read once per cycle, and the levels every consumer uses come from that
    /// one reading: cpu0 from the host, each GPU that is up from its own free/total memory.
    @Test func pressureIsReadOnceAndAssessedPerDevice() throws {
        let cpu = try FakeDeviceRunner(backend: .cpu, device: "cpu0", ops: [.add, .multiply], calls: calls)
        let gpu0 = try FakeDeviceRunner(backend: .cuda, device: "cuda0", ops: [.add], calls: calls)
        let gpu1 = try FakeDeviceRunner(backend: .cuda, device: "cuda1", ops: [.add], calls: calls)
        let gpu2 = try FakeDeviceRunner(backend: .cuda, device: "cuda2", ops: [.add], calls: calls)
        gpu0.memory = (free: 1, total: 100)
        gpu1.memory = (free: 50, total: 100)
        let reads = Box(0)
        let host = HostMemoryStatus(totalBytes: 1000, availableBytes: 80, pressureSomeAvg10: 1, pressureFullAvg10: 0)
        let report = cycle([cpu, gpu0, gpu1, gpu2], host: host, hostReads: reads).run(number: 1, isStopping: { false })
        #expect(reads.value == 1)
        #expect(report.hostMemory == host)
        #expect(report.memoryPressure == ["cpu0": .high, "cuda0": .critical, "cuda1": .low])
    }
}
