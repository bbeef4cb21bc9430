import Synchronization

/// The queue between the threads that finish spans and the worker that exports them, and the
/// worker's lifecycle. Everything but `shutdown` and `statistics` is touched only under `lock`.
final class ExportPipeline: @unchecked Sendable {
    enum Phase {
        case created
        case running
        /// Shutdown has begun: the worker drains the queue until `shutdown.deadline`.
        case stopping
        case stopped
    }

    let lock = ConditionLock()
    let statistics = Mutex(OTLPExportStatistics())
    let shutdown = ShutdownSignal()

    private let batch: OTLPExporterConfig.Batch
    private let clock: any ExportClock
    private var queue: [FinishedSpan] = []
    private var oldestEnqueuedAt: UInt64?
    private var phase = Phase.created
    private var workerFinished = false

    init(batch: OTLPExporterConfig.Batch, clock: any ExportClock) {
        self.batch = batch
        self.clock = clock
        queue.reserveCapacity(batch.maxQueueSize)
    }

    var queuedCount: Int { lock.withLock { queue.count } }

    /// Queues what fits and returns how many spans did not; never waits for the worker.
    func enqueue(_ spans: [FinishedSpan]) -> Int {
        let now = clock.monotonicNanoseconds()
        return lock.withLock {
            guard phase == .created || phase == .running else { return spans.count }
            let accepted = min(batch.maxQueueSize - queue.count, spans.count)
            guard accepted > 0 else { return spans.count }
            let wasEmpty = queue.isEmpty
            if wasEmpty { oldestEnqueuedAt = now }
            queue.append(contentsOf: spans.prefix(accepted))
            // The worker needs waking only to learn a new due time or that a batch is full.
            if wasEmpty || queue.count >= batch.maxExportBatchSize { lock.broadcast() }
            return spans.count - accepted
        }
    }

    /// Moves `created` to `running`; false when shutdown came first.
    func markRunning() -> Bool {
        lock.withLock {
            guard phase == .created else { return false }
            phase = .running
            return true
        }
    }

    /// Blocks the worker until a batch is due and returns it, or nil when it should end; spans
    /// still queued at the shutdown deadline are returned as `abandoned`.
    func nextBatch() -> (batch: [FinishedSpan]?, abandoned: Int) {
        lock.withLock {
            while true {
                let now = clock.monotonicNanoseconds()
                let stopping = phase == .stopping
                if stopping, now >= shutdown.deadline {
                    let abandoned = queue.count
                    queue.removeAll()
                    return (nil, abandoned)
                }
                switch BatchSchedule.next(queued: queue.count, oldestEnqueuedAt: oldestEnqueuedAt, now: now, stopping: stopping, config: batch) {
                case .finish:
                    return (nil, 0)
                case .export(let count):
                    let taken = Array(queue.prefix(count))
                    queue.removeFirst(count)
                    // Leftovers keep the older time, so they go out no later than they were due.
                    if queue.isEmpty { oldestEnqueuedAt = nil }
                    return (taken, 0)
                case .wait(let deadline):
                    lock.wait(untilNanoseconds: deadline)
                }
            }
        }
    }

    /// Waits until the CLOCK_MONOTONIC time `until`; false when the shutdown deadline cut it short.
    func sleep(until: UInt64) -> Bool {
        lock.withLock {
            while true {
                let now = clock.monotonicNanoseconds()
                let hard = shutdown.deadline
                if now >= until { return true }
                if now >= hard { return false }
                lock.wait(untilNanoseconds: min(until, hard))
            }
        }
    }

    enum StopProgress {
        /// The worker is draining the queue; wait for it.
        case draining
        /// No worker runs (never started, or already stopped); `abandoned` spans were queued
        /// before a `start` that never came and now count as failed.
        case stopped(abandoned: Int)
    }

    func beginStopping(hardDeadline deadline: UInt64) -> StopProgress {
        lock.withLock {
            switch phase {
            case .created:
                phase = .stopped
                let abandoned = queue.count
                queue.removeAll()
                if abandoned > 0 {
                    statistics.withLock {
                        $0.spansFailed += UInt64(abandoned)
                        $0.lastFailure = "\(abandoned) spans queued but the exporter was never started"
                    }
                }
                return .stopped(abandoned: abandoned)
            case .running, .stopping:
                // A second shutdown may only bring the deadline forward.
                phase = .stopping
                shutdown.bringForward(to: deadline)
                lock.broadcast()
                return .draining
            case .stopped:
                return .stopped(abandoned: 0)
            }
        }
    }

    /// Waits until the worker has ended or the CLOCK_MONOTONIC time `deadline` passes.
    func waitForWorker(until deadline: UInt64) -> Bool {
        lock.withLock {
            while !workerFinished, clock.monotonicNanoseconds() < deadline {
                lock.wait(untilNanoseconds: deadline)
            }
            return workerFinished
        }
    }

    func markWorkerFinished() {
        lock.withLock {
            phase = .stopped
            workerFinished = true
            lock.broadcast()
        }
    }
}
