import Dispatch
import Testing

@testable import BitProbe

#if canImport(Glibc)
import Glibc
#endif

@Suite struct SystemTests {
    @Test func meminfoIsParsedInBytes() {
        let values = HostInfo.parseMeminfo("MemTotal:       24576000 kB\nMemAvailable:   1000 kB\nHugePages_Total:       0\n")
        #expect(values["MemTotal"] == 24_576_000 * 1024)
        #expect(values["MemAvailable"] == 1_024_000)
        #expect(values["HugePages_Total"] == 0)
    }

    @Test func cpuModelComesFromTheFirstModelNameLine() {
        let text = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Processor\nprocessor\t: 1\nmodel name\t: Other\n"
        #expect(HostInfo.parseCPUModel(text) == "Intel(R) Xeon(R) Processor")
        #expect(HostInfo.parseCPUModel("processor : 0\n") == nil)
    }

    @Test func hostInfoReadsFixtureRoot() throws {
        let root = "/tmp/bitprobe-test-proc-\(getpid())"
        mkdir(root, 0o755)
        defer { unlink(root + "/cpuinfo"); unlink(root + "/meminfo"); rmdir(root) }
        try AtomicFile.write(Array("model name : Test CPU\n".utf8), to: root + "/cpuinfo")
        try AtomicFile.write(Array("MemTotal: 2048 kB\nMemAvailable: 1024 kB\n".utf8), to: root + "/meminfo")
        let host = HostInfo.read(procRoot: root)
        #expect(host.cpuModel == "Test CPU")
        #expect(host.memoryAvailableBytes == 1 << 20)
        #expect(host.memoryTotalBytes == 2 << 20)
        #expect(host.availableCPUs >= 1)
    }

    @Test func atomicWriteReplacesWholeFile() throws {
        let path = "/tmp/bitprobe-atomic-\(getpid()).txt"
        defer { unlink(path) }
        try AtomicFile.write(Array("first version, longer\n".utf8), to: path)
        try AtomicFile.write(Array("second\n".utf8), to: path)
        #expect(SystemFile.readText(path) == "second\n")
    }

    @Test func unwritableTargetsAreNamed() {
        #expect(throws: FileWriteError(path: "/nonexistent-dir/out.json", reason: "No such file or directory")) {
            try AtomicFile.checkWritable("/nonexistent-dir/out.json")
        }
        #expect(throws: FileWriteError(path: "/tmp", reason: "Is a directory")) { try AtomicFile.checkWritable("/tmp") }
    }

    @Test func bufferPoolReusesBuffersOfTheSameSize() throws {
        let pool = BufferPool()
        let first = try #require(pool.acquire(bytes: 4096))
        #expect(Int(bitPattern: first.raw) % 64 == 0)
        pool.release(first)
        let second = try #require(pool.acquire(bytes: 4096))
        #expect(second === first)
        #expect(pool.counters.hits == 1 && pool.counters.misses == 1)
        #expect(pool.counters.outstandingBytes == 4096 && pool.counters.peakOutstandingBytes == 4096)
        pool.release(second)
    }

    @Test func bufferPoolFreesIdleBuffersBeyondItsLimit() throws {
        let pool = BufferPool(retainedLimit: 8192)
        let a = try #require(pool.acquire(bytes: 8192))
        let b = try #require(pool.acquire(bytes: 4096))
        pool.release(a)
        pool.release(b)
        #expect(pool.counters.idleBytes == 4096)
    }

    @Test func seededRandomIsReproducibleAndInRange() {
        var first = SeededRandom(seed: 42)
        var second = SeededRandom(seed: 42)
        for _ in 0..<1000 {
            let value = first.nextSignedUnitFloat()
            #expect(value == second.nextSignedUnitFloat())
            #expect(value >= -1 && value < 1)
        }
    }

    @Test func byteCountsUseBinaryUnits() {
        #expect(ByteCount.format(512) == "512 B")
        #expect(ByteCount.format(1536) == "1.50 KiB")
        #expect(ByteCount.format(3 << 30) == "3.00 GiB")
    }
}

@Suite struct AffinityTests {
    @Test func allowedCPUMaskIsCounted() {
        #expect(HostInfo.parseAllowedCPUCount("Name:\tbitprobe\nCpus_allowed:\tff,0000000f\nCpus_allowed_list:\t0-3,32-39\n") == 12)
        #expect(HostInfo.parseAllowedCPUCount("Cpus_allowed:\t3\n") == 2)
        #expect(HostInfo.parseAllowedCPUCount("Name: x\n") == nil)
    }
}

@Suite struct AtomicFileConcurrencyTests {
    @Test func concurrentWritersOfOnePathAllSucceedAndOneWinsWhole() throws {
        let path = "/tmp/bitprobe-atomic-race-\(getpid()).txt"
        defer { unlink(path) }
        let contents = (0..<8).map { String(repeating: Character(String($0)), count: 10_000) }
        let failures = DispatchQueue(label: "failures")
        nonisolated(unsafe) var failed = 0
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            do { try AtomicFile.write(Array(contents[index].utf8), to: path) } catch { failures.sync { failed += 1 } }
        }
        #expect(failed == 0)
        #expect(contents.contains(SystemFile.readText(path) ?? ""))
    }
}
