import Exposition
import Testing

@testable import Agent
@testable import BitProbe

@Suite struct ProbeMetricsRecorderTests {
    let spec = try! ProbeSpec(op: .add, dtype: .f32, shape: ProbeShape([1000]))

    func result(_ outcome: ProbeOutcome, samples: [Double] = [0.001, 0.002], ops: Double? = nil, bytes: Double? = 6e9) -> ProbeResult {
        ProbeResult(
            spec: spec, outcome: outcome, detail: nil, startedAt: 1000, wallSeconds: 0.5, warmupIterations: 1, samples: samples,
            statistics: SampleStatistics(samples), operationsPerSecond: ops, bytesPerSecond: outcome == .ok ? bytes : nil,
            verification: nil, kernelPath: "avx2", threads: 2, seed: 1)
    }

    func family(_ families: [MetricFamily], _ name: String) throws -> MetricFamily {
        try #require(families.first { $0.name == name })
    }

    @Test func okRunFeedsEveryProbeFamily() throws {
        var recorder = ProbeMetricsRecorder()
        recorder.record(result(.ok))
        let families = recorder.families()
        guard case .histogram(let histogram) = try family(families, "bitprobe_probe_duration_seconds").metrics[0].value else {
            Issue.record("not a histogram"); return
        }
        #expect(histogram.count == 2)
        #expect(histogram.sum == 0.003)
        let runs = try family(families, "bitprobe_probe_runs").metrics
        #expect(runs.count == ProbeOutcome.allCases.count)
        #expect(runs.first { $0.labels["result"] == "ok" }?.value == .counter(1, created: nil))
        #expect(runs.first { $0.labels["result"] == "mismatch" }?.value == .counter(0, created: nil))
        #expect(try family(families, "bitprobe_probe_last_success_timestamp_seconds").metrics[0].value == .gauge(1000.5))
        #expect(try family(families, "bitprobe_probe_bytes_per_second").metrics[0].value == .gauge(6e9))
        #expect(
            try family(families, "bitprobe_probe_duration_seconds").metrics[0].labels
                == Labels([("backend", "cpu"), ("device", "cpu0"), ("dtype", "f32"), ("op", "add"), ("shape", "1000")]))
    }

    @Test func mismatchRemovesThroughputButKeepsHistory() throws {
        var recorder = ProbeMetricsRecorder()
        recorder.record(result(.ok))
        recorder.record(result(.mismatch))
        let families = recorder.families()
        #expect(try family(families, "bitprobe_probe_bytes_per_second").metrics.isEmpty)
        #expect(try family(families, "bitprobe_probe_last_success_timestamp_seconds").metrics[0].value == .gauge(1000.5))
        guard case .histogram(let histogram) = try family(families, "bitprobe_probe_duration_seconds").metrics[0].value else { return }
        #expect(histogram.count == 2, "samples of the wrong run are not observed")
        let runs = try family(families, "bitprobe_probe_runs").metrics
        #expect(runs.first { $0.labels["result"] == "mismatch" }?.value == .counter(1, created: nil))
    }

    @Test func everyFamilyValidatesAndRenders() throws {
        var recorder = ProbeMetricsRecorder()
        recorder.record(result(.ok, ops: 1e9))
        let families =
            recorder.families() + AgentFamilies.cycles(.init(cycles: 1, lastCycleSeconds: 2, dutyCycleRatio: 0.01, dutyCycleBudget: 0.05))
            + AgentFamilies.reload(.init(successful: true, lastSuccessTimestamp: 5)) + [AgentFamilies.build(version: "1.0", revision: "abc")]
        let text = String(decoding: ExpositionRenderer.render(families, as: .prometheusText), as: UTF8.self)
        #expect(text.contains("bitprobe_probe_runs_total{backend=\"cpu\",device=\"cpu0\",dtype=\"f32\",op=\"add\",result=\"ok\",shape=\"1000\"} 1\n"))
        #expect(text.contains("bitprobe_build_info{revision=\"abc\",version=\"1.0\"} 1\n"))
        #expect(text.contains("bitprobe_cycles_total 1\n"))
    }
}

@Suite struct ProcessMetricsTests {
    @Test func statFieldsAfterTheCommandName() throws {
        // The command name holds spaces and a parenthesis, as it may.
        let stat = "4242 (bit probe) x) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 150 0 0 20 0 8 0 12345 104857600 2560 18446744073709551615"
        let reading = try #require(ProcessMetrics.parse(stat: stat, systemStat: "cpu 1 2 3\nbtime 1700000000\n", ticksPerSecond: 100, pageSize: 4096))
        #expect(reading.cpuSeconds == 4)
        #expect(reading.startTimeSeconds == 1_700_000_000 + 123.45)
        #expect(reading.virtualBytes == 104_857_600)
        #expect(reading.residentBytes == 2560 * 4096)
    }

    @Test func maxOpenFilesIsTheSoftLimit() {
        let limits =
            "Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n"
        #expect(ProcessMetrics.parseMaxFDs(limits) == 1024)
    }

    @Test func liveReadingIsPlausible() throws {
        let reading = try #require(ProcessMetrics().read())
        #expect(reading.residentBytes > 1_048_576)
        #expect((reading.openFDs ?? 0) >= 3)
        #expect((reading.maxFDs ?? 0) >= 64)
    }
}

@Suite struct LogfmtTests {
    @Test func valuesAreQuotedOnlyWhenNeeded() {
        #expect(
            LogfmtLogHandler.logfmt([("level", "info"), ("msg", "probe cycle finished"), ("cycle", "3"), ("detail", "a=\"b\"\nc")])
                == #"level=info msg="probe cycle finished" cycle=3 detail="a=\"b\"\nc""#)
        #expect(LogfmtLogHandler.logfmt([("empty", "")]) == #"empty="""#)
    }

    @Test func jsonEscapesControlCharacters() {
        #expect(LogfmtLogHandler.json([("msg", "tab\there\u{1}")]) == #"{"msg":"tab\there\u0001"}"#)
    }

    @Test func timestampIsRFC3339() {
        let ts = LogfmtLogHandler.timestamp()
        #expect(ts.count == 24 && ts.hasSuffix("Z") && ts.dropFirst(10).hasPrefix("T"))
    }
}

@Suite struct WebConfigTests {
    func write(_ text: String, _ name: String) throws -> String {
        let path = "/tmp/bitprobe-webconfig-\(name).yml"
        try AtomicFile.write(Array(text.utf8), to: path)
        return path
    }

    @Test func usersAndTLSAreRead() throws {
        try AtomicFile.write(Array("CERT".utf8), to: "/tmp/bitprobe-webconfig-cert.pem")
        try AtomicFile.write(Array("KEY".utf8), to: "/tmp/bitprobe-webconfig-key.pem")
        let path = try write(
            "tls_server_config:\n  cert_file: bitprobe-webconfig-cert.pem\n  key_file: /tmp/bitprobe-webconfig-key.pem\nbasic_auth_users:\n  alice: $2y$10$abc\n",
            "ok")
        let config = try WebConfigLoader.load(path: path)
        #expect(config.tls?.certificatePEM == "CERT" && config.tls?.privateKeyPEM == "KEY")
        #expect(config.basicAuthUsers == ["alice": "$2y$10$abc"])
    }

    @Test(arguments: [
        ("basic_auth_users:\n  alice: plaintext\n", "2:10: basic_auth_users.alice: expected a bcrypt hash ($2a$, $2b$ or $2y$)"),
        (
            "tls_server_config:\n  cert_file: /nonexistent.crt\n  key_file: k\n",
            "2:14: tls_server_config.cert_file: cannot read '/nonexistent.crt': No such file or directory"
        ),
        ("tls_server_config:\n  key_file: k\n", "2:3: tls_server_config.cert_file: required when tls_server_config is set"),
        (
            "tls_server_config:\n  cert_file: /tmp/bitprobe-webconfig-cert.pem\n  key_file: /tmp/bitprobe-webconfig-key.pem\n  client_auth_type: RequireAndVerifyClientCert\n",
            "4:3: tls_server_config.client_auth_type: unknown key"
        ),
        ("http_server_config:\n  http2: false\n", "1:1: http_server_config: unknown key"),
    ])
    func badWebConfigsAreLocated(text: String, message: String) throws {
        try AtomicFile.write(Array("CERT".utf8), to: "/tmp/bitprobe-webconfig-cert.pem")
        try AtomicFile.write(Array("KEY".utf8), to: "/tmp/bitprobe-webconfig-key.pem")
        let path = try write(text, "bad-\(message.count)-\(text.count)")
        do {
            _ = try WebConfigLoader.load(path: path)
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "\(path):\(message)")
        }
    }
}
