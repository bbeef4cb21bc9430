import Glibc
import Synchronization
import Testing

@testable import HTTPServer

/// A private directory for one test's files, removed when the test drops it.
final class Scratch {
    let path: String
    private let counter = Atomic<Int>(0)

    init() {
        var template = Array("/tmp/httpserver-test-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    deinit {
        _ = shell("rm -rf \(quoted(path))")
    }

    /// A fresh file name inside the directory.
    func file(_ stem: String) -> String {
        "\(path)/\(stem)-\(counter.wrappingAdd(1, ordering: .relaxed).newValue)"
    }

    /// Writes `bytes` to `name` in the directory and returns the file's path.
    func write(_ bytes: [UInt8], to name: String) -> String {
        let filePath = "\(path)/\(name)"
        let file = fopen(filePath, "w")!
        fwrite(bytes, 1, bytes.count, file)
        fclose(file)
        return filePath
    }
}

/// Runs a shell command line; returns its exit status.
@discardableResult
func shell(_ command: String) -> Int32 {
    let status = system(command)
    return status == -1 ? -1 : (status >> 8) & 0xFF
}

func quoted(_ argument: String) -> String {
    "'" + argument.replacing("'", with: "'\\''") + "'"
}

func readBytes(_ path: String) -> [UInt8] {
    guard let file = fopen(path, "r") else { return [] }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        if count <= 0 { break }
        bytes.append(contentsOf: chunk[0..<count])
    }
    return bytes
}

func readText(_ path: String) -> String {
    String(decoding: readBytes(path), as: UTF8.self)
}

struct CurlResult {
    /// curl's exit status: 0, or e.g. 7 (could not connect).
    var exitCode: Int32
    var status: Int
    /// Header names lowercased; a repeated header keeps its last value.
    var headers: [String: String]
    var headerLines: [String]
    var body: [UInt8]
    var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// One curl run with a 10 s ceiling, headers and body captured to files.
func curl(_ arguments: [String], scratch: Scratch) -> CurlResult {
    let headerFile = scratch.file("headers")
    let bodyFile = scratch.file("body")
    let codeFile = scratch.file("code")
    let command =
        (["curl", "-sS", "--max-time", "10", "-D", headerFile, "-o", bodyFile, "-w", "%{http_code}"] + arguments)
        .map(quoted).joined(separator: " ") + " > \(quoted(codeFile)) 2> \(quoted(scratch.file("stderr")))"
    let exitCode = shell(command)
    // Only the last response block counts (curl also records "100 Continue").
    // Bytes, not Characters: Swift treats "\r\n" as one Character, which "\r" never matches.
    let text = String(decoding: readBytes(headerFile).filter { $0 != UInt8(ascii: "\r") }, as: UTF8.self)
    let blocks = text.split(separator: "\n\n").filter { !$0.isEmpty }
    let lines = blocks.last.map { $0.split(separator: "\n").map(String.init) } ?? []
    var headers: [String: String] = [:]
    for line in lines.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        let value = line[line.index(after: colon)...].drop { $0 == " " }
        headers[line[..<colon].lowercased()] = String(value)
    }
    return CurlResult(
        exitCode: exitCode, status: Int(readText(codeFile)) ?? 0, headers: headers, headerLines: lines, body: readBytes(bodyFile)
    )
}

func url(_ server: HTTPServer, _ path: String = "/") -> String {
    "http://127.0.0.1:\(server.boundPort)\(path)"
}

/// A server on an ephemeral loopback port; the caller stops it.
func startedServer(
    _ configure: (inout HTTPServerConfig) -> Void = { _ in },
    handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse
) throws -> HTTPServer {
    var config = HTTPServerConfig(listenAddress: "127.0.0.1:0", threads: 2)
    configure(&config)
    let server = HTTPServer(config: config, handler: handler)
    try server.start()
    return server
}

/// Holds handlers until released, so a test controls exactly how many are running.
final class Gate: Sendable {
    private let entered = Atomic<Int>(0)
    private let opened = Atomic<Bool>(false)

    /// Called by a handler: waits for `open()`, at most 10 s so a failing test cannot hang.
    func pass() {
        entered.wrappingAdd(1, ordering: .sequentiallyConsistent)
        for _ in 0..<10_000 where !opened.load(ordering: .sequentiallyConsistent) { usleep(1000) }
    }

    func waitUntilEntered(_ count: Int) -> Bool {
        for _ in 0..<10_000 {
            if entered.load(ordering: .sequentiallyConsistent) >= count { return true }
            usleep(1000)
        }
        return false
    }

    func open() { opened.store(true, ordering: .sequentiallyConsistent) }
}

/// A plain TCP client for what curl cannot do: hold a request open, announce a body and not send it.
final class RawConnection {
    private let descriptor: Int32

    init?(port: Int, ipv6: Bool = false) {
        descriptor = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let result: Int32
        if ipv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(port).bigEndian
            address.sin6_addr = in6addr_loopback
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(port).bigEndian
            address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard result == 0 else {
            close(descriptor)
            return nil
        }
    }

    deinit { close(descriptor) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Reads `count` bytes or until the peer closes or 10 s pass.
    func receive(upTo count: Int = .max) -> String {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while received.count < count {
            let n = recv(descriptor, &chunk, min(chunk.count, count - received.count), 0)
            if n <= 0 { break }
            received.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: received, as: UTF8.self)
    }
}

/// Whether this machine can bind and reach the IPv6 loopback address.
let hasIPv6Loopback: Bool = {
    let descriptor = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var address = sockaddr_in6()
    address.sin6_family = sa_family_t(AF_INET6)
    address.sin6_addr = in6addr_loopback
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
    } == 0
}()
