import BitProbe
import OTLPExport

/// Turns a cycle's profile (BitProbe spans) into OTLP spans. The identifiers carry over as they are,
/// so exemplars on /metrics name exactly the trace the collector receives. Public for the tracing
/// benchmark (Benchmarks/TracingBench), which exports what the agent exports.
public enum CycleTraceConversion {
    public static func spans(of root: ProfileSpan) -> [FinishedSpan] {
        root.flattened().compactMap { span in
            guard let traceID = TraceID(high: span.traceID.high, low: span.traceID.low),
                  let spanID = SpanID(value: span.spanID.value) else { return nil }
            let failure = span.failureReason
            return FinishedSpan(
                traceID: traceID, spanID: spanID, parentSpanID: span.parentSpanID.flatMap { SpanID(value: $0.value) },
                name: span.name, startUnixNano: span.startUnixNanos, endUnixNano: span.endUnixNanos,
                attributes: span.attributes.map { ($0.0, attribute($0.1)) },
                events: span.events.map { SpanEvent(name: $0.name, timeUnixNano: $0.unixNanos, attributes: $0.attributes.map { ($0.0, attribute($0.1)) }) },
                status: failure == nil ? .unset : .error, statusMessage: failure ?? "")
        }
    }

    static func attribute(_ value: ProfileValue) -> AttributeValue {
        switch value {
        case .string(let text): .string(text)
        case .int(let number): .int(number)
        case .double(let number): .double(number)
        case .bool(let flag): .bool(flag)
        }
    }
}
