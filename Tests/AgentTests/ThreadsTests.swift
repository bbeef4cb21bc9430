import BitProbe
import Dispatch
import Glibc
import Testing

@testable import Agent

@Suite struct ThreadsTests {
    /// The name reaches the kernel, where `top -H` and `ps -L` read it (/proc/PID/task/TID/comm).
    @Test func spawnedThreadsCarryTheirName() throws {
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        spawnThread(name: "bitprobe-test12") {
            started.signal()
            release.wait()
        }
        defer { release.signal() }
        #expect(started.wait(timeout: .now() + .seconds(10)) == .success)
        var names: [String] = []
        let tasks = try #require(opendir("/proc/self/task"))
        defer { closedir(tasks) }
        while let entry = readdir(tasks) {
            let tid = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            guard tid.first != "." else { continue }
            if let comm = SystemFile.readText("/proc/self/task/\(tid)/comm") { names.append(comm) }
        }
        #expect(names.contains("bitprobe-test12\n"))
    }
}
