import Testing

@testable import Exposition

/// The rendered bytes read back by parsers that share no code with ours: PyPI's prometheus_client
/// (both its text 0.0.4 and its OpenMetrics parser) and promtool, Prometheus' own linter.
@Suite struct IndependentParserTests {
    static let summaryScript = """
        import sys
        from prometheus_client.parser import text_string_to_metric_families as parse_text
        from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics

        mode, path = sys.argv[1], sys.argv[2]
        parse = parse_openmetrics if mode == "openmetrics" else parse_text
        for family in parse(open(path, encoding="utf-8").read()):
            print(f"{family.name} {family.type} unit={family.unit or '-'} samples={len(family.samples)}")
            if family.name in ("bitprobe_device", "bitprobe_device_info"):
                print(f"  help {family.documentation!r}")
                for sample in family.samples:
                    print(f"  {sample.name} {sample.labels['name']!r} {sample.value}")
            for sample in family.samples:
                if sample.exemplar:
                    exemplar = sample.exemplar
                    labels = ",".join(f"{k}={v}" for k, v in sorted(exemplar.labels.items()))
                    timestamp = "-" if exemplar.timestamp is None else f"{float(exemplar.timestamp):.3f}"
                    print(f"  exemplar le={sample.labels['le']} {labels} {exemplar.value!r} {timestamp}")
        """

    static let expectedSummaries: [(ExpositionFormat, String)] = [
        (
            .prometheusText,
            """
            bitprobe_alerts gauge unit=- samples=0
            bitprobe_build_info gauge unit=- samples=1
            bitprobe_cycles counter unit=- samples=1
            bitprobe_device_info gauge unit=- samples=2
              help 'Device identity: "name" is as the driver reports it, a \\\\ stays a \\\\.\\nSecond line.'
              bitprobe_device_info 'Xeon "Gold" C:\\\\cpu\\nstepping 7' 1
              bitprobe_device_info 'NVIDIA H200 ✓' 1
            bitprobe_device_memory_total_bytes gauge unit=- samples=1
            bitprobe_legacy_value unknown unit=- samples=1
            bitprobe_probe_baseline_ratio gauge unit=- samples=3
            bitprobe_probe_duration_seconds histogram unit=- samples=30
            bitprobe_probe_efficiency_ratio gauge unit=- samples=2
            bitprobe_probe_last_success_timestamp_seconds gauge unit=- samples=1
            bitprobe_probe_ops_per_second gauge unit=- samples=5
            bitprobe_probe_runs counter unit=- samples=2
            bitprobe_transfer_size_bytes histogram unit=- samples=6

            """
        ),
        (
            .openMetrics,
            """
            bitprobe_alerts gauge unit=- samples=0
            bitprobe_build info unit=- samples=1
            bitprobe_cycles counter unit=- samples=1
            bitprobe_device info unit=- samples=2
              help 'Device identity: "name" is as the driver reports it, a \\\\ stays a \\\\.\\nSecond line.'
              bitprobe_device_info 'Xeon "Gold" C:\\\\cpu\\nstepping 7' 1
              bitprobe_device_info 'NVIDIA H200 ✓' 1
            bitprobe_device_memory_total_bytes gauge unit=bytes samples=1
            bitprobe_legacy_value unknown unit=- samples=1
            bitprobe_probe_baseline_ratio gauge unit=- samples=3
            bitprobe_probe_duration_seconds histogram unit=seconds samples=31
              exemplar le=0.1 span_id=00f067aa0ba902b7,trace_id=4bf92f3577b34da6a3ce929d0e0e4736 0.067 1700000000.123
              exemplar le=+Inf span_id=00f067aa0ba902b8,trace_id=4bf92f3577b34da6a3ce929d0e0e4737 12.5 -
            bitprobe_probe_efficiency_ratio gauge unit=- samples=2
            bitprobe_probe_last_success_timestamp_seconds gauge unit=seconds samples=1
            bitprobe_probe_ops_per_second gauge unit=- samples=5
            bitprobe_probe_runs counter unit=- samples=3
            bitprobe_transfer_size_bytes histogram unit=bytes samples=6

            """
        ),
    ]

    @Test(arguments: expectedSummaries)
    func prometheusClientParsesItBack(format: ExpositionFormat, expected: String) throws {
        let mode = format == .openMetrics ? "openmetrics" : "text"
        let document = TestFiles.temporaryPath("document-\(mode)")
        let script = TestFiles.temporaryPath("summary-\(mode).py")
        defer {
            TestFiles.remove(document)
            TestFiles.remove(script)
        }
        try TestFiles.write(ExpositionRenderer.render(RepresentativeFamilies.all, as: format), to: document)
        try TestFiles.write(Array(Self.summaryScript.utf8), to: script)
        let result = try TestFiles.run("python3 \(script) \(mode) \(document)")
        try #require(result.status == 0, "python3 with prometheus_client failed (pip install prometheus-client): \(result.output)")
        #expect(result.output == expected)
    }

    @Test func promtoolFindsNothingToReport() throws {
        let document = TestFiles.temporaryPath("promtool.prom")
        defer { TestFiles.remove(document) }
        try TestFiles.write(ExpositionRenderer.render(RepresentativeFamilies.all, as: .prometheusText), to: document)
        let result = try TestFiles.run("promtool check metrics < \(document)")
        #expect(result.status == 0, "promtool (Debian package prometheus) failed: \(result.output)")
        #expect(result.output == "")
    }

    /// Our number layouts against Python: `le` in OpenMetrics must equal prometheus_client's
    /// floatToGoString (its rendering of Go's %g plus ".0"), `le` in text and sample values must be
    /// that without the ".0" (sample values apart from exact integers), timestamps must have no
    /// exponent, and every style must read back as the same double. Values travel to Python as bit
    /// patterns, so nothing is rounded on the way.
    @Test func numbersMatchGoRenderingAndRoundTrip() throws {
        var values: [Double] = (1...10_000).map { Double($0) / 1000 }
        values += (-10...22).map { Double("1e\($0)")! }
        values += [1, 2, 5].flatMap { step in (-6...9).map { step * Double("1e\($0)")! } }
        values += values.map { -$0 }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<5_000 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            let mantissa = 1 + Double(state >> 11) / Double(1 << 53)
            let exponent = Int(state % 70) - 30
            if Double(bitPattern: state).isFinite { values.append(Double(bitPattern: state)) }
            values.append(mantissa * Double("1e\(exponent)")!)
        }
        var lines: [UInt8] = []
        for value in values {
            lines.append(contentsOf: String(value.bitPattern, radix: 16).utf8)
            for style in [NumberStyle.canonicalLabel, .goLabel, .value, .timestamp] {
                lines.append(UInt8(ascii: " "))
                lines.appendNumber(value, style)
            }
            lines.append(UInt8(ascii: "\n"))
        }
        let input = TestFiles.temporaryPath("numbers.txt")
        let script = TestFiles.temporaryPath("numbers.py")
        defer {
            TestFiles.remove(input)
            TestFiles.remove(script)
        }
        try TestFiles.write(lines, to: input)
        try TestFiles.write(
            Array(
                """
                import struct, sys
                from prometheus_client.utils import floatToGoString
                count = 0
                for line in open(sys.argv[1]):
                    bits, canonical, go, value, timestamp = line.split()
                    d = struct.unpack("<d", int(bits, 16).to_bytes(8, "little"))[0]
                    # floatToGoString only follows Go for positive numbers, the only ones le needs.
                    expected = floatToGoString(d) if d >= 0 else "-" + floatToGoString(-d)
                    if canonical != expected:
                        print("canonical", repr(d), canonical, expected)
                    if canonical != go and canonical != go + ".0":
                        print("go", repr(d), go, canonical)
                    if value != go and not (d.is_integer() and abs(d) < 2**53):
                        print("value", repr(d), value, go)
                    if "e" in timestamp or "E" in timestamp:
                        print("timestamp", repr(d), timestamp)
                    for text in (canonical, go, value, timestamp):
                        if float(text) != d:
                            print("round trip", repr(d), text)
                    count += 1
                print("checked", count)

                """.utf8
            ),
            to: script
        )
        let result = try TestFiles.run("python3 \(script) \(input)")
        #expect(result.status == 0)
        #expect(result.output == "checked \(values.count)\n")
    }
}
