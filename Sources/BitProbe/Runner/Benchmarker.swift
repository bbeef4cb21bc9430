/// Runs probes on a backend: allocate and fill inputs, warm up, time iterations, verify, and
/// summarise. One failed, slow or wrong probe never stops the others.
///
/// ```swift
/// let backend = try CPUBackend(threads: 2)
/// let specs = try ProbeSelection(ops: ["matmul"], dtypes: ["f32"], shapes: ["256x256x256"]).resolve()
/// let results = Benchmarker(config: BenchmarkConfig(), backend: backend).run(specs)
/// ```
public final class Benchmarker {
    public let config: BenchmarkConfig
    public let backend: any ProbeBackend
    /// Testing only: slows matching probes for real (see `FaultInjection`); `BITPROBE_FAULT_INJECT` by default.
    public let faultInjection: FaultInjection?
    private let watchdog = Watchdog()

    public init(config: BenchmarkConfig, backend: any ProbeBackend, faultInjection: FaultInjection? = FaultInjection.active) {
        self.config = config
        self.backend = backend
        self.faultInjection = faultInjection
        FaultInjection.warnOnce(using: faultInjection)
    }

    /// Runs `specs` in order; `progress` is told before each probe starts (index, total, spec).
    public func run(_ specs: [ProbeSpec], progress: ((Int, Int, ProbeSpec) -> Void)? = nil) -> [ProbeResult] {
        specs.enumerated().map { index, spec in
            progress?(index, specs.count, spec)
            return run(spec)
        }
    }

    /// Runs one probe. With `profile`, the run is a child span of it (`probe <spec>`) with a child
    /// per phase: prepare (allocate and fill inputs), warmup, measure, verify, release.
    public func run(_ spec: ProbeSpec, profile parent: ProfileSpan? = nil) -> ProbeResult {
        let span = parent?.child(
            "probe \(spec)",
            attributes: [
                ("bitprobe.backend", .string(spec.backend.rawValue)), ("bitprobe.device", .string(spec.device)),
                ("bitprobe.op", .string(spec.op.rawValue)), ("bitprobe.dtype", .string(spec.dtype.rawValue)),
                ("bitprobe.shape", .string(spec.shape.description)), ("bitprobe.kernel_path", .string(backend.kernelPath)),
                ("bitprobe.threads", .int(Int64(backend.threads))),
            ])
        let start = MonotonicClock.nanoseconds()
        var result = measure(spec, span: span)
        // Set here, after every early return inside `measure`: the whole run, allocation to release.
        result.wallSeconds = Double(MonotonicClock.nanoseconds() - start) / 1e9
        if let span {
            span.setAttribute("bitprobe.result", .string(result.outcome.rawValue))
            span.setAttribute("bitprobe.samples", .int(Int64(result.samples.count)))
            if let median = result.statistics?.median { span.setAttribute("bitprobe.median_seconds", .double(median)) }
            if let ops = result.operationsPerSecond { span.setAttribute("bitprobe.ops_per_second", .double(ops)) }
            if let bytes = result.bytesPerSecond { span.setAttribute("bitprobe.bytes_per_second", .double(bytes)) }
            if result.outcome != .ok { span.fail(result.detail ?? result.outcome.rawValue) }
            span.end()
            result.traceID = span.traceID.hex
            result.spanID = span.spanID.hex
        }
        return result
    }

    private func measure(_ spec: ProbeSpec, span: ProfileSpan?) -> ProbeResult {
        let startedAt = WallClock.unixSeconds()
        let start = MonotonicClock.nanoseconds()
        let deadline = start + UInt64(min(config.timeoutSeconds, 1e9) * 1e9)
        var result = ProbeResult(
            spec: spec, outcome: .ok, detail: nil, startedAt: startedAt, wallSeconds: 0,
            warmupIterations: 0, samples: [], statistics: nil, operationsPerSecond: nil,
            bytesPerSecond: nil, verification: nil, kernelPath: backend.kernelPath,
            threads: backend.threads, seed: Self.probeSeed(base: config.seed, spec: spec))

        backend.resetCancellation()
        watchdog.arm(seconds: config.timeoutSeconds) { [backend] in backend.cancel() }
        defer {
            watchdog.disarm()
            backend.resetCancellation()
        }

        let prepared: any PreparedProbe
        let prepareSpan = span?.child("prepare")
        do {
            prepared = try backend.prepare(spec, seed: result.seed)
            result.iterationsPerSample = prepared.iterationsPerSample
            if let repeated = result.iterationsPerSample { prepareSpan?.setAttribute("bitprobe.iterations_per_sample", .int(Int64(repeated))) }
            prepareSpan?.end()
        } catch {
            prepareSpan?.fail(error.description)
            prepareSpan?.end()
            return finish(&result, error: error, measured: 0)
        }
        defer {
            let releaseSpan = span?.child("release")
            prepared.release()
            releaseSpan?.end()
        }
        let injection = faultInjection.flatMap { $0.matches(spec) ? $0 : nil }

        var phaseSpan = span?.child("warmup")
        do throws(ProbeRunError) {
            for _ in 0..<config.warmupIterations {
                _ = try prepared.runIteration()
                result.warmupIterations += 1
                if MonotonicClock.nanoseconds() > deadline { throw .cancelled }
            }
            phaseSpan?.end()
            phaseSpan = span?.child("measure")
            var measuredSeconds = 0.0
            while result.samples.count < config.measurementIterations
                || (measuredSeconds < config.minMeasurementSeconds && result.samples.count < config.maxSamples)
            {
                var seconds = try prepared.runIteration()
                if let injection { seconds += injection.spin(afterKernelSeconds: seconds) }
                result.samples.append(seconds)
                measuredSeconds += seconds
                if MonotonicClock.nanoseconds() > deadline { throw .cancelled }
            }
            phaseSpan?.setAttribute("bitprobe.iterations", .int(Int64(result.samples.count)))
            phaseSpan?.end()
        } catch {
            phaseSpan?.addEvent(error == .cancelled ? "timeout" : "error", attributes: [("reason", .string(error.description))])
            phaseSpan?.fail(error.description)
            phaseSpan?.end()
            return finish(&result, error: error, measured: result.samples.count)
        }

        let verifySpan = span?.child("verify")
        let report: VerificationReport
        do { report = try prepared.verify() } catch {
            verifySpan?.fail(error.description)
            verifySpan?.end()
            return finish(&result, error: error, measured: result.samples.count)
        }
        verifySpan?.setAttribute("bitprobe.checked_values", .int(Int64(report.checkedValues)))
        verifySpan?.setAttribute("bitprobe.wrong_values", .int(Int64(report.wrongValues)))
        if !report.passed { verifySpan?.fail("mismatch") }
        verifySpan?.end()
        result.verification = report
        result.statistics = SampleStatistics(result.samples)
        guard report.passed else {
            result.outcome = .mismatch
            result.detail = "\(report.wrongValues) of \(report.checkedValues) checked values wrong; first: \(report.firstMismatch ?? "?")"
            return result
        }
        if let median = result.statistics?.median, median > 0 {
            result.operationsPerSecond = spec.operationsPerIteration.map { $0 / median }
            result.bytesPerSecond = spec.bytesPerIteration / median
        }
        return result
    }

    private func finish(_ result: inout ProbeResult, error: ProbeRunError, measured: Int) -> ProbeResult {
        result.statistics = SampleStatistics(result.samples)
        switch error {
        case .cancelled:
            result.outcome = .timeout
            result.detail =
                "exceeded the \(formatSeconds(config.timeoutSeconds)) timeout after \(result.warmupIterations) warmup and \(measured) measured iterations"
        case .allocationFailed, .kernelFailed, .deviceFailed, .outOfMemory:
            result.outcome = .failed
            result.detail = error.description
        }
        return result
    }

    /// A stream per probe: FNV-1a of the spec mixed into the base seed, so adding or removing one
    /// probe does not change the inputs of another.
    static func probeSeed(base: UInt64, spec: ProbeSpec) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in spec.description.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash ^ base
    }
}

func formatSeconds(_ seconds: Double) -> String {
    seconds == seconds.rounded() && seconds < 1e15 ? "\(Int(seconds)) s" : "\(seconds) s"
}
