/// When the worker sends a batch: pure, so tests give it times instead of waiting for them.
enum BatchSchedule {
    enum Step: Equatable {
        case export(count: Int)
        /// Until that monotonic time, or until woken (nil: nothing is queued).
        case wait(untilNanoseconds: UInt64?)
        case finish
    }

    /// - Parameters:
    ///   - oldestEnqueuedAt: when the queue last went from empty to not empty.
    ///   - stopping: shutdown has begun; everything queued goes out now, in full batches.
    static func next(queued: Int, oldestEnqueuedAt: UInt64?, now: UInt64, stopping: Bool, config: OTLPExporterConfig.Batch) -> Step {
        if stopping { return queued == 0 ? .finish : .export(count: min(queued, config.maxExportBatchSize)) }
        if queued >= config.maxExportBatchSize { return .export(count: config.maxExportBatchSize) }
        guard queued > 0, let oldestEnqueuedAt else { return .wait(untilNanoseconds: nil) }
        let due = oldestEnqueuedAt.addingSaturating(config.scheduleDelay.nanoseconds)
        return now >= due ? .export(count: queued) : .wait(untilNanoseconds: due)
    }
}
