import Glibc
import Synchronization
import Testing

@testable import HTTPServer

@Suite(.timeLimit(.minutes(1)))
struct ServingTests {
    let scratch = Scratch()

    static let metricsBody = "# HELP up Whether the target is up.\n# TYPE up gauge\nup 1\n"

    static func metrics(_ request: HTTPRequest) -> HTTPResponse {
        guard request.path == "/metrics" else { return .text(404, "not found\n") }
        var response = HTTPResponse.text(200, metricsBody)
        response.headers = [("Content-Type", "text/plain; version=0.0.4; charset=utf-8"), ("X-Probe", "yes")]
        return response
    }

    @Test func getReturnsTheHandlersStatusHeadersAndBody() throws {
        let server = try startedServer(handler: Self.metrics)
        defer { server.stop() }
        let result = curl([url(server, "/metrics")], scratch: scratch)
        #expect(result.status == 200)
        #expect(result.bodyText == Self.metricsBody)
        #expect(result.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(result.headers["x-probe"] == "yes")
        #expect(result.headers["content-length"] == String(Self.metricsBody.utf8.count))
        #expect(result.headers["date"] != nil)
    }

    @Test func notFoundIsTheHandlersAnswer() throws {
        let server = try startedServer(handler: Self.metrics)
        defer { server.stop() }
        let result = curl([url(server, "/nothing-here")], scratch: scratch)
        #expect(result.status == 404)
        #expect(result.bodyText == "not found\n")
    }

    @Test func headSendsTheHeadersOfGetWithoutTheBody() throws {
        let server = try startedServer(handler: Self.metrics)
        defer { server.stop() }
        let get = curl([url(server, "/metrics")], scratch: scratch)
        // curl cannot show what follows a HEAD response's headers; a raw read to EOF can.
        let connection = try #require(RawConnection(port: server.boundPort))
        connection.send("HEAD /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        let reply = connection.receive()
        #expect(reply.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(reply.hasSuffix("\r\n\r\n"), "no body after the headers")
        #expect(reply.contains("Content-Length: \(get.headers["content-length"] ?? "?")\r\n"))
        #expect(reply.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"))
    }

    /// The default unescaper decoded %00 into a NUL that ended the path: `/metrics%00x` was `/metrics`.
    @Test func anEscapedNULStaysInThePathAndQuery() throws {
        let seen = Mutex<HTTPRequest?>(nil)
        let server = try startedServer { request in
            seen.withLock { $0 = request }
            return .text(request.path == "/metrics" ? 200 : 404, "")
        }
        defer { server.stop() }
        #expect(curl([url(server, "/metrics%00x?a=1%00b&c=%41%2f")], scratch: scratch).status == 404)
        let request = try #require(seen.withLock { $0 })
        #expect(request.path == "/metrics%00x")
        #expect(request.query == ["a": "1%00b", "c": "A/"])
        #expect(curl([url(server, "/%6detrics")], scratch: scratch).status == 200)
    }

    @Test func theHandlerSeesPathQueryLowercasedHeadersAndClient() throws {
        let seen = Mutex<HTTPRequest?>(nil)
        let server = try startedServer { request in
            seen.withLock { $0 = request }
            return .text(200, "ok\n")
        }
        defer { server.stop() }
        let result = curl(
            [
                "-H", "X-Scrape-Timeout-Seconds: 10", "-H", "X-Twice: a", "-H", "X-Twice: b",
                url(server, "/api/v1/probes?op=matmul&dtype=f16&op=ignored&verbose&name=a%20b"),
            ],
            scratch: scratch
        )
        #expect(result.status == 200)
        let request = try #require(seen.withLock { $0 })
        #expect(request.method == "GET")
        #expect(request.path == "/api/v1/probes")
        #expect(request.query == ["op": "matmul", "dtype": "f16", "verbose": "", "name": "a b"])
        #expect(request.headers["x-scrape-timeout-seconds"] == "10")
        #expect(request.headers["x-twice"] == "a, b")
        #expect(request.headers["host"] == "127.0.0.1:\(server.boundPort)")
        #expect(request.remoteAddress.hasPrefix("127.0.0.1:"))
    }

    @Test(arguments: ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
    func otherMethodsGet405WithAllow(method: String) throws {
        let calls = Atomic<Int>(0)
        let server = try startedServer { _ in
            calls.wrappingAdd(1, ordering: .relaxed)
            return .text(200, "ok\n")
        }
        defer { server.stop() }
        let result = curl(["-X", method, url(server, "/metrics")], scratch: scratch)
        #expect(result.status == 405)
        #expect(result.headers["allow"] == "GET, HEAD")
        #expect(result.bodyText == "method not allowed: use GET or HEAD\n")
        #expect(calls.load(ordering: .relaxed) == 0)
        #expect(server.statistics.responsesByStatus == [405: 1])
    }

    @Test(arguments: [
        ["-X", "GET", "--data", "abc"],
        ["-X", "GET", "-H", "Transfer-Encoding: chunked", "--data", "abc"],
    ])
    func aRequestWithABodyGets413(curlArguments: [String]) throws {
        let calls = Atomic<Int>(0)
        let server = try startedServer { _ in
            calls.wrappingAdd(1, ordering: .relaxed)
            return .text(200, "ok\n")
        }
        defer { server.stop() }
        let result = curl(curlArguments + [url(server, "/metrics")], scratch: scratch)
        #expect(result.status == 413)
        #expect(result.bodyText == "request bodies are not accepted\n")
        #expect(calls.load(ordering: .relaxed) == 0)
    }

    @Test func anAnnouncedBodyIsRefusedBeforeItIsSent() throws {
        let server = try startedServer { _ in .text(200, "ok\n") }
        defer { server.stop() }
        let connection = try #require(RawConnection(port: server.boundPort))
        // 100 MiB announced, none sent: the answer must not wait for it.
        connection.send("GET /metrics HTTP/1.1\r\nHost: localhost\r\nContent-Length: 104857600\r\n\r\n")
        let reply = connection.receive()
        #expect(reply.hasPrefix("HTTP/1.1 413 "))
        #expect(reply.hasSuffix("request bodies are not accepted\n"))
    }

    @Test func oversizedRequestsAreRefusedByLibmicrohttpdItself() throws {
        let server = try startedServer { _ in .text(200, "ok\n") }
        defer { server.stop() }
        let longValue = String(repeating: "a", count: 40_000)
        #expect(curl(["-H", "X-Big: \(longValue)", url(server)], scratch: scratch).status == 431)
        #expect(curl([url(server, "/" + longValue)], scratch: scratch).status == 414)
        #expect(server.statistics.responsesByStatus.isEmpty, "libmicrohttpd's own answers are not counted")
    }

    @Test func requestsOverTheInFlightLimitGet503() throws {
        let gate = Gate()
        let server = try startedServer({ $0.maxRequestsInFlight = 1 }) { request in
            if request.path == "/slow" { gate.pass() }
            return .text(200, "done\n")
        }
        defer { server.stop() }

        let first = try #require(RawConnection(port: server.boundPort))
        first.send("GET /slow HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        #expect(gate.waitUntilEntered(1))
        #expect(server.statistics.requestsInFlight == 1)

        let rejected = curl([url(server, "/fast")], scratch: scratch)
        #expect(rejected.status == 503)
        #expect(rejected.bodyText == "too many requests in flight, try again later\n")

        gate.open()
        let reply = first.receive()
        #expect(reply.hasPrefix("HTTP/1.1 200 "))
        #expect(reply.hasSuffix("done\n"))
        #expect(curl([url(server, "/fast")], scratch: scratch).status == 200)

        let statistics = server.statistics
        #expect(statistics.rejectedOverInFlightLimit == 1)
        #expect(statistics.responsesByStatus == [200: 2, 503: 1])
        #expect(statistics.requestsInFlight == 0)
    }

    @Test func anInvalidHandlerStatusBecomes500AndIsLogged() throws {
        let logged = Mutex<[String]>([])
        let server = try startedServer({ config in
            config.errorLog = { message in logged.withLock { $0.append(message) } }
        }) { _ in HTTPResponse(status: 42) }
        defer { server.stop() }
        let result = curl([url(server, "/odd")], scratch: scratch)
        #expect(result.status == 500)
        #expect(logged.withLock { $0 } == ["handler answered GET /odd with status 42; sent 500 instead"])
    }

    @Test func aHeaderTheHandlerCannotSendBecomes500() throws {
        let server = try startedServer { _ in HTTPResponse(status: 200, headers: [("X-Bad", "line\r\nbreak")]) }
        defer { server.stop() }
        #expect(curl([url(server, "/")], scratch: scratch).status == 500)
    }

    @Test func clientsThatHangUpMidResponseDoNotStopTheServer() throws {
        // 8 MiB cannot fit in socket buffers, so the server is still writing when the client
        // closes; a SIGPIPE there would end this test process.
        let large = [UInt8](repeating: UInt8(ascii: "x"), count: 8 << 20)
        let server = try startedServer { _ in HTTPResponse(status: 200, body: large, compressible: false) }
        defer { server.stop() }
        for _ in 0..<3 {
            let connection = try #require(RawConnection(port: server.boundPort))
            connection.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            #expect(connection.receive(upTo: 1000).hasPrefix("HTTP/1.1 200 "))
        }
        let result = curl([url(server, "/")], scratch: scratch)
        #expect(result.status == 200)
        #expect(result.body.count == large.count)
    }
}
