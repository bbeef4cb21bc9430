import BitProbe
import Dispatch
import Logging
import Synchronization

/// Paces probe cycles on its own thread: every `interval` (plus jitter), within the duty-cycle
/// budget; takes a new config at a cycle boundary; stops. Each cycle is a `ProbeCycle` over the
/// CPU and GPU runners, and its `CycleReport` goes to the `CycleConsumers`. Never runs on HTTP threads.
final class ProbeScheduler: @unchecked Sendable {
    // @unchecked: `config`, `consumers`, `baseline` and the counters are touched only by the
    // scheduler thread; what other threads call (stop, reload) goes through `control`, `wakeup`
    // and the runners' `cancel()`.
    private struct Control {
        var stopping = false
        var pendingConfig: AgentConfig?
    }

    private let control = Mutex(Control())
    private let wakeup = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let state: AgentState
    private let logger: Logger

    private var config: AgentConfig
    private var consumers: CycleConsumers
    private var baseline: Baseline?
    private var baselineKey: AgentConfig.BaselineSettings?
    private let cpu: CPUProbeRunner
    /// The GPUs (docs/cuda.md), one runner each, opened again when `backends.cuda` changes.
    private let cuda: CUDARunners
    private var cycles = 0
    private var busySeconds = 0.0
    private let startedAt = MonotonicClock.seconds()

    init(
        config: AgentConfig, state: AgentState, logger: Logger, traceSink: ((ProfileSpan) -> Void)? = nil,
        notify: @escaping ([RuleEngine.Alert]) -> Void = { _ in }
    ) {
        self.config = config
        self.state = state
        self.logger = logger
        consumers = CycleConsumers(
            state: state, logger: logger, rules: config.rules, startedAt: WallClock.unixSeconds(),
            traceSink: traceSink, notify: notify)
        cpu = CPUProbeRunner(log: RunnerLog(logger), memory: state.memory)
        cuda = CUDARunners(log: RunnerLog(logger), memory: state.memory)
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
        cpu.cancel()
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
        var cycle = ProbeCycle(runners: [cpu])
        while !isStopping {
            let specs = takeConfig()
            // A reload that switches backends.cuda opens the GPUs again: their runners are new.
            cycle.runners = [cpu] + cuda.runners
            let cycleStart = MonotonicClock.seconds()
            let report = cycle.run(number: cycles + 1, isStopping: { [self] in isStopping })
            if report.stopped { break }
            consumers.take(report, baseline: baseline, now: WallClock.unixSeconds())
            // The cycle's cost is everything the agent did for it: probes, trace conversion, rules.
            let cycleSeconds = MonotonicClock.seconds() - cycleStart
            cycles += 1
            busySeconds += cycleSeconds
            // Keep within the duty-cycle budget: a cycle of d seconds is followed by at least
            // d * (1 / budget - 1) seconds of rest, whatever the interval says.
            let rest =
                max(config.interval - cycleSeconds, cycleSeconds * (1 / config.dutyCycleBudget - 1))
                + (config.jitter > 0 ? Double.random(in: 0...config.jitter) : 0)
            let publishStart = MonotonicClock.seconds()
            // The duty cycle counts the rest planned after this cycle, so it reports the share the
            // scheduler commits to (busy / (elapsed + planned rest)) rather than ~1 right after the first cycle.
            let elapsed = MonotonicClock.seconds() - startedAt + rest
            consumers.publish(
                report,
                pacing: .init(
                    cycles: cycles, cycleSeconds: cycleSeconds,
                    dutyCycleRatio: elapsed > 0 ? min(1, busySeconds / elapsed) : 0,
                    dutyCycleBudget: config.dutyCycleBudget),
                baseline: baseline, cpuBackend: cpu.backend, specs: specs, syntheticSeries: config.syntheticSeries,
                host: HostInfo.read(), completedAt: WallClock.unixSeconds())
            // Rendering the cycle's families is agent work too; it shows in the next cycle's ratio.
            busySeconds += MonotonicClock.seconds() - publishStart
            logger.info(
                "probe cycle finished",
                metadata: [
                    "cycle": "\(cycles)", "probes": "\(report.results.count)", "ok": "\(report.results.filter { $0.outcome == .ok }.count)",
                    "seconds": "\(formatSecondsShort(cycleSeconds))", "next_in_seconds": "\(formatSecondsShort(rest))",
                ])
            _ = wakeup.wait(timeout: .now() + .milliseconds(Int(rest * 1000)))
        }
        cuda.close()
    }

    /// Applies a pending config (rules, baseline, backends, suites) at the cycle boundary; returns
    /// the CPU suite, empty when it is invalid.
    private func takeConfig() -> [ProbeSpec] {
        if let newConfig = control.withLock({ state -> AgentConfig? in
            defer { state.pendingConfig = nil }
            return state.pendingConfig
        }) {
            config = newConfig
            consumers.replaceRules(newConfig.rules)
        }
        loadBaselineIfChanged()
        var specs: [ProbeSpec] = []
        do { specs = try config.probes.resolvedSuite() } catch {
            logger.error("probe suite invalid", metadata: ["reason": "\(error.description)"])
        }
        let probes = config.probes
        cpu.configure(threads: probes.threads, simd: probes.simd, specs: specs, config: probes.benchmarkConfig)
        if cuda.mode != config.backends.cuda { cuda.open(mode: config.backends.cuda) }
        cuda.configure(
            suite: { (device: String) throws(ProbeInputError) -> [ProbeSpec] in try probes.cudaSuite(device: device) },
            config: probes.benchmarkConfig)
        return specs
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
            let store = BaselineStore(directory: directory)
            let loaded = try store.load(name)
            try loaded.requireRounds(path: store.path(for: name))
            baseline = loaded
            logger.info("comparing with baseline", metadata: ["baseline": "\(name)", "probes": "\(loaded.results.count)"])
        } catch {
            logger.error(
                "baseline unavailable; bitprobe_probe_baseline_ratio is not exported", metadata: ["baseline": "\(name)", "error": "\(error.description)"])
        }
    }
}
