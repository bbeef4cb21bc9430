#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `bitprobe` binary (BITPROBE_BIN, or .build/debug/bitprobe next to this package)
/// and captures its output.
struct BinaryRun {
    var status: Int32
    var stdout: String
    var stderr: String

    static var binaryPath: String {
        if let path = getenv("BITPROBE_BIN") { return String(cString: path) }
        let file = #filePath
        let packageRoot = file.split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/")
        return packageRoot + "/.build/debug/bitprobe"
    }

    /// Runs with `environment` added; the fault injector and baseline directory of the test
    /// runner's own environment are removed first (`env -u`), so they never leak in.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> BinaryRun {
        let directory = "/tmp/bitprobe-cli-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(directory, 0o700)
        defer {
            unlink(directory + "/out")
            unlink(directory + "/err")
            rmdir(directory)
        }
        func quote(_ text: String) -> String { "'" + text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'" }
        let assignments = environment.sorted { $0.key < $1.key }.map { quote("\($0.key)=\($0.value)") }
        let command =
            (["env", "-u", "BITPROBE_FAULT_INJECT", "-u", "BITPROBE_BASELINE_DIR"] + assignments + [quote(binaryPath)] + arguments.map(quote))
            .joined(separator: " ") + " >\(directory)/out 2>\(directory)/err </dev/null"
        let raw = system(command)
        let status = raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
        return BinaryRun(status: status, stdout: readWhole(directory + "/out"), stderr: readWhole(directory + "/err"))
    }
}

/// The whole file as text ("" when it cannot be read).
func readWhole(_ path: String) -> String {
    guard let file = fopen(path, "r") else { return "" }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, file)
        if n == 0 { break }
        bytes.append(contentsOf: buffer[0..<n])
    }
    return String(decoding: bytes, as: UTF8.self)
}
