import Exposition
import Testing

@Suite struct RendererTests {
    static func text(_ families: [MetricFamily], _ format: ExpositionFormat) -> String {
        String(decoding: ExpositionRenderer.render(families, as: format), as: UTF8.self)
    }

    static func histogramFamily(_ value: HistogramValue, labels: Labels = Labels()) -> MetricFamily {
        MetricFamily(
            name: "bitprobe_probe_duration_seconds", help: "Durations.", type: .histogram, unit: "seconds",
            metrics: [Metric(labels: labels, value: .histogram(value))])
    }

    @Test func exemplarAtTheLimitIsKeptAndOneOverIsDropped() {
        // trace_id is 8 code points; "é" is one code point but two UTF-8 bytes, so bytes are not what counts.
        let atLimit: Labels = ["trace_id": String(repeating: "é", count: 120)]
        let overLimit: Labels = ["trace_id": String(repeating: "é", count: 121)]
        var value = HistogramValue(upperBounds: [1])
        value.observe(0.5, exemplar: Exemplar(labels: atLimit, value: 0.5))
        value.observe(2, exemplar: Exemplar(labels: overLimit, value: 2))
        let rendered = Self.text([Self.histogramFamily(value)], .openMetrics)
        #expect(rendered.contains(#"_bucket{le="1.0"} 1 # {trace_id=""# + String(repeating: "é", count: 120) + #""} 0.5"#))
        #expect(rendered.contains("_bucket{le=\"+Inf\"} 2\n"))
        #expect(!Self.text([Self.histogramFamily(value)], .prometheusText).contains(" # {"))
    }

    @Test func negativeBoundsLeaveOutSumAndCountInOpenMetricsOnly() {
        var value = HistogramValue(upperBounds: [-1, 0])
        value.observe(-3)
        value.observe(0.5)
        let family = MetricFamily(name: "bitprobe_offset_seconds", help: "Offsets.", type: .histogram, metrics: [Metric(value: .histogram(value))])
        #expect(
            Self.text([family], .openMetrics) == """
                # TYPE bitprobe_offset_seconds histogram
                # HELP bitprobe_offset_seconds Offsets.
                bitprobe_offset_seconds_bucket{le="-1.0"} 1
                bitprobe_offset_seconds_bucket{le="0.0"} 1
                bitprobe_offset_seconds_bucket{le="+Inf"} 2
                # EOF

                """
        )
        #expect(
            Self.text([family], .prometheusText) == """
                # HELP bitprobe_offset_seconds Offsets.
                # TYPE bitprobe_offset_seconds histogram
                bitprobe_offset_seconds_bucket{le="-1"} 1
                bitprobe_offset_seconds_bucket{le="0"} 1
                bitprobe_offset_seconds_bucket{le="+Inf"} 2
                bitprobe_offset_seconds_sum -2.5
                bitprobe_offset_seconds_count 2

                """
        )
    }

    @Test func emptyHelpIsLeftOutRatherThanWrittenEmpty() {
        let family = MetricFamily(name: "bitprobe_up", help: "", type: .gauge, metrics: [Metric(value: .gauge(1))])
        #expect(Self.text([family], .prometheusText) == "# TYPE bitprobe_up gauge\nbitprobe_up 1\n")
        #expect(Self.text([family], .openMetrics) == "# TYPE bitprobe_up gauge\nbitprobe_up 1\n# EOF\n")
    }

    @Test func emptyDocument() {
        #expect(ExpositionRenderer.render([], as: .prometheusText).isEmpty)
        #expect(Self.text([], .openMetrics) == "# EOF\n")
    }

    @Test func sortsFamiliesAndSeriesByBytes() {
        let family = MetricFamily(
            name: "bitprobe_x", help: "X.", type: .gauge,
            metrics: [
                Metric(labels: ["a": "b", "c": "d"], value: .gauge(4)),
                Metric(labels: ["a": "é"], value: .gauge(5)),
                Metric(labels: ["a": "b"], value: .gauge(3)),
                Metric(labels: ["a": "B"], value: .gauge(2)),
                Metric(value: .gauge(1)),
            ]
        )
        let other = MetricFamily(name: "bitprobe_X", help: "Upper case sorts first.", type: .gauge, metrics: [Metric(value: .gauge(0))])
        #expect(
            Self.text([family, other], .prometheusText) == """
                # HELP bitprobe_X Upper case sorts first.
                # TYPE bitprobe_X gauge
                bitprobe_X 0
                # HELP bitprobe_x X.
                # TYPE bitprobe_x gauge
                bitprobe_x 1
                bitprobe_x{a="B"} 2
                bitprobe_x{a="b"} 3
                bitprobe_x{a="b",c="d"} 4
                bitprobe_x{a="é"} 5

                """
        )
    }

    @Test func labelsCompareByBytesNotByUnicodeEquivalence() {
        let composed: Labels = ["name": "\u{E9}"]
        let decomposed: Labels = ["name": "e\u{301}"]
        #expect(composed != decomposed)
        #expect(Set([composed, decomposed]).count == 2)
        #expect(composed.description == #"{name="é"}"#)
    }

    @Test func labelsAreSortedAndLookedUp() {
        let labels = Labels([("op", "add"), ("backend", "cpu")]).adding("result", "ok")
        #expect(labels.pairs.map(\.name) == ["backend", "op", "result"])
        #expect(labels["op"] == "add")
        #expect(labels["dtype"] == nil)
        #expect(labels.count == 3)
        #expect(Labels().isEmpty)
        #expect(Labels().description == "{}")
    }

    @Test func observeFillsBucketsAndKeepsTheLatestExemplar() {
        var value = HistogramValue(upperBounds: [0.1, 1, 10])
        let first = Exemplar(labels: ["trace_id": "1"], value: 0.5)
        let second = Exemplar(labels: ["trace_id": "2"], value: 0.7, timestamp: 1_700_000_000)
        for observation in [0.05, 0.1, 0.5, 1, 100, -2] { value.observe(observation) }
        value.observe(0.5, exemplar: first)
        value.observe(0.7, exemplar: second)
        value.observe(.nan)
        #expect(value.bucketCounts == [3, 4, 0, 1])
        #expect(value.count == 8)
        #expect(value.sum == 0.05 + 0.1 + 0.5 + 1 + 100 - 2 + 0.5 + 0.7)
        #expect(value.exemplars == [nil, second, nil, nil])
    }

    @Test func counterCreatedAppearsOnlyInOpenMetrics() {
        let family = MetricFamily(
            name: "bitprobe_cycles", help: "Cycles.", type: .counter,
            metrics: [Metric(value: .counter(3, created: 1_700_000_000.25))])
        #expect(Self.text([family], .prometheusText) == "# HELP bitprobe_cycles_total Cycles.\n# TYPE bitprobe_cycles_total counter\nbitprobe_cycles_total 3\n")
        #expect(
            Self.text([family], .openMetrics)
                == "# TYPE bitprobe_cycles counter\n# HELP bitprobe_cycles Cycles.\nbitprobe_cycles_total 3\nbitprobe_cycles_created 1700000000.25\n# EOF\n"
        )
    }

    @Test func renderedFamilyHoldsBothFormats() {
        let family = RepresentativeFamilies.probeDuration
        let rendered = RenderedFamily(family)
        for format in ExpositionFormat.allCases {
            var direct: [UInt8] = []
            ExpositionRenderer.renderFamily(family, as: format, into: &direct)
            #expect(rendered.bytes(in: format) == direct)
        }
        #expect(rendered.name == "bitprobe_probe_duration_seconds")
    }
}
