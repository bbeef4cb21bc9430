#if canImport(Glibc)
import Glibc
#endif

/// A file that could not be written, with the system's reason.
public struct FileWriteError: Error, Equatable, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "cannot write output file '\(path)': \(reason)" }
}

/// Writes whole files so readers see the old content or the new, never a torn mix: the bytes go to
/// a temporary file in the same directory, are fsynced, and the temporary is renamed over the target.
public enum AtomicFile {
    /// Fails early, before any work is done, when `path` could not be written later.
    public static func checkWritable(_ path: String) throws(FileWriteError) {
        var status = stat()
        if stat(path, &status) == 0 {
            if (status.st_mode & S_IFMT) == S_IFDIR { throw FileWriteError(path: path, reason: "Is a directory") }
            if access(path, W_OK) != 0 { throw FileWriteError(path: path, reason: lastErrorText()) }
        }
        let directory = parentDirectory(of: path)
        if access(directory, W_OK) != 0 { throw FileWriteError(path: path, reason: lastErrorText()) }
    }

    public static func write(_ bytes: [UInt8], to path: String) throws(FileWriteError) {
        // Unique per call, so concurrent writers of one path (in this or another process) never
        // share a temporary file; the last rename wins whole.
        let temporary = "\(parentDirectory(of: path))/.\(baseName(of: path)).tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileWriteError(path: path, reason: lastErrorText()) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = lastErrorText()
                close(fd)
                unlink(temporary)
                throw FileWriteError(path: path, reason: reason)
            }
            written += n
        }
        if fsync(fd) != 0 || close(fd) != 0 {
            let reason = lastErrorText()
            unlink(temporary)
            throw FileWriteError(path: path, reason: reason)
        }
        guard rename(temporary, path) == 0 else {
            let reason = lastErrorText()
            unlink(temporary)
            throw FileWriteError(path: path, reason: reason)
        }
        // The rename itself is durable only once the directory entry is on disk.
        let directoryFD = open(parentDirectory(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    static func baseName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}

/// The text of the current `errno` ("No such file or directory").
public func lastErrorText() -> String { String(cString: strerror(errno)) }
