import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Testing only: makes the probes that match a pattern slower by a factor, for real, so that a
/// regression gate can be shown to catch a known slowdown (docs/regression.md).
///
/// Set through the environment, dtype and shape optional (left out, they match every value):
///
/// ```
/// BITPROBE_FAULT_INJECT=op=matmul,dtype=f32,shape=512x512x512,factor=1.15 bitprobe regress --baseline main
/// ```
///
/// `after=DURATION` and `for=DURATION` (seconds, or with an s, m or h suffix) limit the injection to a
/// window counted from process start, so a long-running agent can be shown to raise an alert when
/// the slowdown begins and to resolve it when the slowdown ends.
///
/// After each timed iteration of a matching probe the runner busy-waits on the monotonic clock for
/// (factor - 1) times the kernel's own time, and the sample is the kernel time plus the wait as
/// measured. The slowdown is spent on the CPU the way a slower kernel would spend it, never written
/// into the numbers afterwards, so everything downstream (statistics, noise, the gate) sees it as real.
public struct FaultInjection: Codable, Equatable, Sendable, CustomStringConvertible {
    public static let environmentVariable = "BITPROBE_FAULT_INJECT"
    /// Factors above this would only turn probes into timeouts.
    public static let maximumFactor = 100.0

    public var op: ProbeOp
    public var dtype: DType?
    public var shape: ProbeShape?
    /// Sample time multiplier, in (1, `maximumFactor`].
    public var factor: Double
    /// Seconds after process start when the slowdown begins (nil: at once).
    public var startAfterSeconds: Double?
    /// Seconds the slowdown lasts once begun (nil: for ever).
    public var durationSeconds: Double?

    public init(op: ProbeOp, dtype: DType? = nil, shape: ProbeShape? = nil, factor: Double) throws(FaultInjectionError) {
        guard factor > 1, factor <= Self.maximumFactor else { throw .invalidFactor(String(factor)) }
        if let dtype, !BackendKind.allCases.contains(where: { op.dtypes(on: $0).contains(dtype) }) {
            throw .probe(.unsupportedPair(op: op, dtype: dtype, backend: .cpu))
        }
        if let shape, shape.rank != op.shapeDimensionNames.count { throw .probe(.noShapeForOp(op: op, shapes: [shape])) }
        self.op = op
        self.dtype = dtype
        self.shape = shape
        self.factor = factor
    }

    /// Parses `op=OP[,dtype=DTYPE][,shape=SHAPE],factor=F`.
    public init(parsing text: String) throws(FaultInjectionError) {
        var values: [String: String] = [:]
        for pair in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else { throw .malformedPair(String(pair)) }
            let key = String(parts[0])
            guard ["op", "dtype", "shape", "factor", "after", "for"].contains(key) else { throw .unknownKey(key) }
            guard values[key] == nil else { throw .duplicateKey(key) }
            values[key] = String(parts[1])
        }
        guard let opText = values["op"] else { throw .missingKey("op") }
        guard let factorText = values["factor"] else { throw .missingKey("factor") }
        guard let op = ProbeOp(rawValue: opText) else { throw .probe(.unknownOp(opText)) }
        var dtype: DType?
        if let dtypeText = values["dtype"] {
            guard let parsed = DType(rawValue: dtypeText) else { throw .probe(.unknownDType(dtypeText)) }
            dtype = parsed
        }
        var shape: ProbeShape?
        if let shapeText = values["shape"] {
            do { shape = try ProbeShape(parsing: shapeText) } catch { throw .probe(error) }
        }
        guard let factor = Double(factorText), factor.isFinite else { throw .invalidFactor(factorText) }
        guard factor > 1, factor <= Self.maximumFactor else { throw .invalidFactor(factorText) }
        try self.init(op: op, dtype: dtype, shape: shape, factor: factor)
        for key in ["after", "for"] {
            guard let text = values[key] else { continue }
            guard let seconds = Self.parseSeconds(text) else { throw .invalidDuration(key: key, text) }
            if key == "after" { startAfterSeconds = seconds } else { durationSeconds = seconds }
        }
    }

    /// "90", "90s", "1.5m", "2h".
    static func parseSeconds(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        var number = Substring(text)
        var scale = 1.0
        if let last = number.last, let unit = units[last] {
            scale = unit
            number = number.dropLast()
        }
        guard let value = Double(number), value.isFinite, value >= 0 else { return nil }
        return value * scale
    }

    /// Monotonic time of process start for the `after`/`for` window: the first read of the
    /// injection, which the first runner of the process makes.
    private static let epoch = MonotonicClock.nanoseconds()

    /// Whether the slowdown is on now (always, without a window).
    public var isInWindow: Bool {
        // The epoch first: its first read sets it, and a clock read taken before that would be earlier.
        let epoch = Self.epoch
        let elapsed = Double(MonotonicClock.nanoseconds() - epoch) / 1e9
        let start = startAfterSeconds ?? 0
        guard elapsed >= start else { return false }
        if let durationSeconds { return elapsed < start + durationSeconds }
        return true
    }

    /// The text form, as the environment variable takes it.
    public var description: String {
        var parts = ["op=\(op.rawValue)"]
        if let dtype { parts.append("dtype=\(dtype.rawValue)") }
        if let shape { parts.append("shape=\(shape)") }
        parts.append("factor=\(factor)")
        if let startAfterSeconds { parts.append("after=\(startAfterSeconds)s") }
        if let durationSeconds { parts.append("for=\(durationSeconds)s") }
        return parts.joined(separator: ",")
    }

    /// The spec is one the injection names, and its window is open now.
    public func matches(_ spec: ProbeSpec) -> Bool {
        spec.op == op && (dtype == nil || spec.dtype == dtype) && (shape == nil || spec.shape == shape) && isInWindow
    }

    /// Busy-waits (factor - 1) × `kernelSeconds` and returns the seconds actually waited. Spinning,
    /// not sleeping: a sleep would hand the core to other work and wake up late by a scheduler
    /// quantum, which is neither the requested slowdown nor what a slower kernel looks like.
    func spin(afterKernelSeconds kernelSeconds: Double) -> Double {
        let target = UInt64(max(0, (factor - 1) * kernelSeconds) * 1e9)
        let start = MonotonicClock.nanoseconds()
        var now = start
        while now - start < target { now = MonotonicClock.nanoseconds() }
        return Double(now - start) / 1e9
    }

    /// `BITPROBE_FAULT_INJECT` of this process, read once. Unset or empty is `nil`.
    public static let environment: Result<FaultInjection?, FaultInjectionError> = {
        _ = epoch
        return parseEnvironment(getenv(environmentVariable).map { String(cString: $0) })
    }()

    /// The injection in force in this process, nil normally (and when the variable is malformed,
    /// which `environment` reports). The agent exports it so a slowed node is visible on dashboards.
    public static var active: FaultInjection? { try? environment.get() }

    static func parseEnvironment(_ value: String?) -> Result<FaultInjection?, FaultInjectionError> {
        guard let value, !value.isEmpty else { return .success(nil) }
        do { return .success(try FaultInjection(parsing: value)) } catch { return .failure(error) }
    }

    private static let warned = Atomic<Bool>(false)

    /// Tells stderr, once per process, that timings are being slowed on purpose, or that a malformed
    /// variable is being ignored; output files say so too (`fault_injection`), but a person watching a
    /// terminal should not have to read them to find out.
    public static func warnOnce(using injection: FaultInjection?) {
        let message: String
        if let injection {
            message =
                "bitprobe: WARNING: fault injection active (\(environmentVariable)=\(injection)): matching probes are slowed on purpose; their timings are not real performance\n"
        } else if case .failure(let error) = environment {
            message = "bitprobe: WARNING: ignoring \(error)\n"
        } else {
            return
        }
        guard !warned.exchange(true, ordering: .relaxed) else { return }
        StandardStream.write(message, to: 2)
    }
}

/// A `BITPROBE_FAULT_INJECT` value that cannot be used. Each message names the variable and the part.
public enum FaultInjectionError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformedPair(String)
    case unknownKey(String)
    case duplicateKey(String)
    case missingKey(String)
    case invalidFactor(String)
    case invalidDuration(key: String, String)
    case probe(ProbeInputError)

    public var description: String {
        let name = FaultInjection.environmentVariable
        switch self {
        case .malformedPair(let text):
            return "\(name): '\(text)' is not key=value; expected op=OP[,dtype=DTYPE][,shape=SHAPE],factor=F[,after=D][,for=D]"
        case .unknownKey(let key):
            return "\(name): unknown key '\(key)'; expected one of: op, dtype, shape, factor, after, for"
        case .duplicateKey(let key):
            return "\(name): key '\(key)' is given twice"
        case .missingKey(let key):
            return "\(name): missing key '\(key)'; expected op=OP[,dtype=DTYPE][,shape=SHAPE],factor=F[,after=D][,for=D]"
        case .invalidFactor(let text):
            return "\(name): factor '\(text)' must be a number greater than 1 and at most \(Int(FaultInjection.maximumFactor))"
        case .invalidDuration(let key, let text):
            return "\(name): \(key) '\(text)' must be a duration in seconds, optionally with an s, m or h suffix"
        case .probe(let error):
            return "\(name): \(error)"
        }
    }
}
