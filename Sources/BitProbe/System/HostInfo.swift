#if canImport(Glibc)
import Glibc
#endif

/// Facts about the host the CPU probes run on, read from /proc (root injectable for tests).
public struct HostInfo: Codable, Equatable, Sendable {
    public var cpuModel: String
    /// CPUs this process may run on (its affinity mask), which is what the kernels can use.
    public var availableCPUs: Int
    /// MemAvailable from meminfo, in bytes; nil when it cannot be read.
    public var memoryAvailableBytes: Int?
    public var memoryTotalBytes: Int?

    // Spelled so that JSON's snake_case ("available_cpus") round-trips through the key strategies.
    enum CodingKeys: String, CodingKey {
        case cpuModel, availableCPUs = "availableCpus", memoryAvailableBytes, memoryTotalBytes
    }

    public static func read(procRoot: String = "/proc") -> HostInfo {
        let cpuinfo = SystemFile.readText(procRoot + "/cpuinfo") ?? ""
        let meminfo = SystemFile.readText(procRoot + "/meminfo") ?? ""
        let memory = parseMeminfo(meminfo)
        return HostInfo(
            cpuModel: parseCPUModel(cpuinfo) ?? "unknown",
            availableCPUs: affinityCPUCount(procRoot: procRoot),
            memoryAvailableBytes: memory["MemAvailable"],
            memoryTotalBytes: memory["MemTotal"]
        )
    }

    /// The first "model name" (x86) or "Model"/"CPU part" (arm) line of /proc/cpuinfo.
    static func parseCPUModel(_ text: String) -> String? {
        for key in ["model name", "Model", "Hardware"] {
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, parts[0].trimmingWhitespace() == key else { continue }
                let value = parts[1].trimmingWhitespace()
                if !value.isEmpty { return value }
            }
        }
        return nil
    }

    /// meminfo lines "Name:   12345 kB" as bytes by name.
    static func parseMeminfo(_ text: String) -> [String: Int] {
        var values: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let fields = parts[1].split(separator: " ")
            guard let number = fields.first.flatMap({ Int($0) }) else { continue }
            let multiplier = fields.count > 1 && fields[1] == "kB" ? 1024 : 1
            values[String(parts[0])] = number * multiplier
        }
        return values
    }

    static func affinityCPUCount(procRoot: String = "/proc") -> Int {
        if let status = SystemFile.readText(procRoot + "/self/status"), let count = parseAllowedCPUCount(status), count > 0 {
            return count
        }
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Counts the CPUs in the "Cpus_allowed:" hex mask of /proc/self/status ("ff,ffffffff").
    static func parseAllowedCPUCount(_ status: String) -> Int? {
        for line in status.split(separator: "\n") where line.hasPrefix("Cpus_allowed:") {
            let mask = line.dropFirst("Cpus_allowed:".count).trimmingWhitespace()
            var count = 0
            for character in mask where character != "," {
                guard let nibble = character.hexDigitValue else { return nil }
                count += nibble.nonzeroBitCount
            }
            return count
        }
        return nil
    }
}

extension Substring {
    func trimmingWhitespace() -> String {
        var slice = self[...]
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return String(slice)
    }
}
