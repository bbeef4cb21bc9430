/// Where device runners report what an operator should see (a backend that cannot be made, a GPU
/// going down or coming back, a probe skipped). The library does not log: the agent passes a
/// `RunnerLog` that writes to its logger, a one-shot CLI command passes `discard` (its output says
/// the same things in the results).
public struct RunnerLog: Sendable {
    public enum Level: Sendable {
        case info, warning, error
    }

    /// Called with the level, the message and its metadata, in the order the runner gives them.
    public let emit: @Sendable (Level, String, [(String, String)]) -> Void

    public init(_ emit: @escaping @Sendable (Level, String, [(String, String)]) -> Void) {
        self.emit = emit
    }

    public static let discard = RunnerLog { _, _, _ in }

    func info(_ message: String, _ metadata: [(String, String)] = []) { emit(.info, message, metadata) }
    func warning(_ message: String, _ metadata: [(String, String)] = []) { emit(.warning, message, metadata) }
    func error(_ message: String, _ metadata: [(String, String)] = []) { emit(.error, message, metadata) }
}

/// Seconds to the millisecond, for log lines ("1.5", "0.25").
public func formatSecondsShort(_ seconds: Double) -> String {
    let milliseconds = (seconds * 1000).rounded()
    return "\(milliseconds / 1000)"
}
