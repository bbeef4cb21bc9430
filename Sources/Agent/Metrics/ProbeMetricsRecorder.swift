import BitProbe
import Exposition

/// Turns each cycle's probe results into the probe series of the metric catalogue, accumulating
/// counters and histograms across cycles. Owned by the scheduler thread; it hands out value
/// snapshots (`families()`), never shared state.
struct ProbeMetricsRecorder {
    /// Classic buckets for probe iteration times: the probes range from ~10 µs (small elementwise
    /// ops) to seconds (big GEMMs on slow paths), so 1-2.5-5 steps over six decades.
    static let durationBuckets: [Double] = [
        0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
        0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]

    private struct ProbeSeries {
        var labels: Labels
        var durations = HistogramValue(upperBounds: ProbeMetricsRecorder.durationBuckets)
        var runs: [ProbeOutcome: Double] = Dictionary(uniqueKeysWithValues: ProbeOutcome.allCases.map { ($0, 0) })
        var lastSuccess: Double?
        /// Throughput of the latest run, present only while the latest run was ok: a wrong or
        /// failed run must not leave an old number on display.
        var operationsPerSecond: Double?
        var bytesPerSecond: Double?
    }

    private var series: [ProbeSpec: ProbeSeries] = [:]
    private var order: [ProbeSpec] = []

    static func labels(for spec: ProbeSpec) -> Labels {
        Labels(spec.labels.map { ($0.name, $0.value) })
    }

    mutating func record(_ result: ProbeResult, exemplar: (Double) -> Exemplar? = { _ in nil }) {
        let spec = result.spec
        if series[spec] == nil {
            series[spec] = ProbeSeries(labels: Self.labels(for: spec))
            order.append(spec)
        }
        series[spec]!.runs[result.outcome, default: 0] += 1
        if result.outcome == .ok {
            for sample in result.samples { series[spec]!.durations.observe(sample, exemplar: exemplar(sample)) }
            series[spec]!.lastSuccess = result.startedAt + result.wallSeconds
            series[spec]!.operationsPerSecond = result.operationsPerSecond
            series[spec]!.bytesPerSecond = result.bytesPerSecond
        } else {
            series[spec]!.operationsPerSecond = nil
            series[spec]!.bytesPerSecond = nil
        }
    }

    func families() -> [MetricFamily] {
        let all = order.compactMap { series[$0] }
        var durations: [Metric] = []
        var runs: [Metric] = []
        var lastSuccess: [Metric] = []
        var operations: [Metric] = []
        var bytes: [Metric] = []
        for probe in all {
            durations.append(Metric(labels: probe.labels, value: .histogram(probe.durations)))
            for outcome in ProbeOutcome.allCases {
                runs.append(Metric(labels: probe.labels.adding("result", outcome.rawValue), value: .counter(probe.runs[outcome] ?? 0, created: nil)))
            }
            if let time = probe.lastSuccess { lastSuccess.append(Metric(labels: probe.labels, value: .gauge(time))) }
            if let value = probe.operationsPerSecond { operations.append(Metric(labels: probe.labels, value: .gauge(value))) }
            if let value = probe.bytesPerSecond { bytes.append(Metric(labels: probe.labels, value: .gauge(value))) }
        }
        return [
            MetricFamily(
                name: "bitprobe_probe_duration_seconds", help: "Time of one measured probe iteration (verified runs only).",
                type: .histogram, unit: "seconds", metrics: durations),
            MetricFamily(
                name: "bitprobe_probe_runs", help: "Probe runs by result (ok, failed, timeout, mismatch, skipped).",
                type: .counter, unit: nil, metrics: runs),
            MetricFamily(
                name: "bitprobe_probe_last_success_timestamp_seconds", help: "Unix time the probe last finished a verified run.",
                type: .gauge, unit: "seconds", metrics: lastSuccess),
            MetricFamily(
                name: "bitprobe_probe_ops_per_second",
                help: "Counted operations per second at the median iteration time of the latest run, when it verified (2MNK for matrix products).",
                type: .gauge, unit: nil, metrics: operations),
            MetricFamily(
                name: "bitprobe_probe_bytes_per_second", help: "Counted bytes per second at the median iteration time of the latest run, when it verified.",
                type: .gauge, unit: nil, metrics: bytes),
        ]
    }
}
