/// Exports finished spans to an OpenTelemetry collector over OTLP/HTTP (protobuf), in batches,
/// from a thread of its own.
///
/// `export` never blocks: spans wait in a bounded queue, and when it is full new spans are
/// dropped and counted, so a collector that is down for hours costs the agent a fixed amount of
/// memory and no time. A batch goes out when it is full or its oldest span has waited
/// `scheduleDelay`; transient failures are retried with backoff (see `OTLPExporterConfig.Retry`)
/// within `exportTimeout`.
///
/// ```swift
/// guard let config = try OTLPExporterConfig.fromEnvironment(environment) else { return }  // tracing off
/// let exporter = OTLPTraceExporter(config: config, resource: resource, scopeVersion: BuildInfo.version)
/// try exporter.start()
/// exporter.export(spansOfOneCycle)
/// ...
/// exporter.shutdown(deadline: .seconds(5))
/// ```
public final class OTLPTraceExporter: Sendable {
    typealias TransportFactory = @Sendable (OTLPExporterConfig, _ userAgent: String, ShutdownSignal) throws(OTLPExportError) -> any HTTPTransport

    private let config: OTLPExporterConfig
    private let resource: OTLPResource
    private let scope: OTLPInstrumentationScope
    private let clock: any ExportClock
    private let pipeline: ExportPipeline
    private let makeTransport: TransportFactory

    /// - Parameters:
    ///   - scopeName: the instrumentation scope the spans come from.
    ///   - scopeVersion: its version, also sent in the `User-Agent` header.
    public convenience init(config: OTLPExporterConfig, resource: OTLPResource, scopeName: String = "bitprobe", scopeVersion: String) {
        self.init(
            config: config, resource: resource, scope: OTLPInstrumentationScope(name: scopeName, version: scopeVersion),
            clock: SystemClock(),
            makeTransport: { config, userAgent, shutdown throws(OTLPExportError) in
                try CurlTransport(config: config, userAgent: userAgent, clock: SystemClock(), shutdown: shutdown)
            }
        )
    }

    /// Tests pass a transport of their own. The clock also drives the worker's condition-variable
    /// waits, so it must be CLOCK_MONOTONIC-based.
    init(config: OTLPExporterConfig, resource: OTLPResource, scope: OTLPInstrumentationScope, clock: any ExportClock, makeTransport: @escaping TransportFactory)
    {
        self.config = config
        self.resource = resource
        self.scope = scope
        self.clock = clock
        self.makeTransport = makeTransport
        var batch = config.batch
        batch.maxQueueSize = max(batch.maxQueueSize, 1)
        batch.maxExportBatchSize = min(max(batch.maxExportBatchSize, 1), batch.maxQueueSize)
        pipeline = ExportPipeline(batch: batch, clock: clock)
    }

    /// Without a shutdown, the worker would wait forever for spans nobody can send any more.
    deinit {
        _ = pipeline.beginStopping(hardDeadline: clock.monotonicNanoseconds())
    }

    /// Creates the HTTP client and starts the worker thread. Spans exported before `start` wait
    /// in the queue. Calling it again, or after `shutdown`, does nothing.
    public func start() throws(OTLPExportError) {
        let transport = FailureCountingTransport(try makeTransport(config, "\(scope.name)/\(scope.version)", pipeline.shutdown), pipeline: pipeline)
        guard pipeline.markRunning() else { return }
        let worker = Worker(
            pipeline: pipeline, transport: transport, config: config, resource: resource, scope: scope, clock: clock
        )
        guard spawnDetachedThread({ worker.run() }) else {
            pipeline.markWorkerFinished()
            throw OTLPExportError(description: "could not start the OTLP export thread")
        }
    }

    /// Queues `spans` for export and returns at once. What does not fit in the queue is dropped
    /// and counted in `statistics.spansDropped`, as is everything after `shutdown`.
    public func export(_ spans: [FinishedSpan]) {
        guard !spans.isEmpty else { return }
        let dropped = pipeline.enqueue(spans)
        if dropped > 0 { pipeline.statistics.withLock { $0.spansDropped += UInt64(dropped) } }
    }

    /// Sends what is queued, in full batches, and stops the worker, all within `deadline`: a
    /// request or retry wait still running then is cut short and its spans count as failed.
    /// Returns true when the worker finished in time (false too when spans were queued but
    /// `start` never came).
    @discardableResult
    public func shutdown(deadline: Duration) -> Bool {
        let returnBy = clock.monotonicNanoseconds().addingSaturating(deadline.nanoseconds)
        // The worker stops a little earlier, so that its end can be seen before returning.
        let margin = min(deadline.nanoseconds / 10, 50_000_000)
        switch pipeline.beginStopping(hardDeadline: returnBy - margin) {
        case .draining: return pipeline.waitForWorker(until: returnBy)
        case .stopped(let abandoned): return abandoned == 0
        }
    }

    /// The counters, copied together under one lock, and the queue length read just after.
    public var statistics: OTLPExportStatistics {
        var snapshot = pipeline.statistics.withLock { $0 }
        snapshot.queuedSpans = pipeline.queuedCount
        return snapshot
    }
}

/// The export thread's loop: take a batch, encode it, send it with retries, count the outcome.
/// Owns the transport, which therefore needs no locking.
private struct Worker: @unchecked Sendable {
    let pipeline: ExportPipeline
    let transport: any HTTPTransport
    let config: OTLPExporterConfig
    let resource: OTLPResource
    let scope: OTLPInstrumentationScope
    let clock: any ExportClock

    func run() {
        let pipeline = pipeline
        let sender = ExportSender(
            transport: transport, policy: RetryPolicy(config: config.retry), requestTimeout: config.timeout.nanoseconds,
            endpoint: config.endpoint, clock: clock, sleep: { pipeline.sleep(until: $0) }
        )
        let exportTimeout = config.batch.exportTimeout.nanoseconds
        while true {
            let (batch, abandoned) = pipeline.nextBatch()
            if abandoned > 0 {
                pipeline.statistics.withLock {
                    $0.spansFailed += UInt64(abandoned)
                    $0.lastFailure = "\(abandoned) spans were still queued at the shutdown deadline"
                }
            }
            guard let batch else { break }
            let start = clock.monotonicNanoseconds()
            let exportDeadline = start.addingSaturating(exportTimeout)
            let encoded = OTLPEncoder.encode(resource: resource, scope: scope, spans: batch)
            let body = config.compression == .gzip ? Gzip.compress(encoded) : encoded
            let outcome =
                body.map { body in
                    sender.send(body, spanCount: batch.count) { min(exportDeadline, pipeline.shutdown.deadline) }
                } ?? ExportSender.Outcome(delivered: false, rejectedSpans: 0, requests: 0, failure: "gzip compression failed (out of memory)")
            let duration = clock.monotonicNanoseconds().subtractingSaturating(start)
            pipeline.statistics.withLock { statistics in
                statistics.observeExport(duration: duration)
                statistics.exportRequests += UInt64(outcome.requests)
                statistics.retries += UInt64(max(outcome.requests - 1, 0))
                let failed = outcome.delivered ? outcome.rejectedSpans : batch.count
                statistics.spansExported += UInt64(batch.count - failed)
                statistics.spansFailed += UInt64(failed)
                statistics.spansRejected += UInt64(outcome.rejectedSpans)
                if let failure = outcome.failure { statistics.lastFailure = failure }
            }
        }
        pipeline.markWorkerFinished()
    }
}
