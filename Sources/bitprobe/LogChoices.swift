import Agent
import ArgumentParser
import Logging

/// `agent --log.level`: Prometheus exporters' names, with `warning` also taken for `warn`.
enum LogLevelChoice: String, CaseIterable, ExpressibleByArgument {
    case debug, info, warn, error

    init?(argument: String) { self.init(rawValue: argument == "warning" ? "warn" : argument) }

    var level: Logger.Level {
        switch self {
        case .debug: .debug
        case .info: .info
        case .warn: .warning
        case .error: .error
        }
    }
}

/// `agent --log.format`.
enum LogFormatChoice: String, CaseIterable, ExpressibleByArgument {
    case logfmt, json

    var format: LogfmtLogHandler.Format {
        switch self {
        case .logfmt: .logfmt
        case .json: .json
        }
    }
}
