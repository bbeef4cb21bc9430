#if canImport(Glibc)
import Glibc
#endif

/// Waits, boundedly, until no other work is competing for the CPUs before a regression gate
/// measures, so that a spell of load from elsewhere is waited out instead of judged.
///
/// The signal is Linux pressure stall information: the "some" total of /proc/pressure/cpu counts
/// the microseconds in which at least one runnable task had to wait for a CPU. Sampled over one
/// second while this process sleeps, it sees only the others. On the development VM every false
/// failure of the gate came from such a spell lasting through all its measurements
/// (docs/regression.md); a slower build creates no CPU pressure, so it is measured at once.
public struct QuietCPUWait {
    /// Share of a sample window above which the CPUs count as busy.
    public var busyShare = 0.10
    /// The longest wait before measuring anyway.
    public var maxWaitSeconds = 120.0
    /// Length of one sample.
    public var sampleSeconds = 1.0
    /// Reads the cumulative stall microseconds; nil where PSI is absent (then nothing waits).
    var readStallMicroseconds: () -> UInt64? = { CPUPressure.someTotalMicroseconds() }
    var sleepSeconds: (Double) -> Void = { usleep(UInt32($0 * 1e6)) }

    public init() {}

    public enum Outcome: Equatable, Sendable {
        /// No PSI on this kernel: measured without knowing.
        case unknown
        /// Quiet after `waitedSeconds` (0 when it was quiet at once).
        case quiet(waitedSeconds: Double)
        /// Still busy (share of the last sample) after the longest wait.
        case busy(lastShare: Double)
    }

    /// Samples until a window is quiet or `maxWaitSeconds` have passed. `report` hears about the
    /// first busy sample, so a person watching the job knows why it pauses.
    public func wait(report: (Double) -> Void = { _ in }) -> Outcome {
        var waited = 0.0
        var reported = false
        while true {
            guard let before = readStallMicroseconds() else { return .unknown }
            sleepSeconds(sampleSeconds)
            guard let after = readStallMicroseconds() else { return .unknown }
            let share = Double(after &- before) / (sampleSeconds * 1e6)
            if share < busyShare { return .quiet(waitedSeconds: waited) }
            waited += sampleSeconds
            if waited >= maxWaitSeconds { return .busy(lastShare: share) }
            if !reported {
                report(share)
                reported = true
            }
        }
    }
}
