import BitProbe
import Exposition
import HTTPServer
import OTLPExport

/// Device, build and agent-health families, built from plain values so they are easy to test.
enum AgentFamilies {
    static func build(version: String, revision: String) -> MetricFamily {
        MetricFamily(
            name: "bitprobe_build", help: "Version and git revision of this bitprobe build (value 1).", type: .info, unit: nil,
            metrics: [Metric(labels: Labels([("revision", revision), ("version", version)]), value: .info)])
    }

    static func devices(_ devices: [DeviceStatus]) -> [MetricFamily] {
        var up: [Metric] = []
        var info: [Metric] = []
        var free: [Metric] = []
        var total: [Metric] = []
        for device in devices {
            let labels = Labels([("backend", device.backend.rawValue), ("device", device.device)])
            up.append(Metric(labels: labels, value: .gauge(device.up ? 1 : 0)))
            info.append(
                Metric(
                    labels: Labels(
                        [("backend", device.backend.rawValue), ("device", device.device), ("name", device.name), ("reason", device.reason)] + device.extraInfo),
                    value: .info))
            if let bytes = device.memoryFreeBytes { free.append(Metric(labels: labels, value: .gauge(Double(bytes)))) }
            if let bytes = device.memoryTotalBytes { total.append(Metric(labels: labels, value: .gauge(Double(bytes)))) }
        }
        return [
            MetricFamily(
                name: "bitprobe_backend_up", help: "1 when the backend can run probes on the device, 0 when it cannot (see bitprobe_device_info's reason).",
                type: .gauge, unit: nil, metrics: up),
            MetricFamily(
                name: "bitprobe_device", help: "Device identity: name, SIMD path or architecture, and why the backend is down when it is.",
                type: .info, unit: nil, metrics: info),
            MetricFamily(
                name: "bitprobe_device_memory_free_bytes", help: "Memory available on the device (MemAvailable for the CPU).",
                type: .gauge, unit: "bytes", metrics: free),
            MetricFamily(
                name: "bitprobe_device_memory_total_bytes", help: "Total memory of the device.",
                type: .gauge, unit: "bytes", metrics: total),
        ]
    }

    struct CycleStatus {
        var cycles: Double
        var lastCycleSeconds: Double
        var dutyCycleRatio: Double
        var dutyCycleBudget: Double
        /// Share of the latest cycle's probe time in which some task waited for a CPU; nil without PSI.
        var cpuPressureShare: Double? = nil
        /// Cycles kept out of the regression rules because the CPUs were contended.
        var contendedCycles: Double = 0
    }

    static func cycles(_ status: CycleStatus) -> [MetricFamily] {
        let none = Labels([])
        return [
            MetricFamily(
                name: "bitprobe_cycles", help: "Probe cycles completed.", type: .counter, unit: nil,
                metrics: [Metric(labels: none, value: .counter(status.cycles, created: nil))]),
            MetricFamily(
                name: "bitprobe_cycle_duration_seconds", help: "Wall time of the latest probe cycle.", type: .gauge, unit: "seconds",
                metrics: [Metric(labels: none, value: .gauge(status.lastCycleSeconds))]),
            MetricFamily(
                name: "bitprobe_duty_cycle_ratio",
                help: "Share of wall time spent probing since the agent started, counting the rest planned after the latest cycle.", type: .gauge,
                unit: "ratio",
                metrics: [Metric(labels: none, value: .gauge(status.dutyCycleRatio))]),
            MetricFamily(
                name: "bitprobe_duty_cycle_budget_ratio", help: "Configured ceiling of the duty cycle.", type: .gauge, unit: "ratio",
                metrics: [Metric(labels: none, value: .gauge(status.dutyCycleBudget))]),
            MetricFamily(
                name: "bitprobe_cycle_cpu_pressure_ratio",
                help: "Share of the latest cycle's probe time in which some task waited for a CPU (Linux PSI); absent without PSI.",
                type: .gauge, unit: "ratio", metrics: status.cpuPressureShare.map { [Metric(labels: none, value: .gauge($0))] } ?? []),
            MetricFamily(
                name: "bitprobe_cycles_contended", help: "Probe cycles kept out of the regression rules because other work contended for the CPUs.",
                type: .counter, unit: nil, metrics: [Metric(labels: none, value: .counter(status.contendedCycles, created: nil))]),
        ]
    }

    struct ReloadStatus: Equatable {
        var successful: Bool
        var lastSuccessTimestamp: Double
    }

    static func reload(_ status: ReloadStatus) -> [MetricFamily] {
        let none = Labels([])
        return [
            MetricFamily(
                name: "bitprobe_config_last_reload_successful", help: "Whether the last configuration reload attempt was successful.", type: .gauge, unit: nil,
                metrics: [Metric(labels: none, value: .gauge(status.successful ? 1 : 0))]),
            MetricFamily(
                name: "bitprobe_config_last_reload_success_timestamp_seconds", help: "Unix time of the last successful configuration load.", type: .gauge,
                unit: "seconds",
                metrics: [Metric(labels: none, value: .gauge(status.lastSuccessTimestamp))]),
        ]
    }

    static func httpRequests(_ counts: [(handler: String, code: Int, count: Double)]) -> MetricFamily {
        MetricFamily(
            name: "bitprobe_http_requests", help: "HTTP requests served, by handler and status code.", type: .counter, unit: nil,
            metrics: counts.map { Metric(labels: Labels([("code", String($0.code)), ("handler", $0.handler)]), value: .counter($0.count, created: nil)) })
    }

    /// Requests refused 401 by the server before any handler ran: a rising rate is someone guessing.
    static func authenticationFailures(_ statistics: HTTPServerStatistics) -> MetricFamily {
        MetricFamily(
            name: "bitprobe_http_authentication_failures", help: "HTTP requests refused with 401: missing, malformed or wrong basic-auth credentials.",
            type: .counter, unit: nil, metrics: [Metric(labels: Labels([]), value: .counter(Double(statistics.authenticationFailures), created: nil))])
    }

    /// Probe memory accounting and memory pressure (docs/memory.md), `pressure` per device as the
    /// cycle assessed it (CycleReport.memoryPressure).
    static func memory(tracker: MemoryTracker, leaks: [MemoryLeak], pressure levels: [String: MemoryPressureLevel]) -> [MetricFamily] {
        var totals = tracker.totals
        if totals["cpu0"] == nil { totals["cpu0"] = MemoryTracker.DeviceTotals() }
        for device in levels.keys where totals[device] == nil { totals[device] = MemoryTracker.DeviceTotals() }
        var tracked: [Metric] = []
        var peak: [Metric] = []
        var events: [Metric] = []
        var pressure: [Metric] = []
        var leakCount: [Metric] = []
        for device in totals.keys.sorted() {
            let t = totals[device]!
            let labels = Labels([("device", device)])
            tracked.append(Metric(labels: labels, value: .gauge(Double(t.trackedBytes))))
            peak.append(Metric(labels: labels, value: .gauge(Double(t.peakBytes))))
            for kind in MemoryEventKind.allCases {
                events.append(Metric(labels: labels.adding("event", kind.rawValue), value: .counter(Double(t.events[kind] ?? 0), created: nil)))
            }
            if let level = levels[device] { pressure.append(Metric(labels: labels, value: .gauge(Double(level.rawValue)))) }
            leakCount.append(Metric(labels: labels, value: .counter(Double(leaks.filter { $0.device == device }.count), created: nil)))
        }
        return [
            MetricFamily(name: "bitprobe_memory_tracked_bytes", help: "Bytes probe buffers hold right now.", type: .gauge, unit: "bytes", metrics: tracked),
            MetricFamily(
                name: "bitprobe_memory_tracked_peak_bytes", help: "Most bytes probe buffers held at once since the agent started.", type: .gauge, unit: "bytes",
                metrics: peak),
            MetricFamily(
                name: "bitprobe_memory_events", help: "Probe memory events: allocate, release, free, pool_hit, pool_miss, transfers, allocation_failure.",
                type: .counter, unit: nil, metrics: events),
            MetricFamily(
                name: "bitprobe_memory_pressure_level", help: "Memory pressure: 0 low, 1 medium, 2 high, 3 critical (cut-offs in docs/memory.md).",
                type: .gauge, unit: nil, metrics: pressure),
            MetricFamily(
                name: "bitprobe_memory_leaks", help: "Probes that ended still holding memory they allocated.", type: .counter, unit: nil, metrics: leakCount),
        ]
    }

    /// Current median iteration time over the baseline's, per probe both ran verified (> 1 = slower).
    static func baselineRatios(results: [ProbeResult], baseline: Baseline?) -> MetricFamily {
        var metrics: [Metric] = []
        if let baseline {
            var reference: [ProbeSpec: Double] = [:]
            for result in baseline.results where result.outcome == .ok {
                // The median of its round medians: the level the gate compares with.
                if let median = SampleStatistics(result.roundMedians)?.median, median > 0 { reference[result.spec] = median }
            }
            for result in results where result.outcome == .ok {
                guard let median = result.statistics?.median, let base = reference[result.spec] else { continue }
                metrics.append(Metric(labels: ProbeMetricsRecorder.labels(for: result.spec).adding("baseline", baseline.name), value: .gauge(median / base)))
            }
        }
        return MetricFamily(
            name: "bitprobe_probe_baseline_ratio", help: "Median iteration time of the latest verified run over the configured baseline's (> 1 is slower).",
            type: .gauge, unit: "ratio", metrics: metrics)
    }

    /// 1 while a testing-only fault injection (BITPROBE_FAULT_INJECT) slows probes on purpose.
    static func faultInjection(_ injection: FaultInjection?) -> MetricFamily {
        MetricFamily(
            name: "bitprobe_fault_injection_active",
            help: "1 while BITPROBE_FAULT_INJECT slows matching probes on purpose (testing only): their timings are not real.",
            type: .gauge, metrics: [Metric(labels: Labels([("injection", injection?.description ?? "")]), value: .gauge(injection?.isInWindow == true ? 1 : 0))]
        )
    }

    static func alertmanager(_ counters: AlertmanagerNotifier.Counters) -> MetricFamily {
        MetricFamily(
            name: "bitprobe_alertmanager_notifications",
            help: "Batches of alerts posted to Alertmanager, by result (sent, failed after retries, dropped unsent).",
            type: .counter,
            metrics: [
                Metric(labels: Labels([("result", "dropped")]), value: .counter(Double(counters.dropped), created: nil)),
                Metric(labels: Labels([("result", "failed")]), value: .counter(Double(counters.failed), created: nil)),
                Metric(labels: Labels([("result", "sent")]), value: .counter(Double(counters.sent), created: nil)),
            ])
    }

    /// OTLP span export: spans by result and the time each export took.
    static func tracing(_ statistics: OTLPExportStatistics) -> [MetricFamily] {
        var durations = HistogramValue(upperBounds: OTLPExportStatistics.exportDurationUpperBounds)
        durations.bucketCounts = statistics.exportDurationBucketCounts
        durations.sum = statistics.exportDurationSum
        return [
            MetricFamily(
                name: "bitprobe_otlp_spans",
                help: "Spans handed to the OTLP exporter, by result: exported, dropped (queue full), failed (rejected or retries exhausted).",
                type: .counter,
                metrics: [
                    Metric(labels: Labels([("result", "dropped")]), value: .counter(Double(statistics.spansDropped), created: nil)),
                    Metric(labels: Labels([("result", "exported")]), value: .counter(Double(statistics.spansExported), created: nil)),
                    Metric(labels: Labels([("result", "failed")]), value: .counter(Double(statistics.spansFailed), created: nil)),
                ]),
            MetricFamily(
                name: "bitprobe_otlp_export_duration_seconds", help: "Time of each OTLP export, retries included.", type: .histogram, unit: "seconds",
                metrics: [Metric(value: .histogram(durations))]),
            MetricFamily(
                name: "bitprobe_otlp_queued_spans", help: "Spans waiting in the OTLP export queue.", type: .gauge,
                metrics: [Metric(value: .gauge(Double(statistics.queuedSpans)))]),
        ]
            + (statistics.failedRequestsByCode.isEmpty
                ? []
                : [
                    MetricFamily(
                        name: "bitprobe_otlp_export_request_failures",
                        help: "OTLP export requests that failed, retries included, by HTTP status (none: no answer).",
                        type: .counter,
                        metrics: statistics.failedRequestsByCode.sorted { $0.key < $1.key }.map {
                            Metric(labels: Labels([("code", $0.key)]), value: .counter(Double($0.value), created: nil))
                        })
                ])
    }

    /// Benchmark-only constant series (`benchmark.synthetic_series`), to measure /metrics at scale.
    static func synthetic(count: Int) -> [MetricFamily] {
        guard count > 0 else { return [] }
        return [
            MetricFamily(
                name: "bitprobe_benchmark_synthetic", help: "Benchmark-only constant series (benchmark.synthetic_series in the config).",
                type: .gauge, unit: nil,
                metrics: (0..<count).map { Metric(labels: Labels([("series", String($0))]), value: .gauge(Double($0))) })
        ]
    }
}
