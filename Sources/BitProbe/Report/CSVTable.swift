/// RFC 4180 CSV: a header row, CRLF line ends, fields quoted only when they hold a comma, quote or
/// line break; numbers in full precision, empty where nothing was measured. Every CSV bitprobe
/// writes goes through here (columns documented in docs/csv.md).
public struct CSVTable: Sendable {
    public var header: [String]
    public var rows: [[String]] = []

    public init(header: [String]) {
        self.header = header
    }

    public mutating func append(_ fields: [String?]) {
        precondition(fields.count == header.count, "a CSV row has as many fields as the header")
        rows.append(fields.map { $0 ?? "" })
    }

    public var text: String {
        ([header] + rows).map { $0.map(ResultTable.csvField).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    /// A number in full precision (Swift's shortest round-trip form).
    public static func number(_ value: Double?) -> String? { value.map { "\($0)" } }
    public static func number(_ value: Int?) -> String? { value.map { "\($0)" } }
}

extension DeviceComparison {
    /// One row per probe and device.
    public func csv() -> String {
        var table = CSVTable(header: ["op", "dtype", "size", "shape", "device", "result", "median_seconds", "speedup_over_cpu", "fastest", "detail"])
        for row in rows {
            for cell in row.cells {
                table.append([
                    row.op.rawValue, row.dtype.rawValue, String(row.size), row.shape.description, cell.device, cell.outcome.rawValue,
                    CSVTable.number(cell.medianSeconds), CSVTable.number(row.speedup[cell.device]), row.fastest, cell.detail,
                ])
            }
        }
        return table.text
    }
}

extension BatchComparison {
    /// One row per device, op, dtype and batch.
    public func csv() -> String {
        var table = CSVTable(header: ["device", "op", "dtype", "batch", "shape", "result", "median_seconds", "ops_per_second", "growth", "saturation_batch"])
        for series in series {
            for row in series.rows {
                table.append([
                    series.device, series.op.rawValue, series.dtype.rawValue, String(row.batch), row.shape.description, row.outcome.rawValue,
                    CSVTable.number(row.medianSeconds), CSVTable.number(row.operationsPerSecond), CSVTable.number(row.growth),
                    CSVTable.number(series.saturationBatch),
                ])
            }
        }
        return table.text
    }
}

extension MemoryReport {
    /// One row per device: the host signals on cpu0's row, the tracker's totals on every row.
    public func csv() -> String {
        let kinds = MemoryEventKind.allCases.map(\.rawValue)
        var table = CSVTable(
            header: [
                "device", "pressure", "pressure_level", "tracked_bytes", "peak_bytes", "pool_hit_rate", "retained_bytes",
                "retained_to_peak_ratio", "free_bytes", "total_bytes",
            ] + kinds.flatMap { ["\($0)_events", "\($0)_bytes"] })
        for device in devices {
            table.append(
                [
                    device.device, device.pressure, String(device.pressureLevel), String(device.trackedBytes), String(device.peakBytes),
                    CSVTable.number(device.poolHitRate), String(device.retainedBytes), CSVTable.number(device.retainedToPeakRatio),
                    CSVTable.number(device.freeBytes), CSVTable.number(device.totalBytes),
                ]
                    + kinds.flatMap { [CSVTable.number(device.events[$0] ?? 0), CSVTable.number(device.eventBytes[$0] ?? 0)] })
        }
        return table.text
    }
}

extension RegressionReport {
    /// One row per probe compared.
    public func csv() -> String {
        var table = CSVTable(header: [
            "backend", "device", "op", "dtype", "shape", "verdict", "severity", "baseline_median_seconds",
            "current_median_seconds", "median_ratio", "ratio_lower", "ratio_upper", "p_value", "peer_relative_ratio",
            "peer_relative_lower", "peer_relative_upper", "baseline_rounds",
            "current_rounds", "baseline_samples", "current_samples", "decision", "detail",
        ])
        for c in comparisons {
            table.append([
                c.spec.backend.rawValue, c.spec.device, c.spec.op.rawValue, c.spec.dtype.rawValue, c.spec.shape.description,
                c.verdict.rawValue, c.severity?.rawValue, CSVTable.number(c.baselineMedianSeconds), CSVTable.number(c.currentMedianSeconds),
                CSVTable.number(c.medianRatio), CSVTable.number(c.medianRatioInterval?.lower), CSVTable.number(c.medianRatioInterval?.upper),
                CSVTable.number(c.mannWhitney?.pValue), CSVTable.number(c.peerRelativeRatio),
                CSVTable.number(c.peerRelativeInterval?.lower), CSVTable.number(c.peerRelativeInterval?.upper),
                CSVTable.number(c.baselineRoundMedians?.count),
                CSVTable.number(c.currentRoundMedians?.count), CSVTable.number(c.baselineSamples), CSVTable.number(c.currentSamples),
                c.decision, c.detail,
            ])
        }
        return table.text
    }
}

extension DeviceInventory {
    /// One row per device (SIMD paths joined with spaces).
    public func csv() -> String {
        var table = CSVTable(header: [
            "backend", "device", "name", "up", "cores", "simd_path", "simd_paths_available", "memory_total_bytes",
            "memory_available_bytes", "uuid", "compute_capability", "multiprocessors", "clock_mhz", "memory_clock_mhz",
            "memory_bus_width_bits", "driver_version", "reason",
        ])
        for d in devices {
            table.append([
                d.backend.rawValue, d.device, d.name, d.up ? "true" : "false", CSVTable.number(d.cores), d.simdPath,
                d.simdPathsAvailable?.joined(separator: " "), CSVTable.number(d.memoryTotalBytes), CSVTable.number(d.memoryAvailableBytes),
                d.uuid, d.computeCapability, CSVTable.number(d.multiprocessors), CSVTable.number(d.clockMhz), CSVTable.number(d.memoryClockMhz),
                CSVTable.number(d.memoryBusWidthBits), d.driverVersion, d.reason,
            ])
        }
        return table.text
    }
}

extension Baseline {
    /// The stored results, one row per probe, in `bench --format csv`'s columns.
    public func csv() -> String { ResultTable.csv(results) }
}
