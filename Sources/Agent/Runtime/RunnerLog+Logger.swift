import BitProbe
import Logging

extension RunnerLog {
    /// The device runners' reports as the agent's log lines (level, message, metadata as given).
    init(_ logger: Logger) {
        self.init { level, message, pairs in
            let metadata = Logger.Metadata(pairs.map { ($0.0, Logger.MetadataValue.string($0.1)) }, uniquingKeysWith: { _, last in last })
            let text = Logger.Message(stringLiteral: message)
            switch level {
            case .info: logger.info(text, metadata: metadata)
            case .warning: logger.warning(text, metadata: metadata)
            case .error: logger.error(text, metadata: metadata)
            }
        }
    }
}
