#if canImport(Glibc)
import Glibc
#endif

/// Waits, boundedly, until no other work is competing for the CPUs before a regression gate
/// measures, so that a spell of load from elsewhere is waited out instead of judged.
///
/// The signal is Linux pressure stall information: the "some" total of /proc/pressure/cpu counts
/// the microseconds in which at least one runnable task had to wait for a CPU. Sampled over one
/// second while this process sleeps, it sees only the others. On the development VM every false
/// failure of the gate came from such a spell lasting through all its measurements
/// (docs/regression.md); a slower build creates no CPU pressure, so it is measured at once.
public struct QuietCPUWait {
    /// Share of a sample window above which the CPUs count as busy.
    public var busyShare = 0.10
    /// The longest wait before measuring anyway.
    public var maxWaitSeconds = 120.0
    /// Length of one sample.
    public var sampleSeconds = 1.0
    /// Reads the cumulative stall microseconds; nil where PSI is absent (then nothing waits).
    var readStallMicroseconds: () -> UInt64? = { CPUPressure.someTotalMicroseconds() }
    var sleepSeconds: (Double) -> Void = { usleep(UInt32($0 * 1e6)) }

    public init() {}

    public enum Outcome: Equatable, Sendable {
        /// No PSI on this kernel: measured without knowing.
        case unknown
        /// Quiet after `waitedSeconds` (0 when it was quiet at once).
        case quiet(waitedSeconds: Double)
        /// Still busy (share of the last sample) after the longest wait.
        case busy(lastShare: Double)
    }

    /// Samples until a window is quiet or `maxWaitSeconds` have passed. `report` hears about the
    /// first busy sample, so a person watching the job knows why it pauses.
    public func wait(report: (Double) -> Void = { _ in }) -> Outcome {
        var waited = 0.0
        var reported = false
        while true {
            guard let before = readStallMicroseconds() else { return .unknown }
            sleepSeconds(sampleSeconds)
            guard let after = readStallMicroseconds() else { return .unknown }
            let share = Double(after &- before) / (sampleSeconds * 1e6)
            if share < busyShare { return .quiet(waitedSeconds: waited) }
            waited += sampleSeconds
            if waited >= maxWaitSeconds { return .busy(lastShare: share) }
            if !reported {
                report(share)
                reported = true
            }
        }
    }
}

/// /proc/pressure/cpu (Linux 4.20+ with PSI enabled), or a cgroup's cpu.pressure.
public enum CPUPressure {
    /// The pressure file that speaks for this process's own tasks: its cgroup v2 `cpu.pressure`
    /// (under systemd, the service's cgroup: time in which one of its tasks waited for a CPU),
    /// else the whole machine's. The agent asks whether its probes were kept waiting; `regress`,
    /// which asks whether others are busy while it sleeps, reads the machine's file.
    public static func ownPath(procRoot: String = "/proc", cgroupRoot: String = "/sys/fs/cgroup") -> String {
        if let group = SystemFile.readText(procRoot + "/self/cgroup").flatMap(HostMemoryStatus.parseCgroupV2Path), group != "/" {
            let path = cgroupRoot + group + "/cpu.pressure"
            if SystemFile.readText(path).flatMap(parseSomeTotal) != nil { return path }
        }
        return procRoot + "/pressure/cpu"
    }

    /// The "some" line's cumulative stall time in microseconds.
    public static func someTotalMicroseconds(path: String = "/proc/pressure/cpu") -> UInt64? {
        SystemFile.readText(path).flatMap(parseSomeTotal)
    }

    /// `total=` of the "some" line: "some avg10=0.00 avg60=0.00 avg300=0.00 total=12345".
    static func parseSomeTotal(_ text: String) -> UInt64? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("some ") }) else { return nil }
        return line.split(separator: " ").first { $0.hasPrefix("total=") }.flatMap { UInt64($0.dropFirst(6)) }
    }
}
