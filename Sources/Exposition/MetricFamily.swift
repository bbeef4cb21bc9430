/// The OpenMetrics type of a family. Text 0.0.4 knows no `info`: it becomes a gauge there, and
/// `unknown` becomes `untyped`.
public enum MetricType: String, Sendable, CaseIterable {
    case counter, gauge, histogram, info, unknown
}

/// The value of one series. A family's type decides which case its series hold:
/// counter → `.counter`, gauge and unknown → `.gauge`, histogram → `.histogram`, info → `.info`.
public enum MetricValue: Sendable, Equatable {
    /// A total, with the time counting started (seconds since the Unix epoch) if known.
    case counter(Double, created: Double?)
    case gauge(Double)
    case histogram(HistogramValue)
    /// An info series: its labels are the information, its value is always 1.
    case info
}

/// One series of a family: its labels and its value.
public struct Metric: Sendable, Equatable {
    public var labels: Labels
    public var value: MetricValue

    public init(labels: Labels = Labels(), value: MetricValue) {
        self.labels = labels
        self.value = value
    }
}

/// A named set of series of one type.
///
/// `name` is the family name: a counter's without `_total` and an info family's without `_info`;
/// the renderer appends those suffixes to the samples (and, in text 0.0.4, to the HELP and TYPE lines).
///
/// ```swift
/// MetricFamily(name: "bitprobe_cycles", help: "Probe cycles completed.", type: .counter,
///              metrics: [Metric(value: .counter(42, created: startTime))])
/// ```
public struct MetricFamily: Sendable, Equatable {
    public var name: String
    public var help: String
    public var type: MetricType
    /// Must be the end of `name` after an underscore, e.g. `seconds` for `..._duration_seconds`.
    public var unit: String?
    public var metrics: [Metric]

    public init(name: String, help: String, type: MetricType, unit: String? = nil, metrics: [Metric] = []) {
        self.name = name
        self.help = help
        self.type = type
        self.unit = unit
        self.metrics = metrics
    }
}
