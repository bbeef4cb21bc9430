import COTLP
import SpanModel

typealias ProtoRequest = Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest
typealias ProtoResourceSpans = Opentelemetry__Proto__Trace__V1__ResourceSpans
typealias ProtoScopeSpans = Opentelemetry__Proto__Trace__V1__ScopeSpans
typealias ProtoSpan = Opentelemetry__Proto__Trace__V1__Span
typealias ProtoEvent = Opentelemetry__Proto__Trace__V1__Span__Event
typealias ProtoStatus = Opentelemetry__Proto__Trace__V1__Status
typealias ProtoResource = Opentelemetry__Proto__Resource__V1__Resource
typealias ProtoScope = Opentelemetry__Proto__Common__V1__InstrumentationScope
typealias ProtoKeyValue = Opentelemetry__Proto__Common__V1__KeyValue
typealias ProtoAnyValue = Opentelemetry__Proto__Common__V1__AnyValue

/// Encodes spans as the protobuf body of an OTLP/HTTP trace export (`ExportTraceServiceRequest`),
/// through the protoc-c code in COTLP.
///
/// ```swift
/// let body = OTLPEncoder.encode(resource: resource, scope: OTLPInstrumentationScope(name: "bitprobe", version: "1.2.0"), spans: spans)
/// ```
public enum OTLPEncoder {
    /// Span flags: bit 8 says bit 9 (parent is remote) is known, and it is clear, because
    /// bitprobe starts every trace itself; the low byte is the W3C trace flags, sampled.
    static let spanFlags: UInt32 = 0x100 | 0x01

    /// One `ResourceSpans` with one `ScopeSpans` holding `spans` in the order given.
    public static func encode(resource: OTLPResource, scope: OTLPInstrumentationScope, spans: [FinishedSpan]) -> [UInt8] {
        let arena = EncodingArena()
        let builder = MessageBuilder(arena: arena)

        let protoResource = arena.allocate(ProtoResource.self)
        opentelemetry__proto__resource__v1__resource__init(protoResource)
        (protoResource.pointee.n_attributes, protoResource.pointee.attributes) = builder.keyValues(resource.attributes)

        let protoScope = arena.allocate(ProtoScope.self)
        opentelemetry__proto__common__v1__instrumentation_scope__init(protoScope)
        protoScope.pointee.name = arena.cString(scope.name)
        protoScope.pointee.version = arena.cString(scope.version)

        let scopeSpans = arena.allocate(ProtoScopeSpans.self)
        opentelemetry__proto__trace__v1__scope_spans__init(scopeSpans)
        scopeSpans.pointee.scope = protoScope
        scopeSpans.pointee.n_spans = spans.count
        scopeSpans.pointee.spans = builder.spans(spans)

        let resourceSpans = arena.allocate(ProtoResourceSpans.self)
        opentelemetry__proto__trace__v1__resource_spans__init(resourceSpans)
        resourceSpans.pointee.resource = protoResource
        resourceSpans.pointee.n_scope_spans = 1
        resourceSpans.pointee.scope_spans = builder.pointerArray([scopeSpans])

        var request = ProtoRequest()
        opentelemetry__proto__collector__trace__v1__export_trace_service_request__init(&request)
        request.n_resource_spans = 1
        request.resource_spans = builder.pointerArray([resourceSpans])

        let size = opentelemetry__proto__collector__trace__v1__export_trace_service_request__get_packed_size(&request)
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = opentelemetry__proto__collector__trace__v1__export_trace_service_request__pack(&request, buffer.baseAddress)
        }
    }
}

/// Builds protobuf-c structs in an arena; every pointer it returns lives as long as the arena.
private struct MessageBuilder {
    let arena: EncodingArena

    func pointerArray<T>(_ pointers: [UnsafeMutablePointer<T>]) -> UnsafeMutablePointer<UnsafeMutablePointer<T>?> {
        let array = arena.allocate(UnsafeMutablePointer<T>?.self, count: pointers.count)
        for (index, pointer) in pointers.enumerated() { (array + index).initialize(to: pointer) }
        return array
    }

    func spans(_ spans: [FinishedSpan]) -> UnsafeMutablePointer<UnsafeMutablePointer<ProtoSpan>?>? {
        guard !spans.isEmpty else { return nil }
        let list = arena.allocate(UnsafeMutablePointer<ProtoSpan>?.self, count: spans.count)
        let structs = arena.allocate(ProtoSpan.self, count: spans.count)
        for (index, span) in spans.enumerated() {
            let proto = structs + index
            opentelemetry__proto__trace__v1__span__init(proto)
            proto.pointee.trace_id = binary(span.traceID.high, span.traceID.low)
            proto.pointee.span_id = binary(span.spanID.value)
            if let parent = span.parentSpanID { proto.pointee.parent_span_id = binary(parent.value) }
            proto.pointee.flags = OTLPEncoder.spanFlags
            proto.pointee.name = arena.cString(span.name)
            proto.pointee.kind = Self.kind(span.kind)
            proto.pointee.start_time_unix_nano = span.startUnixNano
            proto.pointee.end_time_unix_nano = span.endUnixNano
            (proto.pointee.n_attributes, proto.pointee.attributes) = keyValues(span.attributes)
            (proto.pointee.n_events, proto.pointee.events) = events(span.events)
            proto.pointee.status = status(span.status, message: span.statusMessage)
            (list + index).initialize(to: proto)
        }
        return list
    }

    func keyValues(_ attributes: [(String, AttributeValue)]) -> (Int, UnsafeMutablePointer<UnsafeMutablePointer<ProtoKeyValue>?>?) {
        guard !attributes.isEmpty else { return (0, nil) }
        let list = arena.allocate(UnsafeMutablePointer<ProtoKeyValue>?.self, count: attributes.count)
        let pairs = arena.allocate(ProtoKeyValue.self, count: attributes.count)
        let values = arena.allocate(ProtoAnyValue.self, count: attributes.count)
        for (index, (key, value)) in attributes.enumerated() {
            let pair = pairs + index
            let any = values + index
            opentelemetry__proto__common__v1__key_value__init(pair)
            opentelemetry__proto__common__v1__any_value__init(any)
            switch value {
            case .string(let text):
                any.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE
                any.pointee.string_value = arena.cString(text)
            case .int(let number):
                any.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE
                any.pointee.int_value = number
            case .double(let number):
                any.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE
                any.pointee.double_value = number
            case .bool(let flag):
                any.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE
                any.pointee.bool_value = flag ? 1 : 0
            }
            pair.pointee.key = arena.cString(key)
            pair.pointee.value = any
            (list + index).initialize(to: pair)
        }
        return (attributes.count, list)
    }

    private func events(_ events: [SpanEvent]) -> (Int, UnsafeMutablePointer<UnsafeMutablePointer<ProtoEvent>?>?) {
        guard !events.isEmpty else { return (0, nil) }
        let list = arena.allocate(UnsafeMutablePointer<ProtoEvent>?.self, count: events.count)
        let structs = arena.allocate(ProtoEvent.self, count: events.count)
        for (index, event) in events.enumerated() {
            let proto = structs + index
            opentelemetry__proto__trace__v1__span__event__init(proto)
            proto.pointee.name = arena.cString(event.name)
            proto.pointee.time_unix_nano = event.timeUnixNano
            (proto.pointee.n_attributes, proto.pointee.attributes) = keyValues(event.attributes)
            (list + index).initialize(to: proto)
        }
        return (events.count, list)
    }

    /// nil for an unset status without a message: the collector reads a missing status as unset.
    private func status(_ code: SpanStatusCode, message: String) -> UnsafeMutablePointer<ProtoStatus>? {
        guard code != .unset || !message.isEmpty else { return nil }
        let status = arena.allocate(ProtoStatus.self)
        opentelemetry__proto__trace__v1__status__init(status)
        status.pointee.code =
            switch code {
            case .unset: OPENTELEMETRY__PROTO__TRACE__V1__STATUS__STATUS_CODE__STATUS_CODE_UNSET
            case .ok: OPENTELEMETRY__PROTO__TRACE__V1__STATUS__STATUS_CODE__STATUS_CODE_OK
            case .error: OPENTELEMETRY__PROTO__TRACE__V1__STATUS__STATUS_CODE__STATUS_CODE_ERROR
            }
        status.pointee.message = arena.cString(message)
        return status
    }

    private static func kind(_ kind: SpanKind) -> Opentelemetry__Proto__Trace__V1__Span__SpanKind {
        switch kind {
        case .internal: OPENTELEMETRY__PROTO__TRACE__V1__SPAN__SPAN_KIND__SPAN_KIND_INTERNAL
        case .server: OPENTELEMETRY__PROTO__TRACE__V1__SPAN__SPAN_KIND__SPAN_KIND_SERVER
        case .client: OPENTELEMETRY__PROTO__TRACE__V1__SPAN__SPAN_KIND__SPAN_KIND_CLIENT
        case .producer: OPENTELEMETRY__PROTO__TRACE__V1__SPAN__SPAN_KIND__SPAN_KIND_PRODUCER
        case .consumer: OPENTELEMETRY__PROTO__TRACE__V1__SPAN__SPAN_KIND__SPAN_KIND_CONSUMER
        }
    }

    /// IDs go on the wire big-endian, the byte order of their hex form.
    private func binary(_ high: UInt64, _ low: UInt64) -> ProtobufCBinaryData {
        let data = arena.allocate(UInt64.self, count: 2)
        data[0] = high.bigEndian
        data[1] = low.bigEndian
        return ProtobufCBinaryData(len: 16, data: UnsafeMutableRawPointer(data).assumingMemoryBound(to: UInt8.self))
    }

    private func binary(_ value: UInt64) -> ProtobufCBinaryData {
        let data = arena.allocate(UInt64.self)
        data.pointee = value.bigEndian
        return ProtobufCBinaryData(len: 8, data: UnsafeMutableRawPointer(data).assumingMemoryBound(to: UInt8.self))
    }
}
