/// A value attached to a span, an event or a resource: what the profiler records and the OTLP
/// exporter encodes, one type for both. OTLP also has arrays, maps and bytes; bitprobe's spans need
/// only these.
public enum AttributeValue: Sendable, Equatable {
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
}
