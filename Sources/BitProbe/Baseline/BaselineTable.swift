/// Renders stored baselines for people: the list of a directory, and one baseline in full.
public enum BaselineTable {
    static let listHeaders = ["NAME", "CREATED", "PROBES", "DESCRIPTION", "FINGERPRINT"]

    /// One row per entry; an entry that did not load shows its error in place of its description.
    public static func list(_ entries: [BaselineStore.Entry]) -> String {
        let rows = entries.map { entry -> [String] in
            switch entry.baseline {
            case .success(let baseline):
                [
                    entry.name, UTCTime.format(baseline.createdAt), String(baseline.results.count),
                    TerminalText.printable(baseline.description ?? ""), TerminalText.printable(baseline.fingerprint.summary),
                ]
            case .failure(let error):
                [entry.name, "-", "-", TerminalText.printable("error: \(error)"), "-"]
            }
        }
        let all = [listHeaders] + rows
        return alignedColumns(all).joined(separator: "\n") + "\n"
    }

    /// The baseline's context lines, then its results as `bench` shows them.
    public static func show(_ baseline: Baseline) -> String {
        let config = baseline.config
        var lines = [
            "name: \(baseline.name)",
            "description: \(TerminalText.printable(baseline.description ?? ""))",
            "created: \(UTCTime.format(baseline.createdAt))",
            "environment: \(TerminalText.printable(baseline.fingerprint.summary))",
            "settings: at least \(baseline.rounds) rounds per probe over at least \(formatNumber(baseline.durationSeconds)) s, \(baseline.schemaVersion >= 2 ? "every round kept" : "quietest kept (schema_version 1: record it again for regress)"); each \(config.warmupIterations) warmup, at least \(config.measurementIterations) iterations and \(formatNumber(config.minMeasurementSeconds)) s; seed \(config.seed)",
        ]
        if let injection = baseline.faultInjection {
            lines.append("WARNING: recorded with fault injection (\(injection)); matching probes were slowed on purpose")
        }
        return lines.joined(separator: "\n") + "\n\n" + ResultTable.text(baseline.results) + roundsText(baseline.results)
    }

    /// Per probe measured in rounds: how many, their typical median and how far they spread, which
    /// is how much a later run of the same build can differ (docs/regression.md).
    static func roundsText(_ results: [ProbeResult]) -> String {
        let rows = results.compactMap { result -> [String]? in
            guard let rounds = result.rounds, let statistics = SampleStatistics(rounds.map(\.medianSeconds)), statistics.min > 0 else { return nil }
            return [
                result.spec.description, String(rounds.count), formatDuration(statistics.median),
                formatDuration(statistics.min) + " - " + formatDuration(statistics.max), formatFixed(statistics.max / statistics.min, decimals: 3) + "x",
            ]
        }
        guard !rows.isEmpty else { return "" }
        return "\n" + alignedColumns([["PROBE", "ROUNDS", "MEDIAN OF ROUNDS", "RANGE", "LARGEST/SMALLEST"]] + rows).joined(separator: "\n") + "\n"
    }
}

/// Unix seconds as "2026-05-01 12:34:56 UTC", without Foundation's calendar machinery.
enum UTCTime {
    static func format(_ unixSeconds: Double) -> String {
        let seconds = Int(unixSeconds.rounded(.down))
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - days * 86400
        // Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's civil_from_days).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(day)) \(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60)):\(two(secondOfDay % 60)) UTC"
    }
}
