import Glibc

/// Files and subprocesses through Glibc, so that the tests need no Foundation either.
enum TestFiles {
    /// The fixtures in the source tree, found from this file's path so they can also be rewritten.
    static func fixturePath(_ name: String) -> String {
        let filePath = #filePath
        let supportDirectory = filePath[..<filePath.lastIndex(of: "/")!]
        let testsDirectory = supportDirectory[..<supportDirectory.lastIndex(of: "/")!]
        return testsDirectory + "/Fixtures/" + name
    }

    /// A path under /tmp unique to this process and `name`.
    static func temporaryPath(_ name: String) -> String {
        "/tmp/bitprobe-exposition-\(getpid())-\(name)"
    }

    static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            bytes.append(contentsOf: chunk[0..<count])
            if count < chunk.count { break }
        }
        return bytes
    }

    static func write(_ bytes: [UInt8], to path: String) throws(TestFailure) {
        guard let file = fopen(path, "wb") else { throw TestFailure("cannot open \(path) for writing") }
        let written = fwrite(bytes, 1, bytes.count, file)
        guard fclose(file) == 0, written == bytes.count else { throw TestFailure("cannot write \(path)") }
    }

    static func remove(_ path: String) {
        unlink(path)
    }

    /// Runs `command` with /bin/sh and returns its exit status and its stdout and stderr together.
    static func run(_ command: String) throws(TestFailure) -> (status: Int32, output: String) {
        guard let pipe = popen(command + " 2>&1", "r") else { throw TestFailure("cannot start: \(command)") }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&chunk, 1, chunk.count, pipe)
            if count == 0 { break }
            output.append(contentsOf: chunk[0..<count])
        }
        let status = pclose(pipe)
        // pclose returns a wait status; the exit code is its second byte (WEXITSTATUS is a macro).
        return ((status >> 8) & 0xFF, String(decoding: output, as: UTF8.self))
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The first line where two texts differ, to make a failed golden comparison readable.
func firstDifference(_ actual: [UInt8], _ expected: [UInt8]) -> String? {
    guard actual != expected else { return nil }
    let actualLines = String(decoding: actual, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
    let expectedLines = String(decoding: expected, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
    for index in 0..<max(actualLines.count, expectedLines.count) {
        let actualLine = index < actualLines.count ? String(actualLines[index]) : "<end>"
        let expectedLine = index < expectedLines.count ? String(expectedLines[index]) : "<end>"
        if actualLine != expectedLine {
            return "line \(index + 1):\n  actual:   \(actualLine)\n  expected: \(expectedLine)"
        }
    }
    return "the texts differ in bytes that do not show per line"
}
