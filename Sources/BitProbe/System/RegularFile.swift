#if canImport(Glibc)
import Glibc
#endif

/// A file that could not be read whole, with the reason.
public struct FileReadError: Error, Equatable, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    /// The `errno` behind `reason`; 0 when the file itself is refused (too large, not regular).
    public var code: Int32 = 0
    public var description: String { "cannot read '\(path)': \(reason)" }

    static func system(_ path: String) -> FileReadError { FileReadError(path: path, reason: lastErrorText(), code: errno) }
}

/// Reads whole files that users hand us (configs, TLS material, baselines). Unlike
/// `SystemFile.readText`, which reads /proc and /sys, it never truncates silently (a cut config could
/// drop its `web:` section) and never blocks: a FIFO or device named like a config would otherwise
/// hang the reader forever, so the file is opened non-blocking and must be a regular file.
public enum RegularFile {
    public static func read(_ path: String, limit: Int) throws(FileReadError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw .system(path) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw .system(path) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw FileReadError(path: path, reason: "not a regular file") }
        let tooLarge = FileReadError(path: path, reason: "larger than the \(limit)-byte limit")
        if status.st_size > limit { throw tooLarge }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(status.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .system(path)
            }
            if n == 0 { return bytes }
            // The file may grow between fstat and here.
            if bytes.count + n > limit { throw tooLarge }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }

    public static func readText(_ path: String, limit: Int) throws(FileReadError) -> String {
        String(decoding: try read(path, limit: limit), as: UTF8.self)
    }
}
