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
/// Only regular files are replaced so: a symlink is followed and its target replaced, and anything
/// else (a device such as /dev/stdout or /dev/null, a FIFO) is written through in place, since
/// renaming over it would destroy it (run as root, `--output /dev/full` once replaced /dev/full).
public enum AtomicFile {
    /// Fails early, before any work is done, when `path` could not be written later.
    public static func checkWritable(_ path: String) throws(FileWriteError) {
        var status = stat()
        if stat(path, &status) == 0 {
            if (status.st_mode & S_IFMT) == S_IFDIR { throw FileWriteError(path: path, reason: "Is a directory") }
            if access(path, W_OK) != 0 { throw FileWriteError(path: path, reason: lastErrorText()) }
            if (status.st_mode & S_IFMT) != S_IFREG { return }
        }
        let directory = parentDirectory(of: resolved(path))
        if access(directory, W_OK) != 0 { throw FileWriteError(path: path, reason: lastErrorText()) }
    }

    public static func write(_ bytes: [UInt8], to path: String) throws(FileWriteError) {
        var status = stat()
        if stat(path, &status) == 0, (status.st_mode & S_IFMT) != S_IFREG, (status.st_mode & S_IFMT) != S_IFDIR {
            return try writeThrough(bytes, to: path)
        }
        try replace(resolved(path), with: bytes, reportedAs: path)
    }

    /// The file a symlink chain ends at (even when that file does not exist yet), else `path`.
    static func resolved(_ path: String) -> String {
        var current = path
        // The kernel's own limit on symlinks followed in one lookup (ELOOP past it).
        for _ in 0..<40 {
            var status = stat()
            guard lstat(current, &status) == 0, (status.st_mode & S_IFMT) == S_IFLNK else { return current }
            var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlink(current, &target, target.count - 1)
            guard length > 0 else { return current }
            let link = String(decoding: target[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = link.hasPrefix("/") ? link : "\(parentDirectory(of: current))/\(link)"
        }
        return current
    }

    private static func writeThrough(_ bytes: [UInt8], to path: String) throws(FileWriteError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileWriteError(path: path, reason: lastErrorText()) }
        defer { close(fd) }
        if let reason = writeAll(bytes, to: fd) { throw FileWriteError(path: path, reason: reason) }
    }

    private static func replace(_ path: String, with bytes: [UInt8], reportedAs reported: String) throws(FileWriteError) {
        removeOrphanedTemporaries(of: path)
        // Unique per call, so concurrent writers of one path (in this or another process) never
        // share a temporary file; the last rename wins whole.
        let temporary = "\(parentDirectory(of: path))/\(temporaryPrefix(of: path))\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileWriteError(path: reported, reason: lastErrorText()) }
        if let reason = writeAll(bytes, to: fd) {
            close(fd)
            unlink(temporary)
            throw FileWriteError(path: reported, reason: reason)
        }
        if fsync(fd) != 0 || close(fd) != 0 {
            let reason = lastErrorText()
            unlink(temporary)
            throw FileWriteError(path: reported, reason: reason)
        }
        guard rename(temporary, path) == 0 else {
            let reason = lastErrorText()
            unlink(temporary)
            throw FileWriteError(path: reported, reason: reason)
        }
        // The rename itself is durable only once the directory entry is on disk.
        let directoryFD = open(parentDirectory(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }

    static func temporaryPrefix(of path: String) -> String { ".\(baseName(of: path)).tmp-" }

    /// Deletes the temporaries of `path` whose writer process no longer exists: a writer killed
    /// between creating its temporary and renaming it (SIGKILL during `baseline create`'s save)
    /// leaves one behind. A live writer's temporary is never touched.
    static func removeOrphanedTemporaries(of path: String) {
        let directory = parentDirectory(of: path)
        let prefix = temporaryPrefix(of: path)
        guard let stream = opendir(directory) else { return }
        defer { closedir(stream) }
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            guard name.hasPrefix(prefix), let pid = pid_t(name.dropFirst(prefix.count).prefix { $0 != "-" }) else { continue }
            if pid != getpid(), kill(pid, 0) != 0, errno == ESRCH { unlink("\(directory)/\(name)") }
        }
    }

    /// Nil when every byte was written, else why not.
    private static func writeAll(_ bytes: [UInt8], to fd: Int32) -> String? {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                return lastErrorText()
            }
            written += n
        }
        return nil
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
