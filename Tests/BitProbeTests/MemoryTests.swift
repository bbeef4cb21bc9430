import Testing

@testable import BitProbe

@Suite struct MemoryTrackerTests {
    @Test func heldBytesAndPeakFollowAcquiresAndReleases() {
        let tracker = MemoryTracker()
        tracker.record(.allocate, device: "cpu0", bytes: 100, held: 100)
        tracker.record(.allocate, device: "cpu0", bytes: 50, held: 50)
        tracker.record(.release, device: "cpu0", bytes: 100, held: -100)
        let totals = tracker.totals["cpu0"]!
        #expect(totals.trackedBytes == 50 && totals.peakBytes == 150)
        #expect(totals.events[.allocate] == 2 && totals.events[.release] == 1)
    }

    @Test func ringKeepsTheNewestEventsInOrder() {
        let tracker = MemoryTracker(capacity: 3)
        for bytes in 1...5 { tracker.record(.allocate, device: "cpu0", bytes: bytes) }
        #expect(tracker.recentEvents.map(\.bytes) == [3, 4, 5])
    }

    @Test func probeThatKeepsMemoryIsReportedAsALeak() {
        let tracker = MemoryTracker()
        tracker.beginProbe("cpu0 add f32 100")
        tracker.record(.allocate, device: "cpu0", bytes: 400, held: 400)
        tracker.record(.allocate, device: "cpu0", bytes: 400, held: 400)
        tracker.record(.release, device: "cpu0", bytes: 400, held: -400)
        #expect(tracker.recentEvents.last?.probe == "cpu0 add f32 100")
        #expect(tracker.endProbe() == [MemoryLeak(device: "cpu0", probe: "cpu0 add f32 100", bytes: 400, allocations: 1)])
        tracker.beginProbe("cpu0 copy bytes 8")
        tracker.record(.poolHit, device: "cpu0", bytes: 8, held: 8)
        tracker.record(.release, device: "cpu0", bytes: 8, held: -8)
        #expect(tracker.endProbe().isEmpty)
        #expect(tracker.leaks.count == 1)
    }

    @Test func poolReportsHitsMissesAllocationsAndFrees() throws {
        let tracker = MemoryTracker()
        let pool = BufferPool(retainedLimit: 4096, tracker: tracker)
        let a = try #require(pool.acquire(bytes: 4096))
        pool.release(a)
        let b = try #require(pool.acquire(bytes: 4096))
        pool.release(b)
        let c = try #require(pool.acquire(bytes: 1024))  // evicts the idle 4096 to stay within the limit
        pool.release(c)
        let totals = tracker.totals["cpu0"]!
        #expect(totals.events[.poolMiss] == 2 && totals.events[.poolHit] == 1 && totals.events[.allocate] == 2)
        #expect(totals.events[.free] == 1 && totals.events[.release] == 3)
        #expect(totals.trackedBytes == 0 && totals.peakBytes == 4096)
    }

    @Test func trimGivesIdleBuffersBack() throws {
        let tracker = MemoryTracker()
        let pool = BufferPool(tracker: tracker)
        pool.release(try #require(pool.acquire(bytes: 1 << 20)))
        pool.release(try #require(pool.acquire(bytes: 1 << 16)))
        #expect(pool.counters.idleBytes == (1 << 20) + (1 << 16))
        pool.trim()
        #expect(pool.counters.idleBytes == 0)
        #expect(tracker.totals["cpu0"]!.events[.free] == 2)
    }

    @Test func realProbesLeaveNothingBehind() throws {
        let tracker = MemoryTracker()
        let backend = try CPUBackend(threads: 1, bufferPool: BufferPool(tracker: tracker))
        var config = BenchmarkConfig()
        config.measurementIterations = 1
        config.minMeasurementSeconds = 0
        tracker.beginProbe("matmul")
        _ = Benchmarker(config: config, backend: backend).run(try ProbeSpec(op: .matmul, dtype: .f32, shape: ProbeShape([8, 8, 8])))
        #expect(tracker.endProbe().isEmpty)
        #expect(tracker.totals["cpu0"]!.peakBytes == 3 * 64 * 4)
    }
}

@Suite struct HostMemoryTests {
    @Test func cgroupAndPressureFilesAreParsed() {
        #expect(HostMemoryStatus.parseCgroupV2Path("0::/system.slice/bitprobe.service\n") == "/system.slice/bitprobe.service")
        #expect(HostMemoryStatus.parseCgroupV2Path("12:memory:/docker/abc\n") == nil)
        #expect(HostMemoryStatus.parseCgroupBytes("max\n") == nil)
        #expect(HostMemoryStatus.parseCgroupBytes("1073741824\n") == 1 << 30)
        let psi = "some avg10=12.50 avg60=3.00 avg300=1.00 total=123\nfull avg10=0.25 avg60=0.00 avg300=0.00 total=4\n"
        let (some, full) = HostMemoryStatus.parsePressure(psi)
        #expect(some == 12.5 && full == 0.25)
    }

    @Test func usableIsTheTighterOfMemAvailableAndCgroupHeadroom() {
        let status = HostMemoryStatus(totalBytes: 100, availableBytes: 60, cgroupLimitBytes: 50, cgroupCurrentBytes: 30)
        #expect(status.usableBytes == 20 && status.capacityBytes == 50)
        #expect(HostMemoryStatus(totalBytes: 100, availableBytes: 60).usableBytes == 60)
    }

    @Test(
        arguments: [
            (4, 100, nil, nil, MemoryPressureLevel.critical),
            (50, 100, nil, 10.0, .critical),
            (9, 100, nil, nil, .high),
            (50, 100, 20.0, nil, .high),
            (19, 100, nil, nil, .medium),
            (50, 100, 5.0, nil, .medium),
            (20, 100, 4.99, 9.99, .low),
        ] as [(Int, Int, Double?, Double?, MemoryPressureLevel)])
    func pressureCutOffs(usable: Int, capacity: Int, some: Double?, full: Double?, level: MemoryPressureLevel) {
        #expect(MemoryPressureLevel.assess(usableBytes: usable, capacityBytes: capacity, pressureSome: some, pressureFull: full) == level)
    }

    @Test func fixtureRootsAreRead() throws {
        let root = "/tmp/bitprobe-memtest-\(UInt32.random(in: 0...UInt32.max))"
        for directory in [root, root + "/proc", root + "/proc/self", root + "/proc/pressure", root + "/cg", root + "/cg/agent"] {
            mkdir(directory, 0o755)
        }
        try AtomicFile.write(Array("MemTotal: 1000 kB\nMemAvailable: 900 kB\n".utf8), to: root + "/proc/meminfo")
        try AtomicFile.write(Array("0::/agent\n".utf8), to: root + "/proc/self/cgroup")
        try AtomicFile.write(
            Array("some avg10=1.00 avg60=0 avg300=0 total=0\nfull avg10=0.00 avg60=0 avg300=0 total=0\n".utf8), to: root + "/proc/pressure/memory")
        try AtomicFile.write(Array("512000\n".utf8), to: root + "/cg/agent/memory.max")
        try AtomicFile.write(Array("480000\n".utf8), to: root + "/cg/agent/memory.current")
        let status = HostMemoryStatus.read(procRoot: root + "/proc", cgroupRoot: root + "/cg")
        #expect(
            status
                == HostMemoryStatus(
                    totalBytes: 1_024_000, availableBytes: 921_600, cgroupLimitBytes: 512_000,
                    cgroupCurrentBytes: 480_000, pressureSomeAvg10: 1, pressureFullAvg10: 0))
        #expect(status.usableBytes == 32_000)
        let report = MemoryReport(host: status, tracker: MemoryTracker(), largestProbe: ("cpu0 copy bytes 64", 64_000), poolIdleBytes: 0)
        #expect(report.devices[0].pressure == "high")  // 32,000 usable of 512,000 = 6.25 %
        #expect(
            report.recommendations.map(\.detail) == [
                "probe cpu0 copy bytes 64 needs 62.50 KiB but only 31.25 KiB is usable: it will be refused; shrink its shape"
            ])
    }

    @Test func theCyclesPressureIsTakenAsAssessedNotAssessedAgain() {
        // A host reading that would assess as low, with the levels a cycle assessed: the report
        // shows the cycle's, GPUs included, and its advice follows the cycle's host level.
        let host = HostMemoryStatus(totalBytes: 1 << 30, availableBytes: 1 << 29)
        let tracker = MemoryTracker()
        tracker.record(.allocate, device: "cuda0", bytes: 4096)
        let report = MemoryReport(
            host: host, pressure: ["cpu0": .high, "cuda0": .critical], tracker: tracker, largestProbe: nil,
            poolIdleBytes: 1 << 20)
        #expect(report.devices.map(\.device) == ["cpu0", "cuda0"])
        #expect(report.devices.map(\.pressure) == ["high", "critical"])
        #expect(report.recommendations.map(\.title) == ["Lower the buffer pool limit"])
        let assessedHere = MemoryReport(host: host, tracker: tracker, largestProbe: nil, poolIdleBytes: 1 << 20)
        #expect(assessedHere.devices.map(\.pressure) == ["low", "low"])
    }
}

#if canImport(Glibc)
import Glibc
#endif

@Suite struct IdleMemoryTests {
    @Test func kernelsWorkAgainAfterTheirScratchIsReleased() throws {
        let backend = try CPUBackend(threads: 2)
        var config = BenchmarkConfig()
        config.measurementIterations = 2
        config.minMeasurementSeconds = 0
        let spec = try ProbeSpec(op: .matmul, dtype: .f16, shape: ProbeShape([65, 129, 257]))
        #expect(Benchmarker(config: config, backend: backend).run(spec).outcome == .ok)
        backend.releaseIdleMemory()
        #expect(backend.bufferPool.counters.idleBytes == 0)
        #expect(Benchmarker(config: config, backend: backend).run(spec).outcome == .ok)
    }
}
