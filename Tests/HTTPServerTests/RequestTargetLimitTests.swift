import Testing

@testable import HTTPServer

@Suite struct RequestTargetLimitTests {
    /// The mark for `target` and what is left of it for libmicrohttpd to parse.
    func check(_ target: String) -> (UnsafeMutableRawPointer, String) {
        var bytes = Array(target.utf8CString)
        return bytes.withUnsafeMutableBufferPointer { buffer in
            let mark = RequestTargetLimit.check(buffer.baseAddress!)
            return (mark, String(cString: buffer.baseAddress!))
        }
    }

    @Test func targetsWithinBothLimitsAreLeftAlone() {
        let target = "/metrics?" + Array(repeating: "a=1", count: 128).joined(separator: "&")
        #expect(check(target) == (RequestTargetLimit.accepted, target))
        #expect(check("/metrics") == (RequestTargetLimit.accepted, "/metrics"))
        let long = "/" + String(repeating: "x", count: 8191)
        #expect(check(long) == (RequestTargetLimit.accepted, long))
    }

    @Test func argumentsPastTheLimitAreCutBeforeParsing() {
        let target = "/metrics?" + Array(repeating: "a", count: 129).joined(separator: "&")
        #expect(check(target) == (RequestTargetLimit.tooManyArguments, "/metrics?"))
    }

    @Test func aTargetPastTheLengthLimitIsCutBeforeParsing() {
        #expect(check("/metrics?a=" + String(repeating: "x", count: 8182)) == (RequestTargetLimit.tooLong, "/metrics?"))
        let path = "/" + String(repeating: "x", count: 8192)
        #expect(check(path) == (RequestTargetLimit.tooLong, path))
    }
}
