import Synchronization

/// A value attached to a span or an event.
public enum ProfileValue: Sendable, Equatable, CustomStringConvertible {
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)

    public var description: String {
        switch self {
        case .string(let value): value
        case .int(let value): String(value)
        case .double(let value): String(value)
        case .bool(let value): String(value)
        }
    }
}

/// Identifiers shaped as W3C trace context / OTLP wants them: 16-byte trace, 8-byte span,
/// random and never all zero.
public struct ProfileTraceID: Hashable, Sendable {
    public let high: UInt64
    public let low: UInt64

    public static func random() -> ProfileTraceID {
        while true {
            let id = ProfileTraceID(high: IdentifierSource.next(), low: IdentifierSource.next())
            if id.high != 0 || id.low != 0 { return id }
        }
    }

    public var hex: String { hex16(high) + hex16(low) }
}

public struct ProfileSpanID: Hashable, Sendable {
    public let value: UInt64

    public static func random() -> ProfileSpanID {
        while true {
            let value = IdentifierSource.next()
            if value != 0 { return ProfileSpanID(value: value) }
        }
    }

    public var hex: String { hex16(value) }
}

/// Random-looking 64-bit identifiers without a system call per span: SplitMix64's finaliser over a
/// counter that starts at a random point. The finaliser is a bijection, so one process never repeats
/// an identifier within 2^64 draws, and the random start keeps processes apart. The kernel's
/// generator (getrandom, one system call per draw) was most of a span's cost (docs/tracing.md).
enum IdentifierSource {
    private static let counter: Atomic<UInt64> = {
        var generator = SystemRandomNumberGenerator()
        return Atomic(generator.next())
    }()

    static func next() -> UInt64 {
        var z = counter.wrappingAdd(0x9E37_79B9_7F4A_7C15, ordering: .relaxed).newValue
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func hex16(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}

/// A timestamped point inside a span (e.g. "probe timed out").
public struct ProfileEvent: Sendable, Equatable {
    public var name: String
    public var unixNanos: UInt64
    public var attributes: [(String, ProfileValue)]

    public static func == (lhs: ProfileEvent, rhs: ProfileEvent) -> Bool {
        lhs.name == rhs.name && lhs.unixNanos == rhs.unixNanos && lhs.attributes.elementsEqual(rhs.attributes) { $0.0 == $1.0 && $0.1 == $1.1 }
    }
}

/// One timed scope. Start a trace with `ProfileSpan.root`, nest with `child`, close with `end()`.
/// Children may be opened from any thread; a span's fields are guarded by its own lock, and ending
/// twice keeps the first end.
public final class ProfileSpan: Sendable {
    public let name: String
    public let traceID: ProfileTraceID
    public let spanID: ProfileSpanID
    public let parentSpanID: ProfileSpanID?
    public let startUnixNanos: UInt64
    private let startMonotonicNanos: UInt64
    /// Wall and monotonic time of the trace's root at its start: every span's wall times derive
    /// from it and the monotonic clock, so children lie inside parents even if the wall clock steps.
    private let anchor: (unixNanos: UInt64, monotonicNanos: UInt64)

    private struct Mutable {
        var endMonotonicNanos: UInt64?
        var attributes: [(String, ProfileValue)] = []
        var events: [ProfileEvent] = []
        var children: [ProfileSpan] = []
        var failed: String?
    }

    private let state = Mutex(Mutable())

    private init(name: String, traceID: ProfileTraceID, parent: ProfileSpanID?, anchor: (unixNanos: UInt64, monotonicNanos: UInt64)?,
                 attributes: [(String, ProfileValue)]) {
        let now = MonotonicClock.nanoseconds()
        let anchor = anchor ?? (WallClock.unixNanos(), now)
        self.name = name
        self.traceID = traceID
        self.spanID = .random()
        self.parentSpanID = parent
        self.anchor = anchor
        self.startMonotonicNanos = now
        self.startUnixNanos = anchor.unixNanos + (now - anchor.monotonicNanos)
        state.withLock { $0.attributes = attributes }
    }

    /// A closed span with a given duration and children, for tests of the analyses.
    init(testName name: String, durationNanos: UInt64, children: [ProfileSpan] = []) {
        self.name = name
        self.traceID = .random()
        self.spanID = .random()
        self.parentSpanID = nil
        self.startUnixNanos = 0
        self.startMonotonicNanos = 0
        self.anchor = (0, 0)
        state.withLock {
            $0.endMonotonicNanos = durationNanos
            $0.children = children
        }
    }

    /// The first span of a new trace.
    public static func root(_ name: String, attributes: [(String, ProfileValue)] = []) -> ProfileSpan {
        ProfileSpan(name: name, traceID: .random(), parent: nil, anchor: nil, attributes: attributes)
    }

    public func child(_ name: String, attributes: [(String, ProfileValue)] = []) -> ProfileSpan {
        let span = ProfileSpan(name: name, traceID: traceID, parent: spanID, anchor: anchor, attributes: attributes)
        state.withLock { $0.children.append(span) }
        return span
    }

    /// Runs `body` in a new trace's root span (the seed's `profile_operation`) and returns its
    /// result with the ended span, for `ProfileAnalysis`, `FlameGraph` or an exporter. `body` gets
    /// the span to open children in; a thrown error marks the span failed and is rethrown.
    ///
    /// ```swift
    /// let (logits, span) = try ProfileSpan.profile("forward") { span in
    ///     try span.measure("attention") { try attention(x) }
    ///     return try span.measure("mlp") { try mlp(x) }
    /// }
    /// print(ProfileAnalysis(traces: [span]).treeText)
    /// ```
    public static func profile<T>(_ name: String, attributes: [(String, ProfileValue)] = [], _ body: (ProfileSpan) throws -> T) throws -> (T, ProfileSpan) {
        let span = root(name, attributes: attributes)
        defer { span.end() }
        do {
            return (try body(span), span)
        } catch {
            span.fail("\(error)")
            throw error
        }
    }

    /// Runs `body` in a child span that ends when it returns or throws.
    public func measure<T, E: Error>(_ name: String, _ body: () throws(E) -> T) throws(E) -> T {
        let span = child(name)
        defer { span.end() }
        return try body()
    }

    public func setAttribute(_ key: String, _ value: ProfileValue) {
        state.withLock { state in
            if let index = state.attributes.firstIndex(where: { $0.0 == key }) {
                state.attributes[index].1 = value
            } else {
                state.attributes.append((key, value))
            }
        }
    }

    public func addEvent(_ name: String, attributes: [(String, ProfileValue)] = []) {
        let event = ProfileEvent(name: name, unixNanos: anchor.unixNanos + (MonotonicClock.nanoseconds() - anchor.monotonicNanos), attributes: attributes)
        state.withLock { $0.events.append(event) }
    }

    /// Marks the span as failed (OTLP status error) with a reason.
    public func fail(_ reason: String) { state.withLock { $0.failed = reason } }

    public func end() {
        let now = MonotonicClock.nanoseconds()
        state.withLock { if $0.endMonotonicNanos == nil { $0.endMonotonicNanos = now } }
    }

    /// Nanoseconds from start to end (to now while still open).
    public var durationNanos: UInt64 {
        (state.withLock { $0.endMonotonicNanos } ?? MonotonicClock.nanoseconds()) - startMonotonicNanos
    }

    /// End time on the wall clock, derived from the monotonic duration so end >= start always.
    public var endUnixNanos: UInt64 { startUnixNanos + durationNanos }
    public var attributes: [(String, ProfileValue)] { state.withLock { $0.attributes } }
    public var events: [ProfileEvent] { state.withLock { $0.events } }
    public var children: [ProfileSpan] { state.withLock { $0.children } }
    public var failureReason: String? { state.withLock { $0.failed } }

    /// This span and every descendant, parents before children.
    public func flattened() -> [ProfileSpan] {
        [self] + children.flatMap { $0.flattened() }
    }
}
