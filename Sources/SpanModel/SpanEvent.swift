/// Something that happened at one instant during a span, e.g. a verification mismatch.
public struct SpanEvent: Sendable, Equatable {
    public var name: String
    /// Wall-clock time in nanoseconds since the Unix epoch.
    public var timeUnixNano: UInt64
    public var attributes: [(String, AttributeValue)]

    public init(name: String, timeUnixNano: UInt64, attributes: [(String, AttributeValue)] = []) {
        self.name = name
        self.timeUnixNano = timeUnixNano
        self.attributes = attributes
    }

    public static func == (lhs: SpanEvent, rhs: SpanEvent) -> Bool {
        lhs.name == rhs.name && lhs.timeUnixNano == rhs.timeUnixNano
            && lhs.attributes.elementsEqual(rhs.attributes) { $0.0 == $1.0 && $0.1 == $1.1 }
    }
}
