import Testing

@testable import OTLPExport

#if canImport(Glibc)
import Glibc
import SpanModel
#endif

/// The real exporter (libcurl) against the Python receiver built on the official OTLP classes,
/// on 127.0.0.1, with the collector faults the exporter must survive.
@Suite(.serialized) struct ReceiverTests {
    static let scope = OTLPInstrumentationScope(name: "bitprobe-test", version: "9.9")

    /// Short timers so that every test ends in seconds.
    static func config(_ url: String, _ configure: (inout OTLPExporterConfig) -> Void = { _ in }) -> OTLPExporterConfig {
        var config = OTLPExporterConfig(endpoint: url)
        config.batch.scheduleDelay = .milliseconds(20)
        config.batch.exportTimeout = .seconds(10)
        config.timeout = .seconds(2)
        config.retry.initialBackoff = .milliseconds(100)
        configure(&config)
        return config
    }

    static func exporter(_ config: OTLPExporterConfig, resource: OTLPResource = OTLPResource(attributes: [])) throws -> OTLPTraceExporter {
        let exporter = OTLPTraceExporter(config: config, resource: resource, scopeName: scope.name, scopeVersion: scope.version)
        try exporter.start()
        return exporter
    }

    static func spans(_ count: Int) -> [FinishedSpan] {
        let trace = TraceID.random()
        return (0..<count).map { index in
            FinishedSpan(traceID: trace, spanID: .random(), parentSpanID: nil, name: "span \(index)", startUnixNano: 1_000, endUnixNano: 2_000)
        }
    }

    static func seconds(since start: UInt64) -> Double {
        Double(SystemClock().monotonicNanoseconds() - start) / 1e9
    }

    @Test func transientFailuresAreRetriedAndDeliveredOnce() throws {
        try #require(ReceiverProcess.isAvailable, ReceiverProcess.unavailableMessage)
        let receiver = try ReceiverProcess(script: #"{"responses": [{"status": 503}, {"status": 503}]}"#)
        let exporter = try Self.exporter(Self.config(receiver.url))
        let spans = Self.spans(3)
        exporter.export(spans)
        #expect(exporter.shutdown(deadline: .seconds(10)))

        let requests = receiver.requests()
        #expect(requests.map(\.status) == [503, 503, 200])
        let delivered = requests.filter { $0.status == 200 }.flatMap(\.spans).map(\.spanID)
        #expect(delivered.sorted() == spans.map(\.spanID.hex).sorted(), "each span delivered exactly once")
        let statistics = exporter.statistics
        #expect(statistics.spansExported == 3)
        #expect(statistics.exportRequests == 3)
        #expect(statistics.retries == 2)
        #expect(statistics.spansFailed == 0)
    }

    @Test func retryAfterIsHonoured() throws {
        try #require(ReceiverProcess.isAvailable, ReceiverProcess.unavailableMessage)
        let receiver = try ReceiverProcess(script: #"{"responses": [{"status": 429, "retry_after": "2"}]}"#)
        let exporter = try Self.exporter(Self.config(receiver.url) { $0.retry.initialBackoff = .milliseconds(10) })
        exporter.export(Self.spans(1))
        #expect(exporter.shutdown(deadline: .seconds(10)))

        let requests = receiver.requests()
        #expect(requests.map(\.status) == [429, 200])
        if requests.count == 2 {
            let gap = requests[1].arrival - requests[0].arrival
            #expect(gap >= 2.0 && gap < 5, "waited \(gap) s")
        }
        #expect(exporter.statistics.spansExported == 1)
    }

    @Test func badRequestIsDroppedWithoutRetry() throws {
        try #require(ReceiverProcess.isAvailable, ReceiverProcess.unavailableMessage)
        let receiver = try ReceiverProcess(script: #"{"default": {"status": 400}}"#)
        let exporter = try Self.exporter(Self.config(receiver.url))
        exporter.export(Self.spans(2))
        #expect(exporter.shutdown(deadline: .seconds(10)))

        #expect(receiver.requests().map(\.status) == [400])
        let statistics = exporter.statistics
        #expect(statistics.spansFailed == 2)
        #expect(statistics.retries == 0)
        #expect(statistics.lastFailure == "POST \(receiver.url): HTTP 400 (not retryable)")
    }

    @Test func collectorDownBoundsTheQueueAndExportResumesWhenItReturns() throws {
        try #require(ReceiverProcess.isAvailable, ReceiverProcess.unavailableMessage)
        let port = unusedLoopbackPort()
        let url = "http://127.0.0.1:\(port)/v1/traces"
        let exporter = try Self.exporter(
            Self.config(url) {
                $0.batch.maxQueueSize = 50
                $0.batch.maxExportBatchSize = 10
                $0.retry.maxAttempts = 3
                $0.retry.initialBackoff = .milliseconds(50)
                $0.batch.exportTimeout = .seconds(1)
            })
        var offered = 0
        var largestQueue = 0
        let start = SystemClock().monotonicNanoseconds()
        for _ in 0..<40 {
            exporter.export(Self.spans(10))
            offered += 10
            largestQueue = max(largestQueue, exporter.statistics.queuedSpans)
            usleep(10_000)
        }
        #expect(Self.seconds(since: start) < 2, "export never waits for a collector that is down")
        let whileDown = exporter.statistics
        #expect(largestQueue <= 50)
        #expect(whileDown.spansDropped > 0)
        #expect(whileDown.spansExported == 0)
        #expect(whileDown.lastFailure?.contains("Failed to connect to 127.0.0.1") == true, "\(whileDown.lastFailure ?? "")")

        let receiver = try ReceiverProcess(port: port)
        let marker = Self.spans(1)
        exporter.export(marker)
        offered += 1
        let received = receiver.waitForRequests(1)
        #expect(!received.isEmpty)
        #expect(exporter.shutdown(deadline: .seconds(10)))
        let delivered = Set(receiver.requests().flatMap(\.spans).map(\.spanID))
        #expect(delivered.contains(marker[0].spanID.hex))
        let statistics = exporter.statistics
        #expect(statistics.spansExported == UInt64(delivered.count))
        #expect(statistics.spansExported + statistics.spansDropped + statistics.spansFailed == UInt64(offered))
    }

    @Test func aSlowCollectorIsBoundedByTheRequestTimeout() throws {
        try #require(ReceiverProcess.isAvailable, ReceiverProcess.unavailableMessage)
        let receiver = try ReceiverProcess(script: #"{"default": {"delay": 3}}"#)
        let exporter = try Self.exporter(
            Self.config(receiver.url) {
                $0.timeout = .milliseconds(300)
                $0.retry.maxAttempts = 2
                $0.retry.initialBackoff = .milliseconds(50)
            })
        let start = SystemClock().monotonicNanoseconds()
        exporter.export(Self.spans(1))
        while exporter.statistics.spansFailed == 0, Self.seconds(since: start) < 5 { usleep(10_000) }
        let took = Self.seconds(since: start)
        // Without the timeout, each attempt would last the receiver's 3 s.
        #expect(took > 0.6 && took < 2.5, "two 300 ms attempts took \(took) s")
        let statistics = exporter.statistics
        #expect(statistics.spansFailed == 1)
        #expect(statistics.exportRequests == 2)
        #expect(statistics.lastFailure?.contains("timed out") == true, "\(statistics.lastFailure ?? "")")
        #expect(receiver.waitForRequests(2).count == 2)
        #expect(exporter.shutdown(deadline: .seconds(2)))
    }

    @Test func shutdownStopsARequestInFlightAtTheDeadline() throws {
        try #require(ReceiverProcess.isAvailable, ReceiverProcess.unavailableMessage)
        let receiver = try ReceiverProcess(script: #"{"default": {"delay": 5}}"#)
        let exporter = try Self.exporter(Self.config(receiver.url) { $0.timeout = .seconds(10) })
        exporter.export(Self.spans(2))
        #expect(receiver.waitForRequests(1).count == 1)
        let start = SystemClock().monotonicNanoseconds()
        #expect(exporter.shutdown(deadline: .milliseconds(300)))
        let took = Self.seconds(since: start)
        #expect(took >= 0.25 && took <= 1, "shutdown took \(took) s")
        #expect(exporter.statistics.spansFailed == 2)
        #expect(exporter.statistics.lastFailure == "POST \(receiver.url): stopped by the shutdown deadline")
    }

    @Test func httpsTrustsTheConfiguredCertificateAndNothingElse() throws {
        try #require(ReceiverProcess.isAvailable, ReceiverProcess.unavailableMessage)
        var template = Array("/tmp/otlp-tls-XXXXXX".utf8CString)
        let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        defer { _ = system("rm -rf '\(directory)'") }
        let certificate = directory + "/cert.pem"
        let key = directory + "/key.pem"
        let made = system(
            "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
                + "-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout '\(key)' -out '\(certificate)' 2>/dev/null")
        try #require(made == 0, "openssl req failed")
        let receiver = try ReceiverProcess(tls: (certificate, key))
        let url = "https://127.0.0.1:\(receiver.port)/v1/traces"

        let trusting = try Self.exporter(Self.config(url) { $0.certificateFile = certificate })
        trusting.export(Self.spans(1))
        #expect(trusting.shutdown(deadline: .seconds(10)))
        #expect(trusting.statistics.spansExported == 1)

        // The system trust store does not know this certificate: a permanent failure, not retried.
        let untrusting = try Self.exporter(Self.config(url))
        untrusting.export(Self.spans(1))
        #expect(untrusting.shutdown(deadline: .seconds(10)))
        let statistics = untrusting.statistics
        #expect(statistics.spansFailed == 1)
        #expect(statistics.exportRequests == 1)
        #expect(statistics.lastFailure?.contains("(not retryable)") == true, "\(statistics.lastFailure ?? "")")
        #expect(receiver.requests().count == 1)
    }

    @Test func decodedSpansKeepTheirStructure() throws {
        try #require(ReceiverProcess.isAvailable, ReceiverProcess.unavailableMessage)
        let receiver = try ReceiverProcess()
        let (resource, errors) = OTLPResource.fromEnvironment(
            ["OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=lab,team=ml%20infra", "OTEL_SERVICE_NAME": "bitprobe-lab"],
            defaults: [("service.name", .string("bitprobe")), ("host.name", .string("node-1")), ("process.pid", .int(4242))]
        )
        #expect(errors.isEmpty)
        let exporter = try Self.exporter(
            Self.config(receiver.url) {
                $0.compression = .gzip
                $0.headers = [("x-tenant", "lab team"), ("Authorization", "Bearer abc")]
            }, resource: resource)

        let trace = TraceID.random()
        let cycle = SpanID.random()
        let probe = SpanID.random()
        let now: UInt64 = 1_760_000_000_000_000_000
        let spans = [
            FinishedSpan(
                traceID: trace, spanID: probe, parentSpanID: cycle, name: "probe matmul", startUnixNano: now + 1_000, endUnixNano: now + 900_000,
                attributes: [("op", .string("matmul")), ("shape", .string("64x64x64")), ("ops_per_second", .double(1.5e9)), ("verified", .bool(true))],
                events: [SpanEvent(name: "mismatch", timeUnixNano: now + 500_000, attributes: [("index", .int(3)), ("error", .double(0.25))])],
                status: .error, statusMessage: "result mismatch"),
            FinishedSpan(
                traceID: trace, spanID: .random(), parentSpanID: probe, name: "measure", startUnixNano: now + 2_000, endUnixNano: now + 800_000,
                attributes: [("iterations", .int(-7))]),
            FinishedSpan(
                traceID: trace, spanID: cycle, parentSpanID: nil, name: "cycle", startUnixNano: now, endUnixNano: now + 1_000_000,
                attributes: [("bitprobe.cycle", .int(12))], status: .ok),
        ]
        exporter.export(spans)
        #expect(exporter.shutdown(deadline: .seconds(10)))

        let requests = receiver.requests()
        try #require(requests.count == 1)
        let request = requests[0]
        #expect(request.error == nil)
        #expect(request.status == 200)
        #expect(request.headers["content-type"] == "application/x-protobuf")
        #expect(request.headers["content-encoding"] == "gzip")
        #expect(request.headers["user-agent"] == "bitprobe-test/9.9")
        #expect(request.headers["x-tenant"] == "lab team")
        #expect(request.headers["authorization"] == "Bearer abc")
        #expect(
            request.resource.map { "\($0.0)=\($0.1)" } == [
                "service.name=string:bitprobe-lab", "host.name=string:node-1", "process.pid=int:4242",
                "deployment.environment=string:lab", "team=string:ml infra",
            ])
        #expect(request.scope?.name == "bitprobe-test")
        #expect(request.scope?.version == "9.9")
        #expect(request.spans.map(\.name) == ["probe matmul", "measure", "cycle"])
        #expect(request.spans.allSatisfy { $0.traceID == trace.hex && $0.start < $0.end && $0.kind == 1 && $0.flags == 0x101 })

        let byName = Dictionary(uniqueKeysWithValues: request.spans.map { ($0.name, $0) })
        let root = try #require(byName["cycle"])
        let probeSpan = try #require(byName["probe matmul"])
        let phase = try #require(byName["measure"])
        #expect(root.parentID == nil)
        #expect(root.spanID == cycle.hex)
        #expect(probeSpan.parentID == cycle.hex)
        #expect(phase.parentID == probe.hex)
        #expect(root.statusCode == 1)
        #expect(probeSpan.statusCode == 2)
        #expect(probeSpan.statusMessage == "result mismatch")
        #expect(phase.statusCode == 0)
        #expect(
            probeSpan.attributes == [
                "op": "string:matmul", "shape": "string:64x64x64", "ops_per_second": "double:1500000000.0", "verified": "bool:true",
            ])
        #expect(phase.attributes == ["iterations": "int:-7"])
        #expect(probeSpan.events.map { "\($0.name)@\($0.time)/\($0.attributeCount)" } == ["mismatch@\(now + 500_000)/2"])
        #expect(root.start == now && root.end == now + 1_000_000)
    }
}
