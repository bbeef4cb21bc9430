/// The memory view of `bitprobe memory` and `/api/v1/memory`: host signals, pressure, what probes
/// track, and recommendations computed from those numbers.
public struct MemoryReport: Codable, Sendable {
    public struct Device: Codable, Sendable {
        public var device: String
        public var pressure: String
        public var pressureLevel: Int
        public var trackedBytes: Int
        public var peakBytes: Int
        public var events: [String: Int]
        public var freeBytes: Int?
        public var totalBytes: Int?
    }

    public var host: HostMemoryStatus
    public var devices: [Device]
    public var leaks: [MemoryLeak]
    public var recommendations: [String]

    /// `largestProbeBytes` is the biggest buffer set of the configured suite (ProbeSpec.bufferBytes).
    public init(host: HostMemoryStatus, tracker: MemoryTracker, largestProbe: (name: String, bytes: Int)?, poolIdleBytes: Int) {
        self.host = host
        let level = MemoryPressureLevel.assess(usableBytes: host.usableBytes, capacityBytes: host.capacityBytes,
                                               pressureSome: host.pressureSomeAvg10, pressureFull: host.pressureFullAvg10)
        var totals = tracker.totals
        if totals["cpu0"] == nil { totals["cpu0"] = MemoryTracker.DeviceTotals() }
        devices = totals.keys.sorted().map { name in
            let t = totals[name]!
            let isHost = name.hasPrefix("cpu")
            return Device(device: name, pressure: isHost ? level.name : "low", pressureLevel: isHost ? level.rawValue : 0,
                          trackedBytes: t.trackedBytes, peakBytes: t.peakBytes,
                          events: Dictionary(uniqueKeysWithValues: t.events.map { ($0.key.rawValue, $0.value) }),
                          freeBytes: isHost ? host.usableBytes : nil, totalBytes: isHost ? host.capacityBytes : nil)
        }
        leaks = tracker.leaks
        recommendations = Self.recommend(host: host, level: level, largestProbe: largestProbe, poolIdleBytes: poolIdleBytes,
                                         peak: totals["cpu0"]?.peakBytes ?? 0, leaks: leaks)
    }

    static func recommend(host: HostMemoryStatus, level: MemoryPressureLevel, largestProbe: (name: String, bytes: Int)?,
                          poolIdleBytes: Int, peak: Int, leaks: [MemoryLeak]) -> [String] {
        var advice: [String] = []
        if let usable = host.usableBytes, let probe = largestProbe, probe.bytes > 0 {
            let share = Double(probe.bytes) / Double(max(usable, 1)) * 100
            if probe.bytes > usable {
                advice.append("probe \(probe.name) needs \(ByteCount.format(probe.bytes)) but only \(ByteCount.format(usable)) is usable: it will be refused; shrink its shape")
            } else if share >= 25 {
                advice.append("probe \(probe.name) needs \(ByteCount.format(probe.bytes)), \(formatFixed(share, decimals: 1))% of the \(ByteCount.format(usable)) usable: consider a smaller shape on this host")
            }
        }
        if level >= .high, poolIdleBytes > 0 {
            advice.append("pressure is \(level.name): the buffer pool holds \(ByteCount.format(poolIdleBytes)) of idle buffers that a lower pool limit would give back")
        }
        if let limit = host.cgroupLimitBytes, peak > 0, Double(peak) > Double(limit) * 0.5 {
            advice.append("probes peaked at \(ByteCount.format(peak)), more than half of the cgroup limit \(ByteCount.format(limit))")
        }
        for leak in leaks.suffix(3) {
            advice.append("probe \(leak.probe) ended holding \(ByteCount.format(leak.bytes)) in \(leak.allocations) allocation(s) on \(leak.device)")
        }
        return advice
    }
}

