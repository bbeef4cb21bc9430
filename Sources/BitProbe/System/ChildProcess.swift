#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs a program to completion, capturing its stdout and stderr (the baseline and regress
/// commands run each probe round in a `bitprobe bench` process of its own).
public enum ChildProcess {
    public struct Output: Sendable {
        public var status: Int32
        public var standardOutput: [UInt8]
        public var standardError: String
    }

    public struct Failure: Error, Sendable, Equatable {
        public var reason: String
    }

    /// Runs `executable` with `arguments` and this process's environment. The exit status is the
    /// child's, or 128 + the signal that ended it, as a shell reports it.
    public static func run(executable: String, arguments: [String]) throws(Failure) -> Output {
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        // The child's stdin (ParentLifeline): only this process may hold the write end, so the
        // child sees end-of-file exactly when this process is gone.
        var lifeline: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0 else { throw Failure(reason: lastError()) }
        guard pipe(&errPipe) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            throw Failure(reason: lastError())
        }
        guard pipe(&lifeline) == 0 else {
            for fd in outPipe + errPipe { close(fd) }
            throw Failure(reason: lastError())
        }
        defer { close(lifeline[1]) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, lifeline[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        for fd in outPipe + errPipe + lifeline { posix_spawn_file_actions_addclose(&actions, fd) }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        close(lifeline[0])
        close(outPipe[1])
        close(errPipe[1])
        defer { close(outPipe[0]); close(errPipe[0]) }
        guard spawned == 0 else { throw Failure(reason: String(cString: strerror(spawned))) }
        let (output, errors) = try drain(outPipe[0], errPipe[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw Failure(reason: lastError()) }
        }
        let exit = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Output(status: exit, standardOutput: output, standardError: String(decoding: errors, as: UTF8.self))
    }

    /// Reads both pipes to end-of-file together: reading one to the end first would deadlock as
    /// soon as the child filled the other pipe's buffer (64 KiB on Linux) and blocked writing.
    private static func drain(_ first: Int32, _ second: Int32) throws(Failure) -> ([UInt8], [UInt8]) {
        var streams = [(fd: first, bytes: [UInt8](), open: true), (fd: second, bytes: [UInt8](), open: true)]
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while streams.contains(where: \.open) {
            var fds = streams.map { pollfd(fd: $0.open ? $0.fd : -1, events: Int16(POLLIN), revents: 0) }
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                guard errno == EINTR else { throw Failure(reason: lastError()) }
                continue
            }
            for index in streams.indices where streams[index].open && fds[index].revents != 0 {
                let n = chunk.withUnsafeMutableBytes { read(streams[index].fd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR || errno == EAGAIN { continue }
                // POLLHUP with nothing left to read, or an error: this stream is finished.
                if n <= 0 { streams[index].open = false } else { streams[index].bytes.append(contentsOf: chunk[0..<n]) }
            }
        }
        return (streams[0].bytes, streams[1].bytes)
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}
