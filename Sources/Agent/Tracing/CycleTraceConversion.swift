import BitProbe
import OTLPExport

/// A cycle's profile as OTLP spans: a projection of each `ProfileSpan`, whose IDs, attribute values
/// and events are already the exporter's types (SpanModel), so exemplars on /metrics name exactly
/// the trace the collector receives. Public for the tracing benchmark (Benchmarks/TracingBench),
/// which exports what the agent exports.
public enum CycleTraceConversion {
    public static func spans(of root: ProfileSpan) -> [FinishedSpan] {
        root.flattened().map { span in
            let failure = span.failureReason
            return FinishedSpan(
                traceID: span.traceID, spanID: span.spanID, parentSpanID: span.parentSpanID, name: span.name,
                startUnixNano: span.startUnixNanos, endUnixNano: span.endUnixNanos, attributes: span.attributes, events: span.events,
                status: failure == nil ? .unset : .error, statusMessage: failure ?? "")
        }
    }
}
