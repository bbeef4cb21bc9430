import Testing

@testable import HTTPServer

@Suite(.timeLimit(.minutes(1)))
struct BasicAuthTests {
    let scratch = Scratch()

    /// Made once with `htpasswd -nbBC 10 prometheus 'correct horse'` (apache2-utils).
    static let prometheusHash = "$2y$10$w7kgKm1I.w.nKrOqY2Jy.euWeG3ExILSHAnuZ4qV2TslO9iafpvAS"
    /// Made once with `htpasswd -nbBC 10 alice 'wonderland'`.
    static let aliceHash = "$2y$10$./nEFxTc/XDVIqFccqfmxe6pi2/sJ8XAYwsQrlDucM1A6dQ.8luUC"
    static let users = ["prometheus": prometheusHash, "alice": aliceHash]

    @Test func onlyTheRightCredentialsReachTheHandler() throws {
        let server = try startedServer({ $0.basicAuthUsers = Self.users }) { _ in .text(200, "secret metrics\n") }
        defer { server.stop() }

        let anonymous = curl([url(server, "/metrics")], scratch: scratch)
        #expect(anonymous.status == 401)
        #expect(anonymous.headers["www-authenticate"] == "Basic realm=\"bitprobe\"")
        #expect(anonymous.bodyText == "unauthorized\n")

        for credentials in ["prometheus:wrong horse", "mallory:correct horse", "prometheus:"] {
            let refused = curl(["-u", credentials, url(server, "/metrics")], scratch: scratch)
            #expect(refused.status == 401, "\(credentials)")
            #expect(refused.headers["www-authenticate"] == "Basic realm=\"bitprobe\"")
        }
        let malformed = curl(["-H", "Authorization: Basic !!!not-base64", url(server, "/metrics")], scratch: scratch)
        #expect(malformed.status == 401)

        for credentials in ["prometheus:correct horse", "alice:wonderland", "prometheus:correct horse"] {
            let admitted = curl(["-u", credentials, url(server, "/metrics")], scratch: scratch)
            #expect(admitted.status == 200, "\(credentials)")
            #expect(admitted.bodyText == "secret metrics\n")
        }

        let statistics = server.statistics
        #expect(statistics.authenticationFailures == 5)
        #expect(statistics.responsesByStatus == [401: 5, 200: 3])
    }

    /// RFC 7617: the scheme name is case-insensitive; libmicrohttpd refused `basic`.
    @Test func theSchemeNameIsCaseInsensitive() throws {
        let server = try startedServer({ $0.basicAuthUsers = Self.users }) { _ in .text(200, "secret metrics\n") }
        defer { server.stop() }
        // "alice:wonderland"
        for scheme in ["basic", "BASIC", "Basic", "bAsIc"] {
            let admitted = curl(["-H", "Authorization: \(scheme) YWxpY2U6d29uZGVybGFuZA==", url(server, "/metrics")], scratch: scratch)
            #expect(admitted.status == 200, "\(scheme)")
        }
    }

    /// libmicrohttpd cut the password at its first NUL: "wonderland\0junk" logged in as alice.
    @Test func aNULInThePasswordIsRefused() throws {
        let server = try startedServer({ $0.basicAuthUsers = Self.users }) { _ in .text(200, "secret metrics\n") }
        defer { server.stop() }
        // "alice:wonderland\0junk"
        let refused = curl(["-H", "Authorization: Basic YWxpY2U6d29uZGVybGFuZABqdW5r", url(server, "/metrics")], scratch: scratch)
        #expect(refused.status == 401)
    }

    @Test(arguments: [
        ("Basic YWxpY2U6d29uZGVybGFuZA==", "alice|wonderland"),
        ("basic   YWxpY2U6d29uZGVybGFuZA==", "alice|wonderland"),
        ("Basic YWxpY2U6", "alice|"),
        ("Basic YTpiOmM=", "a|b:c"),
        ("Bearer YWxpY2U6d29uZGVybGFuZA==", nil),
        ("Basic YWxpY2U6d29uZGVybGFuZA", nil),
        ("Basic YWxpY2U6d29uZGVybGFuZA=A", nil),
        ("Basic YWxpY2U=", nil),
        ("Basic YWxpY2U6d29uZGVybGFuZABqdW5r", nil),
        ("Basic", nil),
        ("Basic ", nil),
    ])
    func credentialsAreParsedStrictly(header: String, expected: String?) {
        let parsed = BasicCredentials(header: header).map { "\($0.user)|\(String(decoding: $0.password, as: UTF8.self))" }
        #expect(parsed == expected)
    }

    @Test func theRealmIsConfigurable() throws {
        let server = try startedServer({
            $0.basicAuthUsers = Self.users
            $0.realm = "node 7"
        }) { _ in .text(200, "ok\n") }
        defer { server.stop() }
        #expect(curl([url(server, "/")], scratch: scratch).headers["www-authenticate"] == "Basic realm=\"node 7\"")
    }

    @Test func successesAreCachedAndFailuresNever() throws {
        let authenticator = try BasicAuthenticator(users: Self.users)
        let right = Array("correct horse".utf8)
        let wrong = Array("wrong horse".utf8)
        #expect(authenticator.verify(user: "prometheus", password: wrong) == .denied)
        #expect(authenticator.verify(user: "prometheus", password: right) == .verified)
        #expect(authenticator.verify(user: "prometheus", password: right) == .verifiedFromCache)
        #expect(authenticator.verify(user: "prometheus", password: wrong) == .denied)
        #expect(authenticator.verify(user: "alice", password: right) == .denied)
        #expect(authenticator.verify(user: "nobody", password: right) == .denied)
        #expect(authenticator.verify(user: "prometheus", password: right + [0x20]) == .denied)
    }

    @Test func comparisonChecksEveryByte() {
        #expect(BasicAuthenticator.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!BasicAuthenticator.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!BasicAuthenticator.constantTimeEquals([9, 2, 3], [1, 2, 3]))
        #expect(!BasicAuthenticator.constantTimeEquals([1, 2], [1, 2, 3]))
    }

    @Test(arguments: [
        (["bob": "plaintext"], "invalid HTTP server configuration: basic auth user 'bob': password hash is not a bcrypt hash ($2a$, $2b$ or $2y$)"),
        (
            ["bob": "$1$abcdefgh$abcdefghijklmnopqrstuv"],
            "invalid HTTP server configuration: basic auth user 'bob': password hash is not a bcrypt hash ($2a$, $2b$ or $2y$)"
        ),
        (
            ["bob": String(prometheusHash.dropLast())],
            "invalid HTTP server configuration: basic auth user 'bob': password hash is not a bcrypt hash ($2a$, $2b$ or $2y$)"
        ),
        (["bo:b": prometheusHash], "invalid HTTP server configuration: basic auth user 'bo:b' must be non-empty, without ':' or control characters"),
        (["": prometheusHash], "invalid HTTP server configuration: basic auth user '' must be non-empty, without ':' or control characters"),
    ])
    func invalidUsersAreRefusedAtStart(users: [String: String], message: String) {
        let server = HTTPServer(config: HTTPServerConfig(listenAddress: "127.0.0.1:0", basicAuthUsers: users)) { _ in .text(200, "") }
        #expect(throws: HTTPServerError(.invalidConfiguration, message)) { try server.start() }
        #expect(server.boundPort == 0)
    }
}
