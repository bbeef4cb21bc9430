import COTLP

/// The part of a collector's answer that matters: how many spans it refused and why.
struct PartialSuccess: Equatable {
    var rejectedSpans: Int64
    var errorMessage: String
}

enum ExportResponse {
    /// The partial success in an `ExportTraceServiceResponse` body, or nil when the body is
    /// empty, holds none, or does not decode (a 2xx is a success either way).
    static func partialSuccess(in body: [UInt8]) -> PartialSuccess? {
        guard !body.isEmpty else { return nil }
        guard
            let response = body.withUnsafeBufferPointer({
                opentelemetry__proto__collector__trace__v1__export_trace_service_response__unpack(nil, $0.count, $0.baseAddress)
            })
        else { return nil }
        defer { opentelemetry__proto__collector__trace__v1__export_trace_service_response__free_unpacked(response, nil) }
        guard let partial = response.pointee.partial_success else { return nil }
        return PartialSuccess(
            rejectedSpans: partial.pointee.rejected_spans,
            errorMessage: partial.pointee.error_message.map { String(cString: $0) } ?? ""
        )
    }
}
