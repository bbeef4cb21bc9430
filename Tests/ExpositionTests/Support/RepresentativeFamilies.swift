import Exposition

/// One of each thing the renderer must get right, named as the agent's catalogue names things.
/// Families and series are listed out of order on purpose: the output must come sorted anyway.
enum RepresentativeFamilies {
    static let durationBounds: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 1, 10]

    static var all: [MetricFamily] {
        [
            probeRuns, cycles, probeDuration, opsPerSecond, efficiency, baselineRatio, deviceInfo, build,
            memoryTotal, lastSuccess, transferSize, legacyValue, alerts,
        ]
    }

    static let probeLabels: Labels = ["backend": "cpu", "device": "cpu0", "op": "matmul", "dtype": "f32", "shape": "512x512x512"]

    static var probeRuns: MetricFamily {
        MetricFamily(
            name: "bitprobe_probe_runs",
            help: "Probe runs by result.",
            type: .counter,
            metrics: [
                Metric(labels: probeLabels.adding("result", "ok"), value: .counter(1234, created: 1_700_000_000)),
                Metric(labels: probeLabels.adding("result", "mismatch"), value: .counter(0, created: nil)),
            ]
        )
    }

    static var cycles: MetricFamily {
        MetricFamily(
            name: "bitprobe_cycles",
            help: "Probe cycles completed.",
            type: .counter,
            metrics: [Metric(value: .counter(42, created: nil))]
        )
    }

    static var probeDuration: MetricFamily {
        var matmul = HistogramValue(upperBounds: durationBounds, created: 1_700_000_000.5)
        for value in [0.00009, 0.0003, 0.0003, 0.004, 0.067, 0.067, 0.2, 12.5] {
            matmul.observe(value)
        }
        matmul.observe(
            0.067,
            exemplar: Exemplar(
                labels: ["trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7"],
                value: 0.067,
                timestamp: 1_700_000_000.123
            )
        )
        matmul.observe(
            12.5,
            exemplar: Exemplar(
                labels: ["trace_id": "4bf92f3577b34da6a3ce929d0e0e4737", "span_id": "00f067aa0ba902b8"],
                value: 12.5
            )
        )
        var add = HistogramValue(upperBounds: durationBounds)
        add.observe(0.0004)
        // 129 code points of labels: one over OpenMetrics' limit, so this exemplar is left out.
        add.observe(
            0.0004,
            exemplar: Exemplar(labels: ["trace_id": String(repeating: "a", count: 121)], value: 0.0004, timestamp: 1_700_000_001)
        )
        let addLabels: Labels = ["backend": "cpu", "device": "cpu0", "op": "add", "dtype": "f32", "shape": "1048576"]
        return MetricFamily(
            name: "bitprobe_probe_duration_seconds",
            help: "Duration of one measured probe iteration.",
            type: .histogram,
            unit: "seconds",
            metrics: [Metric(labels: probeLabels, value: .histogram(matmul)), Metric(labels: addLabels, value: .histogram(add))]
        )
    }

    static var opsPerSecond: MetricFamily {
        MetricFamily(
            name: "bitprobe_probe_ops_per_second",
            help: "Operations per second of the last verified run.",
            type: .gauge,
            metrics: [
                Metric(labels: ["op": "ternary_matmul"], value: .gauge(1_234_567_800_000)),
                Metric(labels: ["op": "matmul"], value: .gauge(123_456.789)),
                Metric(labels: ["op": "add"], value: .gauge(1_234_567.5)),
                Metric(labels: ["op": "copy"], value: .gauge(1e21)),
                Metric(labels: ["op": "multiply"], value: .gauge(1.5e-7)),
            ]
        )
    }

    static var efficiency: MetricFamily {
        MetricFamily(
            name: "bitprobe_probe_efficiency_ratio",
            help: "Achieved throughput over the reference peak; NaN when no peak is known.",
            type: .gauge,
            metrics: [
                Metric(labels: ["device": "cpu0"], value: .gauge(0.8125)),
                Metric(labels: ["device": "cuda0"], value: .gauge(.nan)),
            ]
        )
    }

    static var baselineRatio: MetricFamily {
        MetricFamily(
            name: "bitprobe_probe_baseline_ratio",
            help: "Throughput over the baseline's.",
            type: .gauge,
            metrics: [
                Metric(labels: ["baseline": "zero"], value: .gauge(.infinity)),
                Metric(labels: ["baseline": "negative"], value: .gauge(-.infinity)),
                Metric(labels: ["baseline": "release-1.2"], value: .gauge(-0.0)),
            ]
        )
    }

    static var deviceInfo: MetricFamily {
        MetricFamily(
            name: "bitprobe_device",
            help: #"Device identity: "name" is as the driver reports it, a \ stays a \."# + "\nSecond line.",
            type: .info,
            metrics: [
                Metric(labels: ["backend": "cpu", "device": "cpu0", "name": "Xeon \"Gold\" C:\\cpu\nstepping 7"], value: .info),
                Metric(labels: ["backend": "cuda", "device": "cuda0", "name": "NVIDIA H200 ✓"], value: .info),
            ]
        )
    }

    static var build: MetricFamily {
        MetricFamily(
            name: "bitprobe_build",
            help: "Version and revision of the running agent.",
            type: .info,
            metrics: [Metric(labels: ["version": "0.1.0", "revision": "79f9eac"], value: .info)]
        )
    }

    static var memoryTotal: MetricFamily {
        MetricFamily(
            name: "bitprobe_device_memory_total_bytes",
            help: "Device memory in total.",
            type: .gauge,
            unit: "bytes",
            metrics: [Metric(labels: ["device": "cuda0"], value: .gauge(150_754_820_096))]
        )
    }

    static var lastSuccess: MetricFamily {
        MetricFamily(
            name: "bitprobe_probe_last_success_timestamp_seconds",
            help: "When the probe last ran and verified.",
            type: .gauge,
            unit: "seconds",
            metrics: [Metric(labels: ["op": "copy"], value: .gauge(1_700_000_000.123))]
        )
    }

    static var transferSize: MetricFamily {
        var sizes = HistogramValue(upperBounds: [1024, 1e6, 1.5e9])
        for value in [512.0, 4096, 2e9] { sizes.observe(value) }
        return MetricFamily(
            name: "bitprobe_transfer_size_bytes",
            help: "Sizes of copies, to show how le values are written.",
            type: .histogram,
            unit: "bytes",
            metrics: [Metric(value: .histogram(sizes))]
        )
    }

    static var legacyValue: MetricFamily {
        MetricFamily(
            name: "bitprobe_legacy_value",
            help: "A value of unknown type.",
            type: .unknown,
            metrics: [Metric(value: .gauge(7))]
        )
    }

    static var alerts: MetricFamily {
        MetricFamily(
            name: "bitprobe_alerts",
            help: "Alerts by state; no series while none is pending or firing.",
            type: .gauge
        )
    }
}
