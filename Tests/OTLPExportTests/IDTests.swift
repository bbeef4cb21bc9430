import SpanModel
import Testing

@testable import OTLPExport

@Suite struct IDTests {
    @Test func hexRoundTrip() throws {
        let trace = try #require(TraceID(hex: "4BF92F3577B34DA6A3CE929D0E0E4736"))
        #expect(trace.hex == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(trace.bytes == [0x4B, 0xF9, 0x2F, 0x35, 0x77, 0xB3, 0x4D, 0xA6, 0xA3, 0xCE, 0x92, 0x9D, 0x0E, 0x0E, 0x47, 0x36])
        #expect(TraceID(bytes: trace.bytes) == trace)
        let span = try #require(SpanID(hex: "00f067aa0ba902b7"))
        #expect(span.hex == "00f067aa0ba902b7")
        #expect(span.value == 0x00F0_67AA_0BA9_02B7)
    }

    @Test func invalidIDsAreRefused() {
        #expect(TraceID(hex: String(repeating: "0", count: 32)) == nil)
        #expect(TraceID(hex: "4bf92f3577b34da6a3ce929d0e0e473") == nil)
        #expect(TraceID(hex: "4bf92f3577b34da6a3ce929d0e0e473g") == nil)
        #expect(TraceID(bytes: [1, 2, 3]) == nil)
        #expect(SpanID(hex: "0000000000000000") == nil)
        #expect(SpanID(value: 0) == nil)
    }

    /// A generator that returns zero first, to show that a zero draw is redrawn.
    struct ZeroFirst: RandomNumberGenerator {
        var calls = 0
        mutating func next() -> UInt64 {
            calls += 1
            return calls <= 2 ? 0 : 0xDEAD_BEEF
        }
    }

    @Test func randomIDsAreNeverZero() {
        var generator = ZeroFirst()
        #expect(TraceID.random(using: &generator).hex == "00000000deadbeef00000000deadbeef")
        generator = ZeroFirst()
        #expect(SpanID.random(using: &generator).hex == "00000000deadbeef")
        let ids = Set((0..<1000).map { _ in TraceID.random() })
        #expect(ids.count == 1000)
    }
}
