import Exposition
import Testing

@Suite struct ValidationTests {
    static let bounds: [Double] = [0.1, 1]

    static func histogram(_ value: HistogramValue, labels: Labels = ["op": "add"]) -> MetricFamily {
        MetricFamily(
            name: "bitprobe_probe_duration_seconds", help: "Durations.", type: .histogram, unit: "seconds",
            metrics: [Metric(labels: labels, value: .histogram(value))]
        )
    }

    static func gauge(_ name: String, unit: String? = nil, help: String = "A gauge.") -> MetricFamily {
        MetricFamily(name: name, help: help, type: .gauge, unit: unit, metrics: [Metric(value: .gauge(1))])
    }

    static let invalidFamilies: [(MetricFamily, String)] = [
        (gauge("0starts_with_digit"), "invalid metric name '0starts_with_digit': it must match [a-zA-Z_:][a-zA-Z0-9_:]* and must not start with '__'"),
        (gauge(""), "invalid metric name '': it must match [a-zA-Z_:][a-zA-Z0-9_:]* and must not start with '__'"),
        (gauge("__reserved"), "invalid metric name '__reserved': it must match [a-zA-Z_:][a-zA-Z0-9_:]* and must not start with '__'"),
        (gauge("bitprobe-dash"), "invalid metric name 'bitprobe-dash': it must match [a-zA-Z_:][a-zA-Z0-9_:]* and must not start with '__'"),
        (
            MetricFamily(name: "bitprobe_cycles_total", help: "Cycles.", type: .counter, metrics: [Metric(value: .counter(1, created: nil))]),
            "counter family 'bitprobe_cycles_total' must be named without its '_total' suffix; the renderer appends it"
        ),
        (
            MetricFamily(name: "bitprobe_build_info", help: "Build.", type: .info, metrics: [Metric(value: .info)]),
            "info family 'bitprobe_build_info' must be named without its '_info' suffix; the renderer appends it"
        ),
        (gauge("bitprobe_up", help: ""), "metric family 'bitprobe_up' has empty help text"),
        (gauge("bitprobe_size_bytes", unit: ""), "unit '' of metric family 'bitprobe_size_bytes' is empty or has characters outside [a-zA-Z0-9_:]"),
        (gauge("bitprobe_size_bytes", unit: "by tes"), "unit 'by tes' of metric family 'bitprobe_size_bytes' is empty or has characters outside [a-zA-Z0-9_:]"),
        (
            gauge("bitprobe_size", unit: "bytes"),
            "unit 'bytes' of metric family 'bitprobe_size' is not a suffix of its name; the name must end in '_bytes'"
        ),
        (
            gauge("bitprobe_sizebytes", unit: "bytes"),
            "unit 'bytes' of metric family 'bitprobe_sizebytes' is not a suffix of its name; the name must end in '_bytes'"
        ),
        (
            MetricFamily(name: "bitprobe_build_bytes", help: "Build.", type: .info, unit: "bytes", metrics: [Metric(value: .info)]),
            "metric family 'bitprobe_build_bytes' of type info cannot have a unit"
        ),
        (
            MetricFamily(name: "bitprobe_cycles", help: "Cycles.", type: .counter, metrics: [Metric(labels: ["a": "b"], value: .gauge(1))]),
            #"metric family 'bitprobe_cycles' has type counter but its series {a="b"} holds a different kind of value"#
        ),
        (
            MetricFamily(name: "bitprobe_cycles", help: "Cycles.", type: .counter, metrics: [Metric(value: .counter(-1, created: nil))]),
            "counter 'bitprobe_cycles' series {} has value -1; a counter must be a number >= 0"
        ),
        (
            MetricFamily(name: "bitprobe_cycles", help: "Cycles.", type: .counter, metrics: [Metric(value: .counter(.nan, created: nil))]),
            "counter 'bitprobe_cycles' series {} has value NaN; a counter must be a number >= 0"
        ),
        (
            MetricFamily(name: "bitprobe_cycles", help: "Cycles.", type: .counter, metrics: [Metric(value: .counter(1, created: .infinity))]),
            "metric family 'bitprobe_cycles' series {} has created timestamp +Inf; it must be finite"
        ),
        (
            MetricFamily(
                name: "bitprobe_memory_pressure_level", help: "Pressure.", type: .gauge,
                metrics: [Metric(labels: ["device": "cpu0"], value: .gauge(1)), Metric(labels: ["device": "cpu0"], value: .gauge(2))]
            ),
            #"metric family 'bitprobe_memory_pressure_level' has more than one series with labels {device="cpu0"}"#
        ),
        (
            histogram(HistogramValue(upperBounds: bounds), labels: ["le": "1"]),
            "metric family 'bitprobe_probe_duration_seconds' uses label 'le', which its type reserves for itself"
        ),
        (
            histogram(HistogramValue(upperBounds: [0.1, .infinity])),
            #"histogram 'bitprobe_probe_duration_seconds' series {op="add"}: upper bound +Inf at index 1 is not finite"#
        ),
        (
            histogram(HistogramValue(upperBounds: [.nan])),
            #"histogram 'bitprobe_probe_duration_seconds' series {op="add"}: upper bound NaN at index 0 is not finite"#
        ),
        (
            histogram(HistogramValue(upperBounds: [0.1, 0.5, 0.5])),
            #"histogram 'bitprobe_probe_duration_seconds' series {op="add"}: upper bound 0.5 at index 2 does not exceed the previous bound 0.5"#
        ),
        (
            histogram(HistogramValue(upperBounds: bounds, bucketCounts: [1, 2], sum: 1)),
            #"histogram 'bitprobe_probe_duration_seconds' series {op="add"}: has 2 bucket counts for 2 upper bounds; expected 3 (one more for +Inf)"#
        ),
        (
            histogram(HistogramValue(upperBounds: bounds, bucketCounts: [1, 2, 0], sum: 1, exemplars: [nil])),
            #"histogram 'bitprobe_probe_duration_seconds' series {op="add"}: has 1 exemplar slots for 3 buckets"#
        ),
        (
            histogram(HistogramValue(upperBounds: bounds, bucketCounts: [1, 0, 0], sum: .nan)),
            #"histogram 'bitprobe_probe_duration_seconds' series {op="add"}: sum is NaN"#
        ),
        (
            histogram(HistogramValue(upperBounds: bounds, bucketCounts: [1, 0, 0], sum: -5)),
            #"histogram 'bitprobe_probe_duration_seconds' series {op="add"}: sum -5 is negative, which OpenMetrics allows only when a bucket bound is negative"#
        ),
        (
            histogram(
                HistogramValue(
                    upperBounds: bounds, bucketCounts: [1, 0, 0], sum: 0.5,
                    exemplars: [Exemplar(labels: ["trace_id": "1"], value: 0.5), nil, nil]
                )
            ),
            #"histogram 'bitprobe_probe_duration_seconds' series {op="add"}: exemplar value 0.5 does not belong to the bucket with upper bound 0.1"#
        ),
        (
            histogram(
                HistogramValue(
                    upperBounds: bounds, bucketCounts: [0, 0, 1], sum: 0.5,
                    exemplars: [nil, nil, Exemplar(labels: ["trace_id": "1"], value: 0.5)]
                )
            ),
            #"histogram 'bitprobe_probe_duration_seconds' series {op="add"}: exemplar value 0.5 does not belong to the bucket with upper bound +Inf"#
        ),
        (
            histogram(
                HistogramValue(
                    upperBounds: bounds, bucketCounts: [1, 0, 0], sum: 0.05,
                    exemplars: [Exemplar(labels: ["trace_id": "1"], value: 0.05, timestamp: .nan), nil, nil]
                )
            ),
            #"histogram 'bitprobe_probe_duration_seconds' series {op="add"}: exemplar timestamp NaN is not finite"#
        ),
        (
            histogram(HistogramValue(upperBounds: bounds, created: -.infinity)),
            #"metric family 'bitprobe_probe_duration_seconds' series {op="add"} has created timestamp -Inf; it must be finite"#
        ),
    ]

    @Test(arguments: invalidFamilies)
    func rejectsInvalidFamily(family: MetricFamily, message: String) {
        #expect {
            try family.validate()
        } throws: { error in
            (error as? ExpositionError)?.description == message
        }
    }

    static let invalidSets: [([MetricFamily], String)] = [
        ([gauge("bitprobe_up"), gauge("bitprobe_up")], "metric family 'bitprobe_up' appears more than once"),
        (
            [histogram(HistogramValue(upperBounds: bounds)), gauge("bitprobe_probe_duration_seconds_count")],
            "metric families 'bitprobe_probe_duration_seconds' and 'bitprobe_probe_duration_seconds_count' both produce samples named 'bitprobe_probe_duration_seconds_count'"
        ),
        (
            [
                gauge("bitprobe_cycles_created"),
                MetricFamily(name: "bitprobe_cycles", help: "Cycles.", type: .counter, metrics: [Metric(value: .counter(1, created: nil))]),
            ],
            "metric families 'bitprobe_cycles_created' and 'bitprobe_cycles' both produce samples named 'bitprobe_cycles_created'"
        ),
        (
            [MetricFamily(name: "bitprobe_build", help: "Build.", type: .info, metrics: [Metric(value: .info)]), gauge("bitprobe_build_info")],
            "metric families 'bitprobe_build' and 'bitprobe_build_info' both produce samples named 'bitprobe_build_info'"
        ),
    ]

    @Test(arguments: invalidSets)
    func rejectsInvalidSet(families: [MetricFamily], message: String) {
        #expect {
            try MetricFamily.validate(families)
        } throws: { error in
            (error as? ExpositionError)?.description == message
        }
    }

    @Test func acceptsNegativeSumWithNegativeBound() throws {
        var value = HistogramValue(upperBounds: [-1, 0, 1])
        value.observe(-5)
        try Self.histogram(value).validate()
    }

    static let invalidLabelNames: [([(String, String)], String)] = [
        ([("", "x")], "invalid label name '': it must match [a-zA-Z_][a-zA-Z0-9_]* and must not start with '__'"),
        ([("1op", "x")], "invalid label name '1op': it must match [a-zA-Z_][a-zA-Z0-9_]* and must not start with '__'"),
        ([("__name__", "x")], "invalid label name '__name__': it must match [a-zA-Z_][a-zA-Z0-9_]* and must not start with '__'"),
        ([("op:kind", "x")], "invalid label name 'op:kind': it must match [a-zA-Z_][a-zA-Z0-9_]* and must not start with '__'"),
        ([("dtype", "f32"), ("op", "add"), ("dtype", "f16")], "label name 'dtype' appears more than once in one label set"),
    ]

    @Test(arguments: invalidLabelNames)
    func rejectsInvalidLabelNames(pairs: [(String, String)], message: String) {
        #expect {
            _ = try Labels(validating: pairs)
        } throws: { error in
            (error as? ExpositionError)?.description == message
        }
    }

    @Test func acceptsValidNames() throws {
        let labels = try Labels(validating: [("_private", "1"), ("op", ""), ("Device2", "x")])
        #expect(labels.pairs.map(\.name) == ["Device2", "_private", "op"])
        #expect(MetricFamily.isValidName("job:bitprobe_probe_ops_per_second:avg5m"))
        #expect(!MetricFamily.isValidName("bitprobe_ünïcode"))
    }
}
