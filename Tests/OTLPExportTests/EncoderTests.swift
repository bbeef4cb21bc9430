import SpanModel
import Testing

@testable import OTLPExport

@Suite struct EncoderTests {
    /// The request below, serialised by the official Python classes (PyPI opentelemetry-proto);
    /// Tests/Integration/test_otlp_export.py rebuilds it from them and checks this very string.
    static let goldenRequestHex =
        "0af7020a300a1a0a0c736572766963652e6e616d65120a0a0862697470726f62650a120a0b70726f636573732e706964120318922112c2020a110a0862697470726f62651205312e322e3312610a100102030405060708090a0b0c0d0e0f10120811121314151617182a056379636c6530013900002a36fe9c971741404b7636fe9c97174a140a0e62697470726f62652e6379636c65120218074a080a026f6b120210017a02180185010101000012c9010a100102030405060708090a0b0c0d0e0f1012082122232425262728220811121314151617182a0c70726f6265206d61746d756c300139e8032a36fe9c97174100096736fe9c97174a0e0a026f7012080a066d61746d756c4a130a0667666c6f707312092100000000000029404a170a086e65676174697665120b18fdffffffffffffffff015a2009b80b2a36fe9c971712086d69736d617463681a0b0a05696e646578120218037a1912156d6178206572726f7220302e35203e20302e3030311802850101010000"

    static func goldenSpans() -> [FinishedSpan] {
        let trace = TraceID(bytes: Array(1...16))!
        let root = SpanID(bytes: Array(0x11...0x18))!
        let start: UInt64 = 1_700_000_000_000_000_000
        return [
            FinishedSpan(
                traceID: trace, spanID: root, parentSpanID: nil, name: "cycle",
                startUnixNano: start, endUnixNano: start + 5_000_000,
                attributes: [("bitprobe.cycle", .int(7)), ("ok", .bool(true))], status: .ok
            ),
            FinishedSpan(
                traceID: trace, spanID: SpanID(bytes: Array(0x21...0x28))!, parentSpanID: root, name: "probe matmul",
                startUnixNano: start + 1_000, endUnixNano: start + 4_000_000,
                attributes: [("op", .string("matmul")), ("gflops", .double(12.5)), ("negative", .int(-3))],
                events: [SpanEvent(name: "mismatch", timeUnixNano: start + 3_000, attributes: [("index", .int(3))])],
                status: .error, statusMessage: "max error 0.5 > 0.001"
            ),
        ]
    }

    static let goldenResource = OTLPResource(attributes: [("service.name", .string("bitprobe")), ("process.pid", .int(4242))])
    static let goldenScope = OTLPInstrumentationScope(name: "bitprobe", version: "1.2.3")

    @Test func matchesTheOfficialEncodingByteForByte() {
        let body = OTLPEncoder.encode(resource: Self.goldenResource, scope: Self.goldenScope, spans: Self.goldenSpans())
        #expect(HexDigits.encode(body) == Self.goldenRequestHex)
    }

    @Test func emptyBatchIsAValidRequest() {
        let body = OTLPEncoder.encode(resource: OTLPResource(attributes: []), scope: OTLPInstrumentationScope(name: "s", version: ""), spans: [])
        // resource_spans { resource {} scope_spans { scope { name: "s" } } }
        #expect(HexDigits.encode(body) == "0a090a0012050a030a0173")
    }

    @Test func largeBatchesAndLongStringsOutgrowOneArenaBlock() {
        let long = String(repeating: "x", count: 100_000)
        var spans = Self.goldenSpans()
        spans[0].attributes.append(("long", .string(long)))
        spans += Array(repeating: spans[1], count: 2_000)
        let body = OTLPEncoder.encode(resource: Self.goldenResource, scope: Self.goldenScope, spans: spans)
        #expect(body.count > 2_000 * 150 + 100_000)
        let bodyText = String(decoding: body, as: UTF8.self)
        #expect(bodyText.contains(long))
    }

    @Test func gzipProducesAGzipMember() throws {
        let body = OTLPEncoder.encode(resource: Self.goldenResource, scope: Self.goldenScope, spans: Array(repeating: Self.goldenSpans()[1], count: 100))
        let compressed = try #require(Gzip.compress(body))
        #expect(compressed.prefix(3) == [0x1F, 0x8B, 0x08])
        #expect(compressed.count < body.count / 5)
        // The trailer ends with the input length modulo 2^32, little-endian.
        let length = compressed.suffix(4).reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect(length == body.count)
    }
}
