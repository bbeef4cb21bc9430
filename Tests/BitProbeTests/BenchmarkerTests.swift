import Synchronization
import Testing

@testable import BitProbe

/// A backend whose one probe behaves as scripted, to drive the runner's control flow.
final class ScriptedBackend: ProbeBackend, @unchecked Sendable {
    enum Behaviour { case fixed(seconds: Double), wrongResult, failsToAllocate, kernelError, hangsUntilCancelled, preparesFor(seconds: Double) }

    let kind = BackendKind.cpu
    let device = "cpu0"
    let kernelPath = "scripted"
    let threads = 1
    let behaviour: Behaviour
    let cancelled = Atomic<Bool>(false)
    private(set) var released = 0

    init(_ behaviour: Behaviour) { self.behaviour = behaviour }

    func prepare(_ spec: ProbeSpec, seed: UInt64) throws(ProbeRunError) -> any PreparedProbe {
        if case .failsToAllocate = behaviour { throw .allocationFailed(bytes: 3 << 30) }
        if case .preparesFor(let seconds) = behaviour { usleep(UInt32(seconds * 1e6)) }
        return Prepared(backend: self)
    }

    func cancel() { cancelled.store(true, ordering: .sequentiallyConsistent) }
    func resetCancellation() { cancelled.store(false, ordering: .sequentiallyConsistent) }

    final class Prepared: PreparedProbe {
        let backend: ScriptedBackend
        init(backend: ScriptedBackend) { self.backend = backend }

        func runIteration() throws(ProbeRunError) -> Double {
            switch backend.behaviour {
            case .fixed(let seconds): return seconds
            case .wrongResult: return 0.001
            case .failsToAllocate: return 0
            case .preparesFor:
                if backend.cancelled.load(ordering: .sequentiallyConsistent) { throw .cancelled }
                return 0.001
            case .kernelError: throw .kernelFailed("launch failed")
            case .hangsUntilCancelled:
                while !backend.cancelled.load(ordering: .sequentiallyConsistent) { usleep(1000) }
                throw .cancelled
            }
        }

        func verify() -> VerificationReport {
            if case .wrongResult = backend.behaviour {
                return VerificationReport(checkedValues: 10, wrongValues: 3, worstErrorRatio: 40, tolerance: "exact", firstMismatch: "c[2] = 1.0, expected 2.0")
            }
            return VerificationReport(checkedValues: 10, wrongValues: 0, worstErrorRatio: 0, tolerance: "exact", firstMismatch: nil)
        }

        func release() { backend.released += 1 }
    }
}

#if canImport(Glibc)
import Glibc
#endif

@Suite struct BenchmarkerTests {
    let spec = try! ProbeSpec(op: .matmul, dtype: .f32, shape: ProbeShape([10, 10, 10]))

    func config(iterations: Int = 5, minTime: Double = 0, timeout: Double = 60) -> BenchmarkConfig {
        var config = BenchmarkConfig()
        config.warmupIterations = 2
        config.measurementIterations = iterations
        config.minMeasurementSeconds = minTime
        config.timeoutSeconds = timeout
        return config
    }

    @Test func okRunDerivesThroughputFromTheMedian() throws {
        let backend = ScriptedBackend(.fixed(seconds: 0.002))
        let result = Benchmarker(config: config(), backend: backend).run(spec)
        #expect(result.outcome == .ok)
        #expect(result.warmupIterations == 2)
        #expect(result.wallSeconds > 0, "the whole run is timed, not left at 0")
        #expect(result.samples == [Double](repeating: 0.002, count: 5))
        #expect(result.operationsPerSecond == 2000 / 0.002)
        #expect(result.bytesPerSecond == 1200 / 0.002)
        #expect(backend.released == 1)
    }

    @Test func minimumTimeAddsIterations() {
        let result = Benchmarker(config: config(iterations: 3, minTime: 0.05), backend: ScriptedBackend(.fixed(seconds: 0.01))).run(spec)
        #expect(result.samples.count == 5)
    }

    @Test func sampleCapBoundsTinyProbes() {
        var capped = config(iterations: 1, minTime: 10)
        capped.maxSamples = 50
        let result = Benchmarker(config: capped, backend: ScriptedBackend(.fixed(seconds: 1e-9))).run(spec)
        #expect(result.samples.count == 50)
    }

    @Test func wrongResultIsAMismatchWithoutThroughput() {
        let result = Benchmarker(config: config(), backend: ScriptedBackend(.wrongResult)).run(spec)
        #expect(result.outcome == .mismatch)
        #expect(result.operationsPerSecond == nil && result.bytesPerSecond == nil)
        #expect(result.detail == "3 of 10 checked values wrong; first: c[2] = 1.0, expected 2.0")
    }

    @Test func allocationFailureIsFailed() {
        let result = Benchmarker(config: config(), backend: ScriptedBackend(.failsToAllocate)).run(spec)
        #expect(result.outcome == .failed)
        #expect(result.detail == "could not allocate 3.00 GiB")
    }

    @Test func kernelErrorIsFailedAndReleasesBuffers() {
        let backend = ScriptedBackend(.kernelError)
        let result = Benchmarker(config: config(), backend: backend).run(spec)
        #expect(result.outcome == .failed)
        #expect(result.detail == "launch failed")
        #expect(backend.released == 1)
    }

    @Test func hungProbeTimesOutAndTheRunnerGoesOn() {
        let backend = ScriptedBackend(.hangsUntilCancelled)
        let start = MonotonicClock.nanoseconds()
        let result = Benchmarker(config: config(timeout: 0.2), backend: backend).run(spec)
        let elapsed = Double(MonotonicClock.nanoseconds() - start) / 1e9
        #expect(result.outcome == .timeout)
        #expect(result.detail == "exceeded the 0.2 s timeout after 0 warmup and 0 measured iterations")
        #expect(elapsed < 1.5)
        let stillCancelled = backend.cancelled.load(ordering: .sequentiallyConsistent)
        #expect(!stillCancelled, "cancellation is cleared for the next probe")
    }

    /// The timeout covers buffer preparation: a probe whose inputs take longer to fill than its
    /// timeout ends as `timeout` before any kernel runs, not `ok` after a long stall.
    @Test func preparationCountsAgainstTheTimeout() {
        let backend = ScriptedBackend(.preparesFor(seconds: 0.3))
        let result = Benchmarker(config: config(timeout: 0.1), backend: backend).run(spec)
        #expect(result.outcome == .timeout)
        #expect(result.detail == "exceeded the 0.1 s timeout after 0 warmup and 0 measured iterations")
        #expect(backend.released == 1)
    }

    /// Filling 2.4 GB of `add` buffers took 4.4 s past a 50-ms timeout before any kernel ran (the
    /// pages are touched only as they are filled); the fill now stops at the deadline too.
    @Test func largeInputsStopFillingAtTheDeadline() throws {
        let backend = try CPUBackend(threads: 1)
        let large = try ProbeSpec(op: .add, dtype: .f32, shape: ProbeShape([200_000_000]))
        let start = MonotonicClock.nanoseconds()
        let result = Benchmarker(config: config(timeout: 0.05), backend: backend).run(large)
        let elapsed = Double(MonotonicClock.nanoseconds() - start) / 1e9
        #expect(result.outcome == .timeout)
        #expect(result.detail == "exceeded the 0.05 s timeout after 0 warmup and 0 measured iterations")
        #expect(elapsed < 1, "took \(elapsed) s")
        let next = Benchmarker(config: config(), backend: backend).run(try ProbeSpec(op: .add, dtype: .f32, shape: ProbeShape([1000])))
        #expect(next.outcome == .ok)
    }

    @Test func ternaryWeightDrawingStopsAtTheDeadline() throws {
        // 655 million weights drawn one random word each: seconds of preparation, which ran to
        // the end, whatever the timeout, before the rows were drawn in slices.
        let backend = try CPUBackend(threads: 1)
        let large = try ProbeSpec(op: .ternaryMatmul, dtype: .i8Ternary, shape: ProbeShape([1, 40_000, 16_384]))
        let start = MonotonicClock.nanoseconds()
        let result = Benchmarker(config: config(timeout: 0.05), backend: backend).run(large)
        let elapsed = Double(MonotonicClock.nanoseconds() - start) / 1e9
        #expect(result.outcome == .timeout)
        #expect(result.detail == "exceeded the 0.05 s timeout after 0 warmup and 0 measured iterations")
        #expect(elapsed < 1, "took \(elapsed) s")
        let next = Benchmarker(config: config(), backend: backend).run(try ProbeSpec(op: .ternaryMatmul, dtype: .i8Ternary, shape: ProbeShape([4, 64, 128])))
        #expect(next.outcome == .ok)
    }

    @Test func realKernelIsCancelledAtTheDeadline() throws {
        // A 2048^3 f32 matmul on the portable path takes seconds; the pool's cancel flag stops it.
        let backend = try CPUBackend(threads: 2, simdPath: .portable)
        let big = try ProbeSpec(op: .matmul, dtype: .f32, shape: ProbeShape([2048, 2048, 2048]))
        let start = MonotonicClock.nanoseconds()
        let result = Benchmarker(config: config(timeout: 0.3), backend: backend).run(big)
        let elapsed = Double(MonotonicClock.nanoseconds() - start) / 1e9
        #expect(result.outcome == .timeout)
        #expect(elapsed < 3, "stopped within a task of the deadline, not after the whole matmul")
        // The same backend runs the next probe normally.
        let next = Benchmarker(config: config(), backend: backend).run(try ProbeSpec(op: .add, dtype: .f32, shape: ProbeShape([1000])))
        #expect(next.outcome == .ok)
    }

    @Test func seedsArePerProbeAndStable() throws {
        let other = try ProbeSpec(op: .add, dtype: .f32, shape: ProbeShape([10]))
        #expect(Benchmarker.probeSeed(base: 1, spec: spec) == Benchmarker.probeSeed(base: 1, spec: spec))
        #expect(Benchmarker.probeSeed(base: 1, spec: spec) != Benchmarker.probeSeed(base: 1, spec: other))
        #expect(Benchmarker.probeSeed(base: 1, spec: spec) != Benchmarker.probeSeed(base: 2, spec: spec))
    }
}
