import Testing

@testable import BitProbe

#if canImport(Glibc)
import Glibc
#endif

/// `--output` targets that are not regular files (issue 12): the atomic rename once turned them into
/// regular files, so `--output /dev/full` run as root replaced /dev/full.
@Suite struct OutputTargetTests {
    let directory = "/tmp/bitprobe-output-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"

    func kind(_ path: String) -> mode_t {
        var status = stat()
        lstat(path, &status)
        return status.st_mode & S_IFMT
    }

    @Test func aFIFOIsWrittenThroughAndStaysAFIFO() throws {
        mkdir(directory, 0o700)
        defer { unlink(directory + "/fifo"); rmdir(directory) }
        #expect(mkfifo(directory + "/fifo", 0o600) == 0)
        // A reader must hold the FIFO open, or opening it for writing waits for one.
        let reader = open(directory + "/fifo", O_RDONLY | O_NONBLOCK)
        defer { close(reader) }
        try AtomicFile.write(Array("probe results\n".utf8), to: directory + "/fifo")
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = read(reader, &buffer, buffer.count)
        #expect(String(decoding: buffer[0..<max(n, 0)], as: UTF8.self) == "probe results\n")
        #expect(kind(directory + "/fifo") == S_IFIFO)
    }

    @Test func aSymlinkIsFollowedAndItsTargetReplaced() throws {
        mkdir(directory, 0o700)
        mkdir(directory + "/real", 0o700)
        defer { unlink(directory + "/link"); unlink(directory + "/real/out.json"); rmdir(directory + "/real"); rmdir(directory) }
        try AtomicFile.write(Array("old".utf8), to: directory + "/real/out.json")
        #expect(symlink("real/out.json", directory + "/link") == 0)
        try AtomicFile.write(Array("new".utf8), to: directory + "/link")
        #expect(kind(directory + "/link") == S_IFLNK)
        #expect(try RegularFile.readText(directory + "/real/out.json", limit: 100) == "new")
    }

    @Test func aDanglingSymlinkCreatesItsTarget() throws {
        mkdir(directory, 0o700)
        defer { unlink(directory + "/link"); unlink(directory + "/new.json"); rmdir(directory) }
        #expect(symlink(directory + "/new.json", directory + "/link") == 0)
        try AtomicFile.write(Array("made".utf8), to: directory + "/link")
        #expect(kind(directory + "/link") == S_IFLNK)
        #expect(try RegularFile.readText(directory + "/new.json", limit: 100) == "made")
    }

    /// A writer SIGKILLed between creating its temporary and renaming it left the temporary behind.
    @Test func temporariesOfDeadWritersAreRemovedOthersKept() throws {
        mkdir(directory, 0o700)
        defer { unlink(directory + "/.out.json.tmp-\(getppid())-7"); unlink(directory + "/out.json"); rmdir(directory) }
        // Process 0x7fffffff cannot exist (pid_max is at most 2^22).
        try AtomicFile.write(Array("stale".utf8), to: directory + "/.out.json.tmp-2147483647-1")
        try AtomicFile.write(Array("live".utf8), to: directory + "/.out.json.tmp-\(getppid())-7")
        try AtomicFile.write(Array("new".utf8), to: directory + "/out.json")
        #expect(access(directory + "/.out.json.tmp-2147483647-1", F_OK) != 0)
        #expect(access(directory + "/.out.json.tmp-\(getppid())-7", F_OK) == 0)
        #expect(try RegularFile.readText(directory + "/out.json", limit: 100) == "new")
    }

    @Test func aFullDeviceIsAnErrorAndStaysADevice() throws {
        #expect(throws: FileWriteError(path: "/dev/full", reason: "No space left on device")) {
            try AtomicFile.write(Array("x".utf8), to: "/dev/full")
        }
        #expect(kind("/dev/full") == S_IFCHR)
    }

    @Test func aDeviceIsCheckedForWritingNotItsDirectory() throws {
        try AtomicFile.checkWritable("/dev/null")
    }
}
