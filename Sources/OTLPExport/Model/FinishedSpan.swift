import SpanModel

/// OTLP's span status: `unset` unless the instrumented code decided.
public enum SpanStatusCode: Sendable {
    case unset
    case ok
    case error
}

/// OTLP's span kinds; a probe cycle and its phases are all `internal`.
public enum SpanKind: Sendable {
    case `internal`
    case server
    case client
    case producer
    case consumer
}

/// A span that has ended, ready to export.
///
/// ```swift
/// let cycle = FinishedSpan(
///     traceID: .random(), spanID: .random(), parentSpanID: nil, name: "probe cycle",
///     startUnixNano: start, endUnixNano: end, attributes: [("bitprobe.cycle", .int(42))]
/// )
/// ```
public struct FinishedSpan: Sendable {
    public var traceID: TraceID
    public var spanID: SpanID
    /// nil for the root span of a trace.
    public var parentSpanID: SpanID?
    public var name: String
    public var kind: SpanKind
    /// Wall-clock nanoseconds since the Unix epoch.
    public var startUnixNano: UInt64
    /// Wall-clock nanoseconds since the Unix epoch; not before `startUnixNano`.
    public var endUnixNano: UInt64
    public var attributes: [(String, AttributeValue)]
    public var events: [SpanEvent]
    public var status: SpanStatusCode
    /// Only meaningful with `status == .error`, as OTLP defines it.
    public var statusMessage: String

    public init(
        traceID: TraceID,
        spanID: SpanID,
        parentSpanID: SpanID?,
        name: String,
        kind: SpanKind = .internal,
        startUnixNano: UInt64,
        endUnixNano: UInt64,
        attributes: [(String, AttributeValue)] = [],
        events: [SpanEvent] = [],
        status: SpanStatusCode = .unset,
        statusMessage: String = ""
    ) {
        self.traceID = traceID
        self.spanID = spanID
        self.parentSpanID = parentSpanID
        self.name = name
        self.kind = kind
        self.startUnixNano = startUnixNano
        self.endUnixNano = endUnixNano
        self.attributes = attributes
        self.events = events
        self.status = status
        self.statusMessage = statusMessage
    }
}

/// The instrumentation scope that produced the spans: bitprobe itself, with its version.
public struct OTLPInstrumentationScope: Sendable, Equatable {
    public var name: String
    public var version: String

    public init(name: String, version: String) {
        self.name = name
        self.version = version
    }
}
