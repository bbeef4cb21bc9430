import ArgumentParser
import BitProbe

struct MemoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Show host memory signals, the pressure level, and recommendations for the probe suite.",
        discussion: "Reads /proc/meminfo, cgroup v2 memory.max/memory.current and /proc/pressure/memory (docs/memory.md)."
    )

    @Option(help: "Output format: table, json.")
    var format: String = "table"

    func run() throws {
        guard format == "table" || format == "json" else {
            throw fail("memory", "unknown format '\(format)'; expected one of: table, json", status: ExitStatus.usage)
        }
        let host = HostMemoryStatus.read()
        let suite = (try? ProbeSelection().resolve()) ?? []
        let largest = suite.max { $0.bufferBytes < $1.bufferBytes }.map { (name: $0.description, bytes: $0.bufferBytes) }
        let report = MemoryReport(host: host, tracker: MemoryTracker(), largestProbe: largest, poolIdleBytes: 0)
        if format == "json" {
            writeStandardOutput(String(decoding: try ProjectJSON.file(report), as: UTF8.self))
            return
        }
        func bytes(_ value: Int?) -> String { value.map { ByteCount.format($0) } ?? "-" }
        func number(_ value: Double?) -> String { value.map { String($0) } ?? "-" }
        var lines = [
            "pressure:            \(report.devices.first { $0.device == "cpu0" }?.pressure ?? "low")",
            "total:               \(bytes(host.totalBytes))",
            "available:           \(bytes(host.availableBytes))",
            "cgroup limit:        \(host.cgroupLimitBytes.map { ByteCount.format($0) } ?? "none")",
            "cgroup current:      \(bytes(host.cgroupCurrentBytes))",
            "usable:              \(bytes(host.usableBytes))",
            "PSI some/full avg10: \(number(host.pressureSomeAvg10)) / \(number(host.pressureFullAvg10))",
        ]
        if let largest { lines.append("largest probe:       \(largest.name) (\(ByteCount.format(largest.bytes)))") }
        lines.append(report.recommendations.isEmpty ? "recommendations:     none" : "recommendations:")
        lines += report.recommendations.map { "  - \($0)" }
        writeStandardOutput(lines.joined(separator: "\n") + "\n")
    }
}
