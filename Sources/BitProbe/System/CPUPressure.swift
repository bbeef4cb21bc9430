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
