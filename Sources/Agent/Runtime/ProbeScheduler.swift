import BitProbe
import Dispatch
import Exposition
import Logging
import OTLPExport
import Synchronization

/// Runs probe cycles on its own thread: every `interval` (plus jitter), within the duty-cycle
/// budget, publishing each finished cycle whole. Never runs on HTTP threads.
final class ProbeScheduler: @unchecked Sendable {
    // @unchecked: `recorder`, `rules`, `baseline` and the counters are touched only by the scheduler thread;
    // what other threads call (stop, reload, wake) goes through `control` and `wakeup`.
    private struct Control {
        var stopping = false
        var pendingConfig: AgentConfig?
    }

    private let control = Mutex(Control())
    private let wakeup = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let state: AgentState
    private let logger: Logger
    private let activeBackend = Mutex<CPUBackend?>(nil)

    private var config: AgentConfig
    private var recorder = ProbeMetricsRecorder()
    private var rules: RuleEngine
    private var baseline: Baseline?
    private var baselineKey: AgentConfig.BaselineSettings?
    /// Called with the alerts to notify after every evaluation (Alertmanager), on this thread.
    private let notify: ([RuleEngine.Alert]) -> Void
    /// Called with every finished cycle's trace (the OTLP exporter); nil when tracing is off, in
    /// which case histogram observations carry no exemplars (they would link to nothing).
    private let traceSink: ((ProfileSpan) -> Void)?

    private func traces(_ cycle: ProfileSpan) { traceSink?(cycle) }

    /// The probe span of this run, as an OpenMetrics exemplar, when traces are exported.
    private func exemplar(for result: ProbeResult) -> (Double) -> Exemplar? {
        guard traceSink != nil, let trace = result.traceID, let span = result.spanID else { return { _ in nil } }
        let time = result.startedAt + result.wallSeconds
        return { value in Exemplar(labels: Labels([("span_id", span), ("trace_id", trace)]), value: value, timestamp: time) }
    }
    /// The GPUs (docs/cuda.md), opened again when `backends.cuda` changes.
    private let cuda: CUDAProbeRunner
    private var cycles = 0
    private var exportFailures = ExportFailureLog()
    private var busySeconds = 0.0
    private var contendedCycles = 0
    /// The agent's own cgroup's CPU pressure where cgroup v2 gives one, else the machine's.
    private let cpuPressurePath = CPUPressure.ownPath()
    private let startedAt = MonotonicClock.seconds()

    init(config: AgentConfig, state: AgentState, logger: Logger, traceSink: ((ProfileSpan) -> Void)? = nil,
         notify: @escaping ([RuleEngine.Alert]) -> Void = { _ in }) {
        self.config = config
        self.state = state
        self.logger = logger
        self.notify = notify
        self.traceSink = traceSink
        rules = RuleEngine(rules: config.rules, startedAt: WallClock.unixSeconds())
        cuda = CUDAProbeRunner(logger: logger, memory: state.memory)
    }


    /// Starts the probe thread.
    func start() {
        spawnThread(name: "bitprobe-probes") { [self] in
            runLoop()
            finished.signal()
        }
    }

    /// Asks the loop to stop: the probe in flight is cancelled and the thread exits.
    /// Returns whether it exited within `deadline` seconds.
    func stop(deadline: Double) -> Bool {
        control.withLock { $0.stopping = true }
        activeBackend.withLock { $0?.cancel() }
        cuda.cancel()
        wakeup.signal()
        return finished.wait(timeout: .now() + .milliseconds(Int(deadline * 1000))) == .success
    }

    /// Takes a new config at the next cycle boundary (the cycle in flight finishes first).
    func apply(_ newConfig: AgentConfig) {
        control.withLock { $0.pendingConfig = newConfig }
    }

    private var isStopping: Bool { control.withLock { $0.stopping } }

    private func runLoop() {
        var backend: CPUBackend?
        var specs: [ProbeSpec] = []
        var backendConfig: (Int?, SIMDPath?)?
        var backendError = ""
        while !isStopping {
            if let newConfig = control.withLock({ state -> AgentConfig? in
                defer { state.pendingConfig = nil }
                return state.pendingConfig
            }) {
                config = newConfig
                rules.replaceRules(newConfig.rules)
            }
            loadBaselineIfChanged()
            if backendConfig == nil || backendConfig! != (config.probes.threads, config.probes.simd) {
                do {
                    backend = try CPUBackend(threads: config.probes.threads, simdPath: config.probes.simd,
                                             bufferPool: BufferPool(tracker: state.memory))
                    backendError = ""
                } catch {
                    backend = nil
                    backendError = error.description
                    logger.error("CPU backend unavailable", metadata: ["reason": "\(error.description)"])
                }
                activeBackend.withLock { $0 = backend }
                backendConfig = (config.probes.threads, config.probes.simd)
            }
            if cuda.mode != config.backends.cuda { cuda.open(mode: config.backends.cuda) }
            do { specs = try config.probes.resolvedSuite() } catch {
                logger.error("probe suite invalid", metadata: ["reason": "\(error.description)"])
                specs = []
            }

            let cycleStart = MonotonicClock.seconds()
            let stallBefore = CPUPressure.someTotalMicroseconds(path: cpuPressurePath)
            let cycleSpan = ProfileSpan.root("cycle", attributes: [("bitprobe.cycle", .int(Int64(cycles + 1)))])
            var results: [ProbeResult] = []
            if let backend {
                let benchmarker = Benchmarker(config: config.probes.benchmarkConfig, backend: backend)
                for spec in specs {
                    if isStopping { break }
                    // Checked per probe against the memory available now, as `bench` does: a probe
                    // that cannot fit is skipped with its reason instead of driving the host into swap.
                    do { try spec.requireMemory(availableBytes: HostInfo.read().memoryAvailableBytes) } catch {
                        logger.warning("probe skipped", metadata: ["probe": "\(spec)", "reason": "\(error.description)"])
                        let result = ProbeResult.notRun(spec, reason: error.description, kernelPath: backend.kernelPath, threads: backend.threads)
                        recorder.record(result)
                        results.append(result)
                        continue
                    }
                    state.memory.beginProbe(spec.description)
                    let result = benchmarker.run(spec, profile: cycleSpan)
                    for leak in state.memory.endProbe() {
                        logger.warning("probe ended holding memory", metadata: ["probe": "\(leak.probe)", "bytes": "\(leak.bytes)", "allocations": "\(leak.allocations)"])
                    }
                    if result.outcome != .ok {
                        logger.warning("probe did not verify", metadata: ["probe": "\(spec)", "result": "\(result.outcome.rawValue)", "detail": "\(result.detail ?? "")"])
                    }
                    recorder.record(result, exemplar: exemplar(for: result))
                    results.append(result)
                }
            }
            if !isStopping {
                let probes = config.probes
                results += cuda.runCycle(suite: { (device: String) throws(ProbeInputError) -> [ProbeSpec] in try probes.cudaSuite(device: device) },
                                         config: probes.benchmarkConfig, span: cycleSpan, isStopping: { isStopping },
                                         record: { recorder.record($0, exemplar: exemplar(for: $0)) })
            }
            // Other work waiting for the CPUs while the probes ran (PSI): such a cycle's timings are
            // kept out of the regression rules (AlertRule.maxCPUPressure).
            let probeSeconds = max(MonotonicClock.seconds() - cycleStart, 1e-6)
            let cpuPressureShare = stallBefore.flatMap { before in
                CPUPressure.someTotalMicroseconds(path: cpuPressurePath).map { min(1, Double($0 &- before) / 1e6 / probeSeconds) }
            }
            if rules.isContendedForAnyRegressionRule(cpuPressureShare) { contendedCycles += 1 }
            backend?.releaseIdleMemory()
            cuda.refreshMemory()
            cycleSpan.setAttribute("bitprobe.probes", .int(Int64(results.count)))
            if let cpuPressureShare { cycleSpan.setAttribute("bitprobe.cpu_pressure", .double(cpuPressureShare)) }
            cycleSpan.end()
            if isStopping { break }
            state.recordProfile(cycleSpan)
            traces(cycleSpan)
            if let exporter = state.tracing { exportFailures.report(exporter.statistics, to: logger) }
            let now = WallClock.unixSeconds()
            let hostMemory = HostMemoryStatus.read()
            let pressure = MemoryPressureLevel.assess(usableBytes: hostMemory.usableBytes, capacityBytes: hostMemory.capacityBytes,
                                                      pressureSome: hostMemory.pressureSomeAvg10, pressureFull: hostMemory.pressureFullAvg10)
            rules.evaluate(results: results, pressure: pressure, baseline: baseline, now: now, cpuPressureShare: cpuPressureShare)
            notify(rules.notifiableAlerts)
            // The cycle's cost is everything the agent did for it: probes, trace conversion, rules.
            let cycleSeconds = MonotonicClock.seconds() - cycleStart
            cycles += 1
            busySeconds += cycleSeconds
            // Keep within the duty-cycle budget: a cycle of d seconds is followed by at least
            // d * (1 / budget - 1) seconds of rest, whatever the interval says.
            let rest = max(config.interval - cycleSeconds, cycleSeconds * (1 / config.dutyCycleBudget - 1))
                + (config.jitter > 0 ? Double.random(in: 0...config.jitter) : 0)
            let publishStart = MonotonicClock.seconds()
            publish(results: results, specs: specs, backend: backend, backendError: backendError, cycleSeconds: cycleSeconds,
                    plannedRest: rest, hostMemory: hostMemory, cpuPressureShare: cpuPressureShare)
            // Rendering the cycle's families is agent work too; it shows in the next cycle's ratio.
            busySeconds += MonotonicClock.seconds() - publishStart
            logger.info("probe cycle finished", metadata: [
                "cycle": "\(cycles)", "probes": "\(results.count)", "ok": "\(results.filter { $0.outcome == .ok }.count)",
                "seconds": "\(formatSecondsShort(cycleSeconds))", "next_in_seconds": "\(formatSecondsShort(rest))",
            ])
            _ = wakeup.wait(timeout: .now() + .milliseconds(Int(rest * 1000)))
        }
        cuda.close()
    }

    /// The duty cycle counts the rest planned after this cycle, so it reports the share the scheduler
    /// commits to (busy / (elapsed + planned rest)) rather than ~1 right after the first cycle.
    private func publish(results: [ProbeResult], specs: [ProbeSpec], backend: CPUBackend?, backendError: String, cycleSeconds: Double,
                         plannedRest: Double, hostMemory: HostMemoryStatus, cpuPressureShare: Double?) {
        let host = HostInfo.read()
        let cpu = AgentFamilies.DeviceStatus(
            backend: .cpu, device: "cpu0", name: host.cpuModel, up: backend != nil, reason: backendError,
            extraInfo: [("simd_path", backend?.simdPath.rawValue ?? ""), ("threads", backend.map { String($0.threads) } ?? "")],
            memoryFreeBytes: host.memoryAvailableBytes, memoryTotalBytes: host.memoryTotalBytes)
        let elapsed = MonotonicClock.seconds() - startedAt + plannedRest
        var families = recorder.families()
        families += AgentFamilies.devices([cpu] + AgentFamilies.cudaStatuses(cuda.platform))
        families += AgentFamilies.cycles(.init(cycles: Double(cycles), lastCycleSeconds: cycleSeconds,
                                               dutyCycleRatio: elapsed > 0 ? min(1, busySeconds / elapsed) : 0,
                                               dutyCycleBudget: config.dutyCycleBudget, cpuPressureShare: cpuPressureShare,
                                               contendedCycles: Double(contendedCycles)))
        families.append(AgentFamilies.build(version: BitProbeVersion.version, revision: BitProbeVersion.revision))
        families += AgentFamilies.memory(tracker: state.memory, host: hostMemory, leaks: state.memory.leaks, devicePressure: cuda.pressure)
        families.append(RuleEngine.family(rules.activeAlerts))
        families.append(RuleEngine.nodeFamily(rules.nodeFactors))
        families.append(AgentFamilies.baselineRatios(results: results, baseline: baseline))
        families.append(AgentFamilies.faultInjection(FaultInjection.active))
        families += AgentFamilies.synthetic(count: config.syntheticSeries)
        let largest = specs.max { $0.bufferBytes < $1.bufferBytes }.map { (name: $0.description, bytes: $0.bufferBytes) }
        state.publish(CycleSnapshot(cycle: cycles, completedAt: WallClock.unixSeconds(), results: results,
                                    rendered: families.map(RenderedFamily.init), backendUp: backend != nil,
                                    poolIdleBytes: backend?.bufferPool.counters.idleBytes ?? 0, largestProbe: largest,
                                    alerts: rules.activeAlerts, host: host, cpuPressureShare: cpuPressureShare))
    }
}

extension ProbeScheduler {
    /// Loads the configured baseline when the setting changed (start, reload); a missing or corrupt
    /// baseline is logged and compared with nothing.
    private func loadBaselineIfChanged() {
        guard baselineKey != config.baseline else { return }
        baselineKey = config.baseline
        baseline = nil
        guard let name = config.baseline.name else { return }
        do throws(BaselineError) {
            var directory = config.baseline.directory ?? ""
            if directory.isEmpty { directory = try BaselineStore.defaultDirectory(environment: environmentDictionary()) }
            let loaded = try BaselineStore(directory: directory).load(name)
            baseline = loaded
            logger.info("comparing with baseline", metadata: ["baseline": "\(name)", "probes": "\(loaded.results.count)"])
        } catch {
            logger.error("baseline unavailable; bitprobe_probe_baseline_ratio is not exported", metadata: ["baseline": "\(name)", "error": "\(error.description)"])
        }
    }
}

func formatSecondsShort(_ seconds: Double) -> String {
    let milliseconds = (seconds * 1000).rounded()
    return "\(milliseconds / 1000)"
}
