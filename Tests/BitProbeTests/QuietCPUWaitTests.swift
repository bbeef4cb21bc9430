import Testing

@testable import BitProbe

#if canImport(Glibc)
import Glibc
#endif

@Suite struct QuietCPUWaitTests {
    /// A wait whose stall counter advances by the given microseconds per one-second sample.
    func wait(stalls: [UInt64], maxWait: Double = 5) -> (QuietCPUWait, () -> Int) {
        final class Counter: @unchecked Sendable { var total: UInt64 = 0; var index = 0; var sleeps = 0 }
        let counter = Counter()
        var wait = QuietCPUWait()
        wait.maxWaitSeconds = maxWait
        wait.readStallMicroseconds = { counter.total }
        wait.sleepSeconds = { _ in
            counter.total += stalls[min(counter.index, stalls.count - 1)]
            counter.index += 1
            counter.sleeps += 1
        }
        return (wait, { counter.sleeps })
    }

    @Test func aQuietMachineIsMeasuredAfterOneSample() {
        let (wait, sleeps) = wait(stalls: [20_000])
        #expect(wait.wait() == .quiet(waitedSeconds: 0))
        #expect(sleeps() == 1)
    }

    @Test func aSpellOfLoadIsWaitedOutAndReportedOnce() {
        let (wait, _) = wait(stalls: [600_000, 400_000, 300_000, 50_000])
        var reports: [Double] = []
        #expect(wait.wait { reports.append($0) } == .quiet(waitedSeconds: 3))
        #expect(reports == [0.6])
    }

    @Test func theWaitIsBounded() {
        let (wait, sleeps) = wait(stalls: [900_000], maxWait: 5)
        #expect(wait.wait() == .busy(lastShare: 0.9))
        #expect(sleeps() == 5)
    }

    @Test func withoutPressureStallInformationNothingWaits() {
        var wait = QuietCPUWait()
        wait.readStallMicroseconds = { nil }
        wait.sleepSeconds = { _ in Issue.record("slept without PSI") }
        #expect(wait.wait() == .unknown)
    }

    @Test func theAgentReadsItsOwnCgroupsPressureWhereThereIsOne() throws {
        let root = "/tmp/bitprobe-cpu-pressure-\(UInt32.random(in: 0...UInt32.max))"
        let proc = root + "/proc", cgroup = root + "/cgroup"
        for directory in [root, proc, proc + "/self", proc + "/pressure", cgroup, cgroup + "/system.slice", cgroup + "/system.slice/bitprobe.service"] {
            mkdir(directory, 0o755)
        }
        let line = "some avg10=0.00 avg60=0.00 avg300=0.00 total=42\n"
        try AtomicFile.write(Array(line.utf8), to: proc + "/pressure/cpu")
        try AtomicFile.write(Array("0::/system.slice/bitprobe.service\n".utf8), to: proc + "/self/cgroup")
        #expect(CPUPressure.ownPath(procRoot: proc, cgroupRoot: cgroup) == proc + "/pressure/cpu", "no cpu.pressure in the cgroup")
        try AtomicFile.write(Array(line.utf8), to: cgroup + "/system.slice/bitprobe.service/cpu.pressure")
        #expect(CPUPressure.ownPath(procRoot: proc, cgroupRoot: cgroup) == cgroup + "/system.slice/bitprobe.service/cpu.pressure")
        try AtomicFile.write(Array("0::/\n".utf8), to: proc + "/self/cgroup")
        #expect(CPUPressure.ownPath(procRoot: proc, cgroupRoot: cgroup) == proc + "/pressure/cpu", "the root cgroup is the machine")
    }

    @Test func theSomeTotalIsParsed() {
        let text = "some avg10=9.64 avg60=7.75 avg300=29.26 total=1830813340\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
        #expect(CPUPressure.parseSomeTotal(text) == 1_830_813_340)
        #expect(CPUPressure.parseSomeTotal("full avg10=0.00 total=5\n") == nil)
        #expect(CPUPressure.parseSomeTotal("some avg10=1.0\n") == nil)
        #expect(CPUPressure.someTotalMicroseconds(path: "/nonexistent/pressure/cpu") == nil)
    }
}
