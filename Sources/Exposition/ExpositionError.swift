/// Metrics that cannot be exposed as they are. Each message names the family, the series and the rule.
public enum ExpositionError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidMetricName(String)
    case invalidLabelName(String)
    case duplicateLabelName(String)
    case familyNameHasSuffix(family: String, type: MetricType, suffix: String)
    case emptyHelp(family: String)
    case invalidUnit(family: String, unit: String)
    case unitNotSuffix(family: String, unit: String)
    case unitNotAllowed(family: String, type: MetricType)
    case valueDoesNotMatchType(family: String, type: MetricType, labels: Labels)
    case invalidCounterValue(family: String, labels: Labels, value: Double)
    case invalidCreated(family: String, labels: Labels, value: Double)
    case reservedLabel(family: String, label: String)
    case invalidHistogram(family: String, labels: Labels, reason: String)
    case duplicateLabelSet(family: String, labels: Labels)
    case duplicateFamily(String)
    case clashingSampleName(sample: String, family: String, other: String)

    public var description: String {
        switch self {
        case .invalidMetricName(let name):
            "invalid metric name '\(name)': it must match [a-zA-Z_:][a-zA-Z0-9_:]* and must not start with '__'"
        case .invalidLabelName(let name):
            "invalid label name '\(name)': it must match [a-zA-Z_][a-zA-Z0-9_]* and must not start with '__'"
        case .duplicateLabelName(let name):
            "label name '\(name)' appears more than once in one label set"
        case .familyNameHasSuffix(let family, let type, let suffix):
            "\(type.rawValue) family '\(family)' must be named without its '\(suffix)' suffix; the renderer appends it"
        case .emptyHelp(let family):
            "metric family '\(family)' has empty help text"
        case .invalidUnit(let family, let unit):
            "unit '\(unit)' of metric family '\(family)' is empty or has characters outside [a-zA-Z0-9_:]"
        case .unitNotSuffix(let family, let unit):
            "unit '\(unit)' of metric family '\(family)' is not a suffix of its name; the name must end in '_\(unit)'"
        case .unitNotAllowed(let family, let type):
            "metric family '\(family)' of type \(type.rawValue) cannot have a unit"
        case .valueDoesNotMatchType(let family, let type, let labels):
            "metric family '\(family)' has type \(type.rawValue) but its series \(labels) holds a different kind of value"
        case .invalidCounterValue(let family, let labels, let value):
            "counter '\(family)' series \(labels) has value \(value.expositionText); a counter must be a number >= 0"
        case .invalidCreated(let family, let labels, let value):
            "metric family '\(family)' series \(labels) has created timestamp \(value.expositionText); it must be finite"
        case .reservedLabel(let family, let label):
            "metric family '\(family)' uses label '\(label)', which its type reserves for itself"
        case .invalidHistogram(let family, let labels, let reason):
            "histogram '\(family)' series \(labels): \(reason)"
        case .duplicateLabelSet(let family, let labels):
            "metric family '\(family)' has more than one series with labels \(labels)"
        case .duplicateFamily(let name):
            "metric family '\(name)' appears more than once"
        case .clashingSampleName(let sample, let family, let other):
            "metric families '\(other)' and '\(family)' both produce samples named '\(sample)'"
        }
    }
}
