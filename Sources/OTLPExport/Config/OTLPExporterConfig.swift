/// Where and how finished spans are sent: OTLP over HTTP with protobuf bodies.
///
/// Every field names the environment variable that sets it in ``fromEnvironment(_:)`` and its
/// default; the signal-specific `OTEL_EXPORTER_OTLP_TRACES_*` form wins over `OTEL_EXPORTER_OTLP_*`.
///
/// ```swift
/// var config = OTLPExporterConfig(endpoint: "http://collector:4318/v1/traces")
/// config.compression = .gzip
/// config.batch.scheduleDelay = .seconds(1)
/// ```
public struct OTLPExporterConfig: Sendable {
    public enum Compression: String, Sendable, CaseIterable {
        case none
        case gzip
    }

    /// The batch span processor, as the OpenTelemetry SDK specification defines it.
    public struct Batch: Sendable, Equatable {
        /// Spans waiting to be exported; beyond this, new spans are dropped and counted.
        ///
        /// - Environment variable: `OTEL_BSP_MAX_QUEUE_SIZE`. Default: 2048.
        public var maxQueueSize = 2048

        /// Spans in one export request; a full batch is sent at once, without waiting for
        /// `scheduleDelay`. At most `maxQueueSize`.
        ///
        /// - Environment variable: `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`. Default: 512.
        public var maxExportBatchSize = 512

        /// The longest a span waits in the queue before its batch is sent (counted from the
        /// oldest queued span; while an export runs, the next waits for it).
        ///
        /// - Environment variable: `OTEL_BSP_SCHEDULE_DELAY` (milliseconds). Default: 5 s.
        public var scheduleDelay: Duration = .seconds(5)

        /// Bounds one export, every retry included; what is not delivered by then fails.
        ///
        /// - Environment variable: `OTEL_BSP_EXPORT_TIMEOUT` (milliseconds). Default: 30 s.
        public var exportTimeout: Duration = .seconds(30)

        public init() {}
    }

    /// Retries of requests that failed in a way the OTLP specification calls transient: HTTP
    /// 429, 502, 503, 504, or no response at all (connection refused or reset, request timeout).
    ///
    /// The OTLP specification defines no environment variables for these.
    public struct Retry: Sendable, Equatable {
        /// Requests per export, the first one included; 1 disables retries. Default: 5.
        public var maxAttempts = 5
        /// The wait before the first retry. Default: 1 s.
        public var initialBackoff: Duration = .seconds(1)
        /// The longest wait between attempts (a `Retry-After` is honoured beyond it, within the
        /// export timeout). Default: 30 s.
        public var maxBackoff: Duration = .seconds(30)
        /// Each wait is this many times the previous one. Default: 1.5.
        public var multiplier = 1.5
        /// Each wait is shortened by a random fraction up to this, so that agents restarted
        /// together do not retry in lockstep. 0...1; default: 0.2.
        public var jitter = 0.2

        public init() {}
    }

    /// The full URL spans are POSTed to.
    ///
    /// - Environment variables: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as it is), else
    ///   `OTEL_EXPORTER_OTLP_ENDPOINT` with `/v1/traces` appended to its path.
    /// - Default: none; without an endpoint, tracing is off.
    public var endpoint: String

    /// Sent with every request, typically credentials: `[("Authorization", "Bearer ...")]`.
    ///
    /// - Environment variables: `OTEL_EXPORTER_OTLP_TRACES_HEADERS`, `OTEL_EXPORTER_OTLP_HEADERS`
    ///   (`key1=value1,key2=value2`, values percent-decoded). Default: none.
    public var headers: [(String, String)] = []

    /// Bounds each HTTP request, connecting included.
    ///
    /// - Environment variables: `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT`, `OTEL_EXPORTER_OTLP_TIMEOUT`
    ///   (milliseconds). Default: 10 s.
    public var timeout: Duration = .seconds(10)

    /// Request body encoding.
    ///
    /// - Environment variables: `OTEL_EXPORTER_OTLP_TRACES_COMPRESSION`,
    ///   `OTEL_EXPORTER_OTLP_COMPRESSION` (`gzip` or `none`). Default: none.
    public var compression: Compression = .none

    /// PEM file of the certificate authorities trusted for an `https` endpoint, instead of the
    /// system's.
    ///
    /// - Environment variables: `OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE`,
    ///   `OTEL_EXPORTER_OTLP_CERTIFICATE`. Default: none (the system trust store).
    public var certificateFile: String?

    /// PEM client certificate for mutual TLS; needs `clientKeyFile` too.
    ///
    /// - Environment variables: `OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE`,
    ///   `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`. Default: none.
    public var clientCertificateFile: String?

    /// PEM private key of `clientCertificateFile`.
    ///
    /// - Environment variables: `OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY`,
    ///   `OTEL_EXPORTER_OTLP_CLIENT_KEY`. Default: none.
    public var clientKeyFile: String?

    public var batch = Batch()
    public var retry = Retry()

    public init(endpoint: String) {
        self.endpoint = endpoint
    }
}
