#if canImport(Glibc)
import Glibc
#endif

/// RFC 3339 timestamps in UTC with millisecond precision ("2026-11-28T15:04:05.123Z"), as
/// Prometheus and Alertmanager write and read them.
///
/// Not FoundationEssentials' `Date.ISO8601FormatStyle(includingFractionalSeconds: true)`: it goes
/// through a `Date` (seconds since 2001 as a Double), and for times near a whole millisecond the
/// two disagree on which millisecond to print, so the same instants would read differently in
/// logs, the API and Alertmanager posts than they do today (compared in issue 13's work).
enum RFC3339 {
    static func format(unixSeconds: Double) -> String {
        var seconds = time_t(unixSeconds.rounded(.down))
        let milliseconds = Int32(((unixSeconds - Double(seconds)) * 1000).rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(milliseconds, 3))Z"
    }
}
