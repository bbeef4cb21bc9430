/// The memory view of `bitprobe memory`, `/api/v1/memory` and the report: host signals, pressure,
/// what the tracker saw probes do (events by kind with their bytes, peak held, the pool's hit rate,
/// what the pool kept from the system), recent events, and recommendations computed from those numbers.
public struct MemoryReport: Codable, Sendable {
    public struct Device: Codable, Sendable {
        public var device: String
        public var pressure: String
        public var pressureLevel: Int
        /// Bytes probes hold now.
        public var trackedBytes: Int
        public var peakBytes: Int
        /// Events counted by kind, and the bytes they named.
        public var events: [String: Int]
        public var eventBytes: [String: Int]
        /// pool_hit / (pool_hit + pool_miss); nil when the pool was never asked.
        public var poolHitRate: Double?
        /// Bytes taken from the system (allocate) minus bytes given back (free).
        public var retainedBytes: Int
        /// retainedBytes / peakBytes: above 1, the pool keeps more than probes ever held at once.
        public var retainedToPeakRatio: Double?
        public var freeBytes: Int?
        public var totalBytes: Int?
    }

    public var host: HostMemoryStatus
    public var devices: [Device]
    public var leaks: [MemoryLeak]
    /// The tracker's most recent events, oldest first, when asked for (`--events N`, `?events=N`).
    public var events: [MemoryEvent]?
    public var recommendations: [Recommendation]

    /// `largestProbe` is the biggest buffer set of the configured suite (ProbeSpec.bufferBytes);
    /// `recentEvents` how many of the tracker's latest events to include (nil: none). `pressure` is
    /// the level per device as a probe cycle assessed it (`CycleReport.memoryPressure`) from this
    /// same `host` reading; without it the host's level is assessed here, and GPUs read low.
    public init(
        host: HostMemoryStatus, pressure: [String: MemoryPressureLevel]? = nil, tracker: MemoryTracker,
        largestProbe: (name: String, bytes: Int)?, poolIdleBytes: Int, recentEvents: Int? = nil
    ) {
        self.host = host
        let levels = pressure ?? ["cpu0": MemoryPressureLevel.assess(host)]
        let level = levels["cpu0"] ?? .low
        var totals = tracker.totals
        if totals["cpu0"] == nil { totals["cpu0"] = MemoryTracker.DeviceTotals() }
        devices = totals.keys.sorted().map { name in
            let t = totals[name]!
            let isHost = name.hasPrefix("cpu")
            let hits = t.events[.poolHit] ?? 0, misses = t.events[.poolMiss] ?? 0
            let retained = (t.eventBytes[.allocate] ?? 0) - (t.eventBytes[.free] ?? 0)
            let deviceLevel = levels[name] ?? .low
            return Device(
                device: name, pressure: deviceLevel.name, pressureLevel: deviceLevel.rawValue,
                trackedBytes: t.trackedBytes, peakBytes: t.peakBytes,
                events: Dictionary(uniqueKeysWithValues: t.events.map { ($0.key.rawValue, $0.value) }),
                eventBytes: Dictionary(uniqueKeysWithValues: t.eventBytes.map { ($0.key.rawValue, $0.value) }),
                poolHitRate: hits + misses > 0 ? Double(hits) / Double(hits + misses) : nil,
                retainedBytes: retained, retainedToPeakRatio: t.peakBytes > 0 ? Double(retained) / Double(t.peakBytes) : nil,
                freeBytes: isHost ? host.usableBytes : nil, totalBytes: isHost ? host.capacityBytes : nil)
        }
        leaks = tracker.leaks
        events = recentEvents.map { Array(tracker.recentEvents.suffix(max($0, 0))) }
        recommendations =
            Self.recommend(
                host: host, level: level, largestProbe: largestProbe, poolIdleBytes: poolIdleBytes,
                peak: totals["cpu0"]?.peakBytes ?? 0, leaks: leaks)
            + Self.poolRetention(idleBytes: poolIdleBytes, peak: totals["cpu0"]?.peakBytes ?? 0)
    }

    /// Idle pool buffers worth more than half the peak probes ever held at once, with no pressure
    /// needed to say so: that memory serves only a probe of exactly the same size.
    static func poolRetention(idleBytes: Int, peak: Int) -> [Recommendation] {
        guard peak > 0, idleBytes > peak / 2, idleBytes >= 64 << 20 else { return [] }
        return [
            Recommendation(
                category: .memory, priority: .low, title: "The buffer pool keeps \(ByteCount.format(idleBytes)) idle",
                detail:
                    "after the probes ended the pool held \(ByteCount.format(idleBytes)) of idle buffers, \(formatFixed(Double(idleBytes) / Double(peak), decimals: 2))x the \(ByteCount.format(peak)) probes held at most at once; they are reused only by a probe of the same size, so a lower pool limit (or fewer distinct shapes) gives them back",
                evidence: [
                    Recommendation.Evidence("idle pool bytes", Double(idleBytes), unit: "B"),
                    Recommendation.Evidence("peak held bytes", Double(peak), unit: "B"),
                ],
                potentialSavingsBytes: idleBytes)
        ]
    }

    static func recommend(
        host: HostMemoryStatus, level: MemoryPressureLevel, largestProbe: (name: String, bytes: Int)?,
        poolIdleBytes: Int, peak: Int, leaks: [MemoryLeak]
    ) -> [Recommendation] {
        typealias Evidence = Recommendation.Evidence
        var advice: [Recommendation] = []
        if let usable = host.usableBytes, let probe = largestProbe, probe.bytes > 0 {
            let share = Double(probe.bytes) / Double(max(usable, 1)) * 100
            let evidence = [Evidence("probe buffer bytes", Double(probe.bytes), unit: "B"), Evidence("usable bytes", Double(usable), unit: "B")]
            if probe.bytes > usable {
                advice.append(
                    Recommendation(
                        category: .memory, priority: .high, title: "Shrink probe \(probe.name)",
                        detail:
                            "probe \(probe.name) needs \(ByteCount.format(probe.bytes)) but only \(ByteCount.format(usable)) is usable: it will be refused; shrink its shape",
                        evidence: evidence))
            } else if share >= 25 {
                advice.append(
                    Recommendation(
                        category: .memory, priority: .medium, title: "Consider a smaller shape for \(probe.name)",
                        detail:
                            "probe \(probe.name) needs \(ByteCount.format(probe.bytes)), \(formatFixed(share, decimals: 1))% of the \(ByteCount.format(usable)) usable: consider a smaller shape on this host",
                        evidence: evidence))
            }
        }
        if level >= .high, poolIdleBytes > 0 {
            advice.append(
                Recommendation(
                    category: .memory, priority: .medium, title: "Lower the buffer pool limit",
                    detail:
                        "pressure is \(level.name): the buffer pool holds \(ByteCount.format(poolIdleBytes)) of idle buffers that a lower pool limit would give back",
                    evidence: [
                        Evidence("idle pool bytes", Double(poolIdleBytes), unit: "B"), Evidence("pressure level", Double(level.rawValue), unit: "level"),
                    ],
                    potentialSavingsBytes: poolIdleBytes))
        }
        if let limit = host.cgroupLimitBytes, peak > 0, Double(peak) > Double(limit) * 0.5 {
            advice.append(
                Recommendation(
                    category: .memory, priority: .medium, title: "Probes use over half of the cgroup limit",
                    detail: "probes peaked at \(ByteCount.format(peak)), more than half of the cgroup limit \(ByteCount.format(limit))",
                    evidence: [Evidence("peak bytes", Double(peak), unit: "B"), Evidence("cgroup limit", Double(limit), unit: "B")]))
        }
        for leak in leaks.suffix(3) {
            advice.append(
                Recommendation(
                    category: .memory, priority: .high, title: "Probe \(leak.probe) leaked memory",
                    detail: "probe \(leak.probe) ended holding \(ByteCount.format(leak.bytes)) in \(leak.allocations) allocation(s) on \(leak.device)",
                    evidence: [Evidence("leaked bytes", Double(leak.bytes), unit: "B"), Evidence("allocations", Double(leak.allocations), unit: "count")],
                    potentialSavingsBytes: leak.bytes))
        }
        return advice
    }
}
