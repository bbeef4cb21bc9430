/// Renders probe results as an aligned text table and as CSV.
public enum ResultTable {
    static let headers = ["backend", "device", "op", "dtype", "shape", "result", "median", "p90", "cv", "ops/s", "bytes/s", "iterations", "detail"]

    public static func text(_ results: [ProbeResult]) -> String {
        let rows = results.map { result -> [String] in
            let stats = result.statistics
            return [
                result.spec.backend.rawValue, result.spec.device, result.spec.op.rawValue, result.spec.dtype.rawValue,
                result.spec.shape.description, result.outcome.rawValue,
                stats.map { formatDuration($0.median) } ?? "-",
                stats.map { formatDuration($0.p90) } ?? "-",
                stats.map { formatFixed($0.cv * 100, decimals: 1) + "%" } ?? "-",
                result.operationsPerSecond.map { formatSI($0, unit: "op/s") } ?? "-",
                result.bytesPerSecond.map { formatSI($0, unit: "B/s") } ?? "-",
                String(result.samples.count),
                result.detail ?? "",
            ]
        }
        let all = [headers.map { $0.uppercased() }] + rows
        return alignedColumns(all).joined(separator: "\n") + "\n"
    }

    static let csvHeaders = [
        "backend", "device", "op", "dtype", "shape", "result", "iterations", "min_seconds", "median_seconds",
        "mean_seconds", "p90_seconds", "p99_seconds", "stddev_seconds", "mad_seconds", "cv",
        "ops_per_second", "bytes_per_second", "checked_values", "kernel_path", "threads", "detail",
    ]

    /// RFC 4180 CSV with a header row; numbers in full precision, empty where not measured.
    public static func csv(_ results: [ProbeResult]) -> String {
        var table = CSVTable(header: csvHeaders)
        for result in results {
            let s = result.statistics
            table.append([
                result.spec.backend.rawValue, result.spec.device, result.spec.op.rawValue, result.spec.dtype.rawValue,
                result.spec.shape.description, result.outcome.rawValue, String(result.samples.count),
                CSVTable.number(s?.min), CSVTable.number(s?.median), CSVTable.number(s?.mean), CSVTable.number(s?.p90), CSVTable.number(s?.p99),
                CSVTable.number(s?.stddev), CSVTable.number(s?.mad), CSVTable.number(s?.cv),
                CSVTable.number(result.operationsPerSecond), CSVTable.number(result.bytesPerSecond),
                CSVTable.number(result.verification?.checkedValues), result.kernelPath, String(result.threads), result.detail,
            ])
        }
        return table.text
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingAll("\"", with: "\"\"") + "\""
    }
}

/// Rows as lines with columns padded to their widest cell and two spaces between columns; the
/// last column is not padded and no line ends in spaces.
func alignedColumns(_ rows: [[String]]) -> [String] {
    var widths: [Int] = []
    for row in rows {
        for (i, cell) in row.enumerated() {
            if i == widths.count { widths.append(0) }
            widths[i] = max(widths[i], cell.count)
        }
    }
    return rows.map { row in
        row.enumerated().map { i, cell in
            i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
        }.joined(separator: "  ").trailingSpacesRemoved()
    }
}

/// "1.23 ms", "45.6 µs", "2.00 s".
public func formatDuration(_ seconds: Double) -> String {
    switch seconds {
    case 1...: formatFixed(seconds, decimals: 2) + " s"
    case 1e-3...: formatFixed(seconds * 1e3, decimals: 2) + " ms"
    case 1e-6...: formatFixed(seconds * 1e6, decimals: 2) + " µs"
    default: formatFixed(seconds * 1e9, decimals: 0) + " ns"
    }
}

/// Decimal SI prefixes: "142.30 Gop/s".
public func formatSI(_ value: Double, unit: String) -> String {
    let prefixes: [(Double, String)] = [(1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
    for (scale, prefix) in prefixes where abs(value) >= scale {
        return formatFixed(value / scale, decimals: 2) + " " + prefix + unit
    }
    return formatFixed(value, decimals: 2) + " " + unit
}

extension String {
    func trailingSpacesRemoved() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }

    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
