import Glibc
import Synchronization
import Testing

@testable import HTTPServer

@Suite(.timeLimit(.minutes(1)))
struct LifecycleTests {
    let scratch = Scratch()

    @Test func stopIsIdempotentAndReleasesThePort() throws {
        let server = try startedServer { _ in .text(200, "up\n") }
        let port = server.boundPort
        #expect(port > 0)
        #expect(curl([url(server)], scratch: scratch).status == 200)

        server.stop()
        server.stop()
        #expect(server.boundPort == 0)
        // curl exit code 7: connection refused.
        #expect(curl(["http://127.0.0.1:\(port)/"], scratch: scratch).exitCode == 7)

        let successor = HTTPServer(config: HTTPServerConfig(listenAddress: "127.0.0.1:\(port)")) { _ in .text(200, "successor\n") }
        try successor.start()
        defer { successor.stop() }
        #expect(successor.boundPort == port)
        #expect(curl(["http://127.0.0.1:\(port)/"], scratch: scratch).bodyText == "successor\n")
    }

    @Test func stopWaitsForRunningHandlers() throws {
        let entered = Gate()
        let finished = Atomic<Bool>(false)
        let server = try startedServer { _ in
            entered.pass()
            usleep(200_000)
            finished.store(true, ordering: .sequentiallyConsistent)
            return .text(200, "late\n")
        }
        entered.open()
        let connection = try #require(RawConnection(port: server.boundPort))
        connection.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(entered.waitUntilEntered(1))
        server.stop()
        let handlerFinished = finished.load(ordering: .sequentiallyConsistent)
        #expect(handlerFinished, "the handler ran to its end before stop() returned")
        #expect(server.statistics.requestsInFlight == 0)
    }

    @Test func startingTwiceIsAnError() throws {
        let server = try startedServer { _ in .text(200, "") }
        defer { server.stop() }
        #expect(throws: HTTPServerError(.alreadyRunning, "HTTP server on 127.0.0.1:0 is already running")) { try server.start() }
    }

    @Test func aStoppedServerStartsAgainAndKeepsCounting() throws {
        let server = try startedServer { _ in .text(200, "again\n") }
        #expect(curl([url(server)], scratch: scratch).status == 200)
        server.stop()
        try server.start()
        defer { server.stop() }
        #expect(curl([url(server)], scratch: scratch).bodyText == "again\n")
        #expect(server.statistics.responsesByStatus == [200: 2])
    }

    @Test func deinitStopsTheServer() throws {
        var server: HTTPServer? = try startedServer { _ in .text(200, "") }
        let port = server!.boundPort
        server = nil
        #expect(RawConnection(port: port) == nil)
    }

    static func config(_ change: (inout HTTPServerConfig) -> Void) -> HTTPServerConfig {
        var config = HTTPServerConfig(listenAddress: "127.0.0.1:0")
        change(&config)
        return config
    }

    @Test(arguments: [
        (config { $0.maxRequestsInFlight = -1 }, "maxRequestsInFlight must be 0 (no limit) or more, got -1"),
        (config { $0.maxConnections = 0 }, "maxConnections must be at least 1, got 0"),
        (config { $0.maxConnectionsPerClient = -1 }, "maxConnectionsPerClient must be 0 (no limit) or more, got -1"),
        (config { $0.requestHeadTimeoutSeconds = -1 }, "requestHeadTimeoutSeconds must be 0 (no deadline) or more, got -1"),
        (config { $0.connectionTimeoutSeconds = -5 }, "connectionTimeoutSeconds must be 0 (never) or more, got -5"),
        (config { $0.threads = 0 }, "threads must be at least 1, got 0"),
        (config { $0.realm = "a\"b" }, "realm 'a\"b' must be non-empty, without quotes, backslashes or control characters"),
        (config { $0.realm = "" }, "realm '' must be non-empty, without quotes, backslashes or control characters"),
    ])
    func invalidLimitsAreRefusedWithTheirValue(config: HTTPServerConfig, reason: String) {
        let expected = HTTPServerError(.invalidConfiguration, "invalid HTTP server configuration: \(reason)")
        #expect(throws: expected) { try config.validate() }
        #expect(throws: expected) { try HTTPServer(config: config) { _ in .text(200, "") }.start() }
    }

    @Test func defaultsFollowExporterConventions() {
        let config = HTTPServerConfig(listenAddress: ":9464")
        #expect(config.maxRequestsInFlight == 40)
        #expect(config.maxConnections == 512)
        #expect(config.maxConnectionsPerClient == 128)
        #expect(config.connectionTimeoutSeconds == 10)
        #expect(config.requestHeadTimeoutSeconds == 5)
        #expect(config.threads == HTTPServerConfig.onlineCPUs)
        #expect(config.realm == "bitprobe")
        #expect(config.tls == nil)
        #expect(config.basicAuthUsers.isEmpty)
    }

    @Test func moreThreadsThanConnectionsStillServe() throws {
        let server = try startedServer({
            $0.threads = 8
            $0.maxConnections = 2
        }) { _ in .text(200, "ok\n") }
        defer { server.stop() }
        for _ in 0..<4 { #expect(curl([url(server)], scratch: scratch).status == 200) }
    }
}
