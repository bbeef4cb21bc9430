/// Host memory signals: /proc/meminfo, cgroup v2 limits and PSI, read from injectable roots.
public struct HostMemoryStatus: Codable, Sendable, Equatable {
    public var totalBytes: Int?
    public var availableBytes: Int?
    /// cgroup v2 memory.max (nil when "max" or not in a cgroup v2 hierarchy).
    public var cgroupLimitBytes: Int?
    public var cgroupCurrentBytes: Int?
    /// /proc/pressure/memory "some" and "full" avg10 (percent of time stalled over 10 s).
    public var pressureSomeAvg10: Double?
    public var pressureFullAvg10: Double?

    public init(
        totalBytes: Int? = nil, availableBytes: Int? = nil, cgroupLimitBytes: Int? = nil, cgroupCurrentBytes: Int? = nil,
        pressureSomeAvg10: Double? = nil, pressureFullAvg10: Double? = nil
    ) {
        self.totalBytes = totalBytes
        self.availableBytes = availableBytes
        self.cgroupLimitBytes = cgroupLimitBytes
        self.cgroupCurrentBytes = cgroupCurrentBytes
        self.pressureSomeAvg10 = pressureSomeAvg10
        self.pressureFullAvg10 = pressureFullAvg10
    }

    /// Bytes a new allocation can still get: the smaller of MemAvailable and the cgroup headroom.
    public var usableBytes: Int? {
        let headroom = cgroupLimitBytes.flatMap { limit in cgroupCurrentBytes.map { max(0, limit - $0) } }
        switch (availableBytes, headroom) {
        case let (available?, headroom?): return min(available, headroom)
        case let (available?, nil): return available
        case let (nil, headroom?): return headroom
        default: return nil
        }
    }

    /// The limit that `usableBytes` is measured against.
    public var capacityBytes: Int? {
        switch (totalBytes, cgroupLimitBytes) {
        case let (total?, limit?): return min(total, limit)
        case let (total?, nil): return total
        case let (nil, limit?): return limit
        default: return nil
        }
    }

    public static func read(procRoot: String = "/proc", cgroupRoot: String = "/sys/fs/cgroup") -> HostMemoryStatus {
        let meminfo = HostInfo.parseMeminfo(SystemFile.readText(procRoot + "/meminfo") ?? "")
        var status = HostMemoryStatus(totalBytes: meminfo["MemTotal"], availableBytes: meminfo["MemAvailable"])
        let group = SystemFile.readText(procRoot + "/self/cgroup").flatMap(parseCgroupV2Path) ?? "/"
        let directory = cgroupRoot + (group == "/" ? "" : group)
        status.cgroupLimitBytes = SystemFile.readText(directory + "/memory.max").flatMap(parseCgroupBytes)
        status.cgroupCurrentBytes = SystemFile.readText(directory + "/memory.current").flatMap(parseCgroupBytes)
        if let pressure = SystemFile.readText(procRoot + "/pressure/memory") {
            (status.pressureSomeAvg10, status.pressureFullAvg10) = parsePressure(pressure)
        }
        return status
    }

    /// The cgroup v2 path from /proc/self/cgroup ("0::/system.slice/bitprobe.service").
    static func parseCgroupV2Path(_ text: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) }
    }

    /// A cgroup byte count; "max" (no limit) is nil.
    static func parseCgroupBytes(_ text: String) -> Int? {
        let value = text.split(separator: "\n").first.map(String.init) ?? ""
        return value == "max" ? nil : Int(value)
    }

    /// avg10 of the "some" and "full" lines of a PSI file.
    static func parsePressure(_ text: String) -> (Double?, Double?) {
        func avg10(_ prefix: String) -> Double? {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix + " ") }) else { return nil }
            return line.split(separator: " ").first { $0.hasPrefix("avg10=") }.flatMap { Double($0.dropFirst(6)) }
        }
        return (avg10("some"), avg10("full"))
    }
}

/// Memory pressure from real signals, with documented cut-offs (docs/memory.md):
///
/// | level | when (any) |
/// |---|---|
/// | critical (3) | usable < 5 % of capacity, or PSI full avg10 ≥ 10 |
/// | high (2) | usable < 10 %, or PSI some avg10 ≥ 20 |
/// | medium (1) | usable < 20 %, or PSI some avg10 ≥ 5 |
/// | low (0) | otherwise |
public enum MemoryPressureLevel: Int, Codable, Sendable, Comparable, CaseIterable {
    case low = 0, medium, high, critical

    public static func < (lhs: MemoryPressureLevel, rhs: MemoryPressureLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    public var name: String { ["low", "medium", "high", "critical"][rawValue] }

    /// The host's level from one reading: what a probe cycle computes once for cpu0.
    public static func assess(_ host: HostMemoryStatus) -> MemoryPressureLevel {
        assess(
            usableBytes: host.usableBytes, capacityBytes: host.capacityBytes, pressureSome: host.pressureSomeAvg10,
            pressureFull: host.pressureFullAvg10)
    }

    public static func assess(usableBytes: Int?, capacityBytes: Int?, pressureSome: Double? = nil, pressureFull: Double? = nil) -> MemoryPressureLevel {
        let usableShare: Double? = {
            guard let usable = usableBytes, let capacity = capacityBytes, capacity > 0 else { return nil }
            return Double(usable) / Double(capacity)
        }()
        if let share = usableShare, share < 0.05 { return .critical }
        if let full = pressureFull, full >= 10 { return .critical }
        if let share = usableShare, share < 0.10 { return .high }
        if let some = pressureSome, some >= 20 { return .high }
        if let share = usableShare, share < 0.20 { return .medium }
        if let some = pressureSome, some >= 5 { return .medium }
        return .low
    }
}
