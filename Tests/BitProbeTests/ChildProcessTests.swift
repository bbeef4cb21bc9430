import Dispatch
import Synchronization
import Testing

@testable import BitProbe

/// `ChildProcess` reads a child's stdout and stderr together (issue 13): it used to read stdout to
/// end-of-file first, so a child that filled the stderr pipe (64 KiB) blocked for ever, and so did we.
@Suite struct ChildProcessTests {
    /// Runs `script` under /bin/sh on a thread of its own, so that a deadlock fails the test after
    /// `deadline` seconds instead of hanging the suite.
    func run(_ script: String, deadline: Int = 60) throws -> ChildProcess.Output? {
        let outcome = Mutex<Result<ChildProcess.Output, ChildProcess.Failure>?>(nil)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            let result = Result { () throws(ChildProcess.Failure) in try ChildProcess.run(executable: "/bin/sh", arguments: ["-c", script]) }
            outcome.withLock { $0 = result }
            done.signal()
        }
        guard done.wait(timeout: .now() + .seconds(deadline)) == .success else { return nil }
        return try outcome.withLock { $0 }?.get()
    }

    @Test func aChildWritingAMebibyteToStderrThenToStdoutFinishesWithBothCaptured() throws {
        let output = try run("head -c 1048576 /dev/zero | tr '\\0' e >&2; head -c 1048576 /dev/zero | tr '\\0' o")
        let finished = try #require(output, "the child did not finish within 60 s: stderr was not drained while stdout was read")
        #expect(finished.status == 0)
        #expect(finished.standardOutput == [UInt8](repeating: UInt8(ascii: "o"), count: 1 << 20))
        #expect(finished.standardError == String(repeating: "e", count: 1 << 20))
    }

    @Test func exitStatusesAreTheChildsAndSignalsCountFrom128() throws {
        let failed = try #require(try run("printf 'partial'; echo 'bench: error: no such probe' >&2; exit 3"))
        #expect(failed.status == 3)
        #expect(failed.standardOutput == Array("partial".utf8))
        #expect(failed.standardError == "bench: error: no such probe\n")
        let killed = try #require(try run("kill -KILL $$"))
        #expect(killed.status == 128 + 9)
    }

    @Test func aMissingProgramIsAFailureWithTheSystemsReason() {
        #expect(throws: ChildProcess.Failure(reason: "No such file or directory")) {
            try ChildProcess.run(executable: "/nonexistent/bitprobe", arguments: [])
        }
    }
}
