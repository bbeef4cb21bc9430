import Testing

@testable import OTLPExport

#if canImport(Glibc)
import Glibc
#endif

/// Tests/Integration/otlp_receiver.py as a child process: an OTLP receiver on 127.0.0.1 that
/// decodes with the official Python classes and answers as its fault script says.
final class ReceiverProcess {
    static let scriptPath: String = {
        let testsDirectory = #filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(2).joined(separator: "/")
        return testsDirectory + "/Integration/otlp_receiver.py"
    }()

    /// Whether python3 can import the official OTLP classes (PyPI opentelemetry-proto).
    static let isAvailable: Bool = system("python3 -c 'import opentelemetry.proto.collector.trace.v1.trace_service_pb2' 2>/dev/null") == 0

    static let unavailableMessage: Comment = "python3 with PyPI opentelemetry-proto is needed: python3 -m pip install opentelemetry-proto"

    let port: Int
    private let pid: pid_t
    private let directory: String
    private var stopped = false

    /// Starts the receiver and waits (up to 10 s) until it listens.
    /// - Parameters:
    ///   - script: the fault script, as JSON (see otlp_receiver.py).
    ///   - tls: PEM certificate and key files to serve HTTPS with.
    init(script: String = "{}", port: Int = 0, tls: (certificate: String, key: String)? = nil) throws {
        var template = Array("/tmp/otlp-receiver-XXXXXX".utf8CString)
        directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        let portFile = directory + "/port"
        var arguments = ["python3", Self.scriptPath, "--port", String(port), "--port-file", portFile, "--log", directory + "/log", "--script", script]
        if let tls { arguments += ["--tls-cert", tls.certificate, "--tls-key", tls.key] }
        var argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child = pid_t()
        let spawned = posix_spawnp(&child, "python3", nil, nil, &argv, environ)
        try #require(spawned == 0, "could not start python3: \(String(cString: strerror(spawned)))")
        pid = child
        var found: Int?
        for _ in 0..<1000 {
            if let text = Self.read(portFile), let number = Int(text) {
                found = number
                break
            }
            usleep(10_000)
        }
        guard let found else {
            kill(pid, SIGKILL)
            waitpid(pid, nil, 0)
            throw ReceiverError.didNotStart
        }
        self.port = found
    }

    enum ReceiverError: Error {
        case didNotStart
    }

    deinit {
        stop()
        _ = system("rm -rf '\(directory)'")
    }

    var url: String { "http://127.0.0.1:\(port)/v1/traces" }

    /// Stops it, like a collector going down: connections are refused from now on.
    func stop() {
        guard !stopped else { return }
        stopped = true
        kill(pid, SIGKILL)
        waitpid(pid, nil, 0)
    }

    /// The requests logged so far, complete ones only.
    func requests() -> [ReceivedRequest] {
        ReceivedRequest.parse(Self.read(directory + "/log") ?? "")
    }

    /// Waits up to `seconds` for at least `count` requests.
    func waitForRequests(_ count: Int, seconds: Double = 10) -> [ReceivedRequest] {
        for _ in 0..<Int(seconds * 100) {
            let received = requests()
            if received.count >= count { return received }
            usleep(10_000)
        }
        return requests()
    }

    private static func read(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// One request as the receiver decoded it.
struct ReceivedRequest {
    struct Span {
        var traceID: String
        var spanID: String
        var parentID: String?
        var name: String
        var kind: Int
        var start: UInt64
        var end: UInt64
        var flags: UInt32
        var statusCode: Int
        var statusMessage: String
        /// key → "type:value"
        var attributes: [String: String] = [:]
        var events: [(name: String, time: UInt64, attributeCount: Int)] = []
    }

    var index: Int
    var status: Int
    /// Seconds on the receiver's monotonic clock.
    var arrival: Double
    var spanCount: Int
    var headers: [String: String] = [:]
    /// key → "type:value", in order.
    var resource: [(String, String)] = []
    var scope: (name: String, version: String)?
    var spans: [Span] = []
    var error: String?

    static func parse(_ log: String) -> [ReceivedRequest] {
        var requests: [Int: ReceivedRequest] = [:]
        var complete: [Int] = []
        for line in log.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 2, let index = Int(fields[1]) else { continue }
            let text = { (position: Int) in KeyValueList.percentDecode(Array(fields[position].utf8)) ?? fields[position] }
            switch fields[0] {
            case "request":
                requests[index] = ReceivedRequest(index: index, status: Int(fields[2])!, arrival: Double(fields[3])!, spanCount: Int(fields[4])!)
            case "header":
                requests[index]?.headers[text(2)] = text(3)
            case "resource":
                requests[index]?.resource.append((text(2), "\(fields[3]):\(text(4))"))
            case "scope":
                requests[index]?.scope = (text(2), text(3))
            case "span":
                requests[index]?.spans.append(
                    Span(
                        traceID: fields[2], spanID: fields[3], parentID: fields[4] == "-" ? nil : fields[4], name: text(5),
                        kind: Int(fields[6])!, start: UInt64(fields[7])!, end: UInt64(fields[8])!, flags: UInt32(fields[9])!,
                        statusCode: Int(fields[10])!, statusMessage: text(11)
                    ))
            case "attr":
                if let spanIndex = requests[index]?.spans.firstIndex(where: { $0.spanID == fields[2] }) {
                    requests[index]?.spans[spanIndex].attributes[text(3)] = "\(fields[4]):\(text(5))"
                }
            case "event":
                if let spanIndex = requests[index]?.spans.firstIndex(where: { $0.spanID == fields[2] }) {
                    requests[index]?.spans[spanIndex].events.append((text(3), UInt64(fields[4])!, Int(fields[5])!))
                }
            case "error":
                requests[index]?.error = text(2)
            case "end":
                complete.append(index)
            default:
                continue
            }
        }
        return complete.sorted().compactMap { requests[$0] }
    }
}

/// A loopback port nothing listens on (bound, read back, released).
func unusedLoopbackPort() -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            _ = bind(descriptor, pointer, length)
            return getsockname(descriptor, pointer, &length)
        }
    }
    return Int(in_port_t(bigEndian: address.sin_port))
}
