import Exposition

#if canImport(Glibc)
import BitProbe
import Glibc
#endif

/// The standard `process_*` metrics (as the Go and Python clients export them), read from
/// /proc/self at scrape time. The proc root is injectable for tests.
struct ProcessMetrics {
    var procRoot = "/proc"

    struct Reading: Equatable {
        var cpuSeconds: Double
        var residentBytes: Double
        var virtualBytes: Double
        var startTimeSeconds: Double
        var openFDs: Double?
        var maxFDs: Double?
    }

    func read() -> Reading? {
        guard let stat = SystemFile.readText(procRoot + "/self/stat"), let boot = SystemFile.readText(procRoot + "/stat") else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        guard var reading = Self.parse(stat: stat, systemStat: boot, ticksPerSecond: ticks, pageSize: pageSize) else { return nil }
        reading.openFDs = countOpenFDs()
        reading.maxFDs = SystemFile.readText(procRoot + "/self/limits").flatMap(Self.parseMaxFDs)
        return reading
    }

    /// Fields of /proc/self/stat after the parenthesised command name (which may hold spaces):
    /// utime 14, stime 15, starttime 22, vsize 23, rss 24 (1-based, as in proc(5)).
    static func parse(stat: String, systemStat: String, ticksPerSecond: Double, pageSize: Double) -> Reading? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state).
        func field(_ number: Int) -> Double? { fields.count > number - 3 ? Double(fields[number - 3]) : nil }
        guard let utime = field(14), let stime = field(15), let start = field(22), let vsize = field(23), let rss = field(24) else { return nil }
        guard let bootLine = systemStat.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
            let bootTime = Double(bootLine.dropFirst(6).trimmingPrefixSpaces())
        else { return nil }
        return Reading(
            cpuSeconds: (utime + stime) / ticksPerSecond, residentBytes: rss * pageSize, virtualBytes: vsize,
            startTimeSeconds: bootTime + start / ticksPerSecond, openFDs: nil, maxFDs: nil)
    }

    /// The soft limit of "Max open files" in /proc/self/limits.
    static func parseMaxFDs(_ limits: String) -> Double? {
        guard let line = limits.split(separator: "\n").first(where: { $0.hasPrefix("Max open files") }) else { return nil }
        return line.dropFirst("Max open files".count).split(separator: " ").first.flatMap { Double($0) }
    }

    private func countOpenFDs() -> Double? {
        guard let directory = opendir(procRoot + "/self/fd") else { return nil }
        defer { closedir(directory) }
        var count = 0.0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { count += 1 }
        }
        // The directory stream itself holds one descriptor while we count.
        return count - 1
    }

    func families() -> [MetricFamily] {
        guard let reading = read() else { return [] }
        var families = [
            MetricFamily(
                name: "process_cpu_seconds", help: "Total user and system CPU time spent in seconds.", type: .counter, unit: "seconds",
                metrics: [Metric(labels: Labels([]), value: .counter(reading.cpuSeconds, created: nil))]),
            MetricFamily(
                name: "process_resident_memory_bytes", help: "Resident memory size in bytes.", type: .gauge, unit: "bytes",
                metrics: [Metric(labels: Labels([]), value: .gauge(reading.residentBytes))]),
            MetricFamily(
                name: "process_virtual_memory_bytes", help: "Virtual memory size in bytes.", type: .gauge, unit: "bytes",
                metrics: [Metric(labels: Labels([]), value: .gauge(reading.virtualBytes))]),
            MetricFamily(
                name: "process_start_time_seconds", help: "Start time of the process since unix epoch in seconds.", type: .gauge, unit: "seconds",
                metrics: [Metric(labels: Labels([]), value: .gauge(reading.startTimeSeconds))]),
        ]
        if let open = reading.openFDs {
            families.append(
                MetricFamily(
                    name: "process_open_fds", help: "Number of open file descriptors.", type: .gauge, unit: nil,
                    metrics: [Metric(labels: Labels([]), value: .gauge(open))]))
        }
        if let max = reading.maxFDs {
            families.append(
                MetricFamily(
                    name: "process_max_fds", help: "Maximum number of open file descriptors.", type: .gauge, unit: nil,
                    metrics: [Metric(labels: Labels([]), value: .gauge(max))]))
        }
        return families
    }
}

extension Substring {
    func trimmingPrefixSpaces() -> Substring { drop { $0 == " " } }
}
