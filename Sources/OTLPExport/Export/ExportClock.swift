#if canImport(Glibc)
import Glibc
#endif

/// Time as the exporter sees it, injectable so that retry and batching decisions can be tested
/// without waiting.
protocol ExportClock: Sendable {
    /// Nanoseconds on a clock that never jumps (CLOCK_MONOTONIC), for deadlines and durations.
    func monotonicNanoseconds() -> UInt64
    /// Seconds since the Unix epoch, for `Retry-After` dates.
    func unixSeconds() -> Double
}

struct SystemClock: ExportClock {
    func monotonicNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    func unixSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

extension Duration {
    /// Whole nanoseconds, saturating: durations here are timeouts, never negative or centuries long.
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : whole.addingSaturating(UInt64(attoseconds / 1_000_000_000))
    }
}

extension UInt64 {
    func addingSaturating(_ other: UInt64) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }

    func subtractingSaturating(_ other: UInt64) -> UInt64 {
        self > other ? self - other : 0
    }
}
