// Spans are named by SpanModel's types (TraceID, SpanID, AttributeValue, SpanEvent), the same the
// OTLP exporter sends: re-exported so `import BitProbe` is all a library user needs to profile.
@_exported import SpanModel
import Synchronization

/// Random-looking 64-bit identifiers without a system call per span: SplitMix64's finaliser over a
/// counter that starts at a random point. The finaliser is a bijection, so one process never repeats
/// an identifier within 2^64 draws, and the random start keeps processes apart. The kernel's
/// generator (getrandom, one system call per draw) was most of a span's cost (docs/tracing.md).
enum IdentifierSource {
    static func traceID() -> TraceID {
        while true {
            if let id = TraceID(high: next(), low: next()) { return id }
        }
    }

    static func spanID() -> SpanID {
        while true {
            if let id = SpanID(value: next()) { return id }
        }
    }

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

/// One timed scope. Start a trace with `ProfileSpan.root`, nest with `child`, close with `end()`.
/// Children may be opened from any thread; a span's fields are guarded by its own lock, and ending
/// twice keeps the first end.
public final class ProfileSpan: Sendable {
    public let name: String
    public let traceID: TraceID
    public let spanID: SpanID
    public let parentSpanID: SpanID?
    public let startUnixNanos: UInt64
    private let startMonotonicNanos: UInt64
    /// Wall and monotonic time of the trace's root at its start: every span's wall times derive
    /// from it and the monotonic clock, so children lie inside parents even if the wall clock steps.
    private let anchor: (unixNanos: UInt64, monotonicNanos: UInt64)

    private struct Mutable {
        var endMonotonicNanos: UInt64?
        var attributes: [(String, AttributeValue)] = []
        var events: [SpanEvent] = []
        var children: [ProfileSpan] = []
        var failed: String?
    }

    private let state = Mutex(Mutable())

    private init(
        name: String, traceID: TraceID, parent: SpanID?, anchor: (unixNanos: UInt64, monotonicNanos: UInt64)?,
        attributes: [(String, AttributeValue)]
    ) {
        let now = MonotonicClock.nanoseconds()
        let anchor = anchor ?? (WallClock.unixNanos(), now)
        self.name = name
        self.traceID = traceID
        self.spanID = IdentifierSource.spanID()
        self.parentSpanID = parent
        self.anchor = anchor
        self.startMonotonicNanos = now
        self.startUnixNanos = anchor.unixNanos + (now - anchor.monotonicNanos)
        state.withLock { $0.attributes = attributes }
    }

    /// A closed span with a given duration and children, for tests of the analyses.
    init(testName name: String, durationNanos: UInt64, children: [ProfileSpan] = []) {
        self.name = name
        self.traceID = IdentifierSource.traceID()
        self.spanID = IdentifierSource.spanID()
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
    public static func root(_ name: String, attributes: [(String, AttributeValue)] = []) -> ProfileSpan {
        ProfileSpan(name: name, traceID: IdentifierSource.traceID(), parent: nil, anchor: nil, attributes: attributes)
    }

    public func child(_ name: String, attributes: [(String, AttributeValue)] = []) -> ProfileSpan {
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
    public static func profile<T>(_ name: String, attributes: [(String, AttributeValue)] = [], _ body: (ProfileSpan) throws -> T) throws -> (T, ProfileSpan) {
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

    public func setAttribute(_ key: String, _ value: AttributeValue) {
        state.withLock { state in
            if let index = state.attributes.firstIndex(where: { $0.0 == key }) {
                state.attributes[index].1 = value
            } else {
                state.attributes.append((key, value))
            }
        }
    }

    public func addEvent(_ name: String, attributes: [(String, AttributeValue)] = []) {
        let event = SpanEvent(name: name, timeUnixNano: anchor.unixNanos + (MonotonicClock.nanoseconds() - anchor.monotonicNanos), attributes: attributes)
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
    public var attributes: [(String, AttributeValue)] { state.withLock { $0.attributes } }
    public var events: [SpanEvent] { state.withLock { $0.events } }
    public var children: [ProfileSpan] { state.withLock { $0.children } }
    public var failureReason: String? { state.withLock { $0.failed } }

    /// This span and every descendant, parents before children.
    public func flattened() -> [ProfileSpan] {
        [self] + children.flatMap { $0.flattened() }
    }
}
