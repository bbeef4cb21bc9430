/// A bad `OTEL_*` environment variable: which one, and what is wrong with it.
///
/// The message never repeats a header value, since headers usually carry credentials.
public struct OTLPConfigError: Error, Equatable, CustomStringConvertible {
    /// The environment variable, e.g. `OTEL_EXPORTER_OTLP_TIMEOUT`.
    public let variable: String
    public let problem: String

    public init(variable: String, problem: String) {
        self.variable = variable
        self.problem = problem
    }

    /// `OTEL_EXPORTER_OTLP_TIMEOUT: '10s' is not a positive integer number of milliseconds`
    public var description: String { "\(variable): \(problem)" }
}
