import Synchronization
import Testing

@testable import BitProbe

#if canImport(Glibc)
import Glibc
#endif

/// The per-GPU runner in a probe cycle against the stub driver: each GPU its own runner, its own
/// fault state, and the memory check against the GPU's free memory.
@Suite(.serialized) struct CUDAProbeRunnerTests {
    func spec(_ device: String, _ elements: Int) throws -> ProbeSpec {
        try ProbeSpec(backend: .cuda, device: device, op: .add, dtype: .f32, shape: ProbeShape([elements]))
    }

    func runners(_ platform: CUDAPlatform, log: RunnerLog = .discard, specs: [String: [ProbeSpec]]) -> [CUDAProbeRunner] {
        platform.devices.indices.map { index in
            let runner = CUDAProbeRunner(platform: platform, index: index, log: log)
            let own = specs[runner.device] ?? []
            runner.configure(suite: { own }, config: CUDAProbeTests.quick)
            return runner
        }
    }

    @Test func aProbeThatDoesNotFitTheGPUsFreeMemoryIsSkippedWithItsReasonAndTheRestRun() throws {
        // 1 MiB of device memory: 3 x 4 x 262144 = 3 MiB of add buffers cannot fit, 3 x 4 x 1024 can.
        let platform = try StubDriver.open("devices=1,memory=1048576")
        defer { platform.close() }
        let logged = Mutex<[String]>([])
        let log = RunnerLog { level, message, metadata in
            logged.withLock { $0.append("\(level) \(message) " + metadata.map { "\($0.0)=\($0.1)" }.joined(separator: " ")) }
        }
        let big = try spec("cuda0", 262_144), small = try spec("cuda0", 1024)
        let gpus = runners(platform, log: log, specs: ["cuda0": [big, small]])
        let results = ProbeCycle(runners: gpus).run(number: 1, isStopping: { false }).results
        #expect(results.map(\.outcome) == [.skipped, .ok])
        let reason = "probe cuda0 add f32 262144 needs 3.00 MiB of buffers but only 1.00 MiB of memory is available"
        #expect(results[0].detail == reason)
        #expect(logged.withLock { $0 } == ["warning probe skipped probe=cuda0 add f32 262144 reason=\(reason)"])
        #expect(gpus[0].statuses.map(\.up) == [true], "a probe too big for the GPU is not a fault of the GPU")
    }

    @Test func eachGPUHasItsOwnRunnerAndFaultState() throws {
        // cuda1 answers discovery but every call in its context fails: down at open, its probes
        // skipped with the reason, while cuda0's run and verify.
        let platform = try StubDriver.open("devices=2,lost=cuda1")
        defer { platform.close() }
        let gpus = runners(platform, specs: ["cuda0": [try spec("cuda0", 1024)], "cuda1": [try spec("cuda1", 1024)]])
        let report = ProbeCycle(runners: gpus).run(number: 1, isStopping: { false })
        #expect(report.results.map(\.spec.device) == ["cuda0", "cuda1"])
        #expect(report.results.map(\.outcome) == [.ok, .skipped])
        #expect(report.results[1].detail?.hasPrefix("device down: ") == true)
        #expect(report.devices.map(\.device) == ["cuda0", "cuda1"])
        #expect(report.devices.map(\.up) == [true, false])
        #expect(report.memoryPressure["cuda0"] != nil && report.memoryPressure["cuda1"] == nil)
    }

    @Test func aStopBetweenGPUsLeavesTheNextGPUsProbesUnrun() throws {
        let platform = try StubDriver.open("devices=2")
        defer { platform.close() }
        let gpus = runners(platform, specs: ["cuda0": [try spec("cuda0", 1024)], "cuda1": [try spec("cuda1", 1024)]])
        let stopping = Mutex(false)
        let report = ProbeCycle(runners: gpus).run(number: 1, isStopping: { stopping.withLock { $0 } }) { _ in
            stopping.withLock { $0 = true }
        }
        #expect(report.results.map(\.spec.device) == ["cuda0"])
        #expect(report.stopped)
    }

    /// The agent's GPUs as the cycle sees them: one runner per GPU when the driver is up, one
    /// status row saying why when it is down as a whole, nothing when it is off.
    @Test func theAgentsGPUsAreOneRunnerPerGPUOrOneRowSayingWhyNot() throws {
        let logged = Mutex<[String]>([])
        let log = RunnerLog { level, message, _ in logged.withLock { $0.append("\(level) \(message)") } }
        let gpus = CUDARunners(log: log)
        let path = try StubDriver.library("devices=2")
        StubDriver.environmentLock.withLock { _ in
            setenv("BITPROBE_CUDA_STUB", "devices=2", 1)
            gpus.open(mode: .enabled, library: path)
        }
        #expect(gpus.runners.flatMap(\.statuses).map(\.device) == ["cuda0", "cuda1"])
        #expect(gpus.runners.allSatisfy { $0 is CUDAProbeRunner })
        gpus.open(mode: .enabled, library: "/nonexistent/libcuda.so.1")
        let down = gpus.runners.flatMap(\.statuses)
        #expect(down.map(\.device) == ["cuda"] && down.map(\.up) == [false])
        #expect(down.first?.reason.hasPrefix("cannot load the CUDA driver /nonexistent/libcuda.so.1") == true)
        #expect(ProbeCycle(runners: gpus.runners).run(number: 1, isStopping: { false }).results.isEmpty)
        gpus.open(mode: .auto, library: "/nonexistent/libcuda.so.1")
        #expect(gpus.runners.isEmpty)
        gpus.close()
        #expect(logged.withLock { $0 } == ["info CUDA device found", "info CUDA device found", "error CUDA backend down", "info CUDA backend off"])
    }
}
