import Testing

@testable import HTTPServer

@Suite(.timeLimit(.minutes(1)))
struct GzipTests {
    let scratch = Scratch()

    static let body = (0..<500).map { "bitprobe_probe_ops_per_second{backend=\"cpu\",device=\"cpu0\",op=\"matmul\",shape=\"\($0)\"} 1.5e9\n" }.joined()

    static func handler(_ request: HTTPRequest) -> HTTPResponse {
        var response = HTTPResponse.text(200, body)
        response.compressible = request.path != "/raw"
        return response
    }

    @Test func gzipWhenTheClientAsks() throws {
        let server = try startedServer(handler: Self.handler)
        defer { server.stop() }
        let result = curl(["-H", "Accept-Encoding: gzip", url(server, "/metrics")], scratch: scratch)
        #expect(result.status == 200)
        #expect(result.headers["content-encoding"] == "gzip")
        #expect(result.headers["vary"] == "Accept-Encoding")
        #expect(result.headers["content-length"] == String(result.body.count))
        #expect(result.body.count < Self.body.utf8.count / 5)

        let compressed = scratch.write(result.body, to: "compressed.gz")
        let decompressed = scratch.file("decompressed")
        #expect(shell("gzip -dc \(quoted(compressed)) > \(quoted(decompressed))") == 0)
        #expect(readText(decompressed) == Self.body)
    }

    @Test func curlCompressedDecodesToTheOriginal() throws {
        let server = try startedServer(handler: Self.handler)
        defer { server.stop() }
        let result = curl(["--compressed", url(server, "/metrics")], scratch: scratch)
        #expect(result.headers["content-encoding"] == "gzip")
        #expect(result.bodyText == Self.body)
    }

    @Test(arguments: [nil, "gzip;q=0", "identity", "br", "gzip;q=0, *", "*;q=0"])
    func identityUnlessGzipIsAcceptable(acceptEncoding: String?) throws {
        let server = try startedServer(handler: Self.handler)
        defer { server.stop() }
        // curl sends no Accept-Encoding unless told to.
        let arguments = acceptEncoding.map { ["-H", "Accept-Encoding: \($0)"] } ?? []
        let result = curl(arguments + [url(server, "/metrics")], scratch: scratch)
        #expect(result.headers["content-encoding"] == nil)
        #expect(result.headers["vary"] == "Accept-Encoding")
        #expect(result.bodyText == Self.body)
    }

    @Test func incompressibleResponsesAreSentAsIs() throws {
        let server = try startedServer(handler: Self.handler)
        defer { server.stop() }
        let result = curl(["-H", "Accept-Encoding: gzip", url(server, "/raw")], scratch: scratch)
        #expect(result.headers["content-encoding"] == nil)
        #expect(result.headers["vary"] == nil)
        #expect(result.bodyText == Self.body)
    }

    @Test func headAnnouncesTheCompressedLength() throws {
        let server = try startedServer(handler: Self.handler)
        defer { server.stop() }
        let get = curl(["-H", "Accept-Encoding: gzip", url(server, "/metrics")], scratch: scratch)
        let head = curl(["--head", "-H", "Accept-Encoding: gzip", url(server, "/metrics")], scratch: scratch)
        #expect(head.headers["content-encoding"] == "gzip")
        #expect(head.headers["content-length"] == get.headers["content-length"])
    }

    @Test(arguments: [
        ("gzip", true), ("GZIP", true), ("x-gzip", true), ("deflate, gzip;q=1.0, *;q=0.5", true),
        ("gzip;q=0.001", true), (" gzip ; q=0.5 ", true), ("*", true), ("br, *;q=0.1", true),
        ("gzip;q=0", false), ("gzip;q=0.000", false), ("gzip;q=0, *", false), ("*;q=0", false),
        ("identity", false), ("gzipped", false), ("gzip;q=abc", false), ("", false),
    ])
    func acceptEncodingNegotiation(header: String, accepted: Bool) {
        #expect(Gzip.isAccepted(by: header) == accepted)
    }
}
