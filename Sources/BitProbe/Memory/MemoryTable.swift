/// `bitprobe memory`'s table: host signals, then what the tracker saw per device, leaks, the
/// requested events and the recommendations.
public enum MemoryTable {
    public static func text(_ report: MemoryReport, probesRun: Int) -> String {
        let host = report.host
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
            "",
            "probe memory (\(probesRun) probe\(probesRun == 1 ? "" : "s") run once each):",
        ]
        var rows = [["DEVICE", "PEAK", "HELD", "POOL HITS", "RETAINED", "RETAINED/PEAK", "EVENTS"]]
        for device in report.devices {
            rows.append([
                device.device, ByteCount.format(device.peakBytes), ByteCount.format(device.trackedBytes),
                device.poolHitRate.map { formatFixed($0 * 100, decimals: 1) + "%" } ?? "-", ByteCount.format(device.retainedBytes),
                device.retainedToPeakRatio.map { formatFixed($0, decimals: 2) } ?? "-",
                device.events.keys.sorted().map { "\($0) \(device.events[$0]!)" }.joined(separator: ", "),
            ])
        }
        lines += alignedColumns(rows).map { "  " + $0 }
        for leak in report.leaks {
            lines.append("  leak: \(leak.probe) held \(ByteCount.format(leak.bytes)) in \(leak.allocations) allocation(s) on \(leak.device)")
        }
        if let events = report.events {
            lines += ["", "last \(events.count) event\(events.count == 1 ? "" : "s"):"]
            var eventRows = [["SECONDS", "DEVICE", "EVENT", "BYTES", "HELD AFTER", "PROBE"]]
            let start = events.first?.unixSeconds ?? 0
            for event in events {
                eventRows.append([
                    "+" + formatFixed(event.unixSeconds - start, decimals: 3), event.device, event.kind.rawValue, ByteCount.format(event.bytes),
                    ByteCount.format(event.heldBytesAfter), event.probe ?? "-",
                ])
            }
            lines += alignedColumns(eventRows).map { "  " + $0 }
        }
        lines.append("")
        lines.append(report.recommendations.isEmpty ? "recommendations:     none" : "recommendations:")
        lines += report.recommendations.map { "  - \($0.line)" }
        return lines.joined(separator: "\n") + "\n"
    }
}
