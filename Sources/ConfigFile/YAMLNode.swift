/// Where a value was written: file, 1-based line and column.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// A YAML value that remembers where it was written, so config errors can point at it.
public indirect enum YAMLNode: Sendable {
    case scalar(String, plain: Bool, SourceLocation)
    case mapping([(key: String, keyLocation: SourceLocation, value: YAMLNode)], SourceLocation)
    case sequence([YAMLNode], SourceLocation)

    public var location: SourceLocation {
        switch self {
        case .scalar(_, _, let location), .mapping(_, let location), .sequence(_, let location): location
        }
    }

    /// "a string", "a mapping", "a list": for error messages.
    public var kindDescription: String {
        switch self {
        case .scalar: "a scalar"
        case .mapping: "a mapping"
        case .sequence: "a list"
        }
    }

    /// A plain `~`, `null` or empty scalar.
    public var isNull: Bool {
        if case .scalar(let text, let plain, _) = self { return plain && ["", "~", "null", "Null", "NULL"].contains(text) }
        return false
    }
}

/// A config file that cannot be used, located at the offending value.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var location: SourceLocation?
    /// Dotted path of the key, e.g. `probes.suite[2].shapes`.
    public var keyPath: String
    public var message: String

    public init(location: SourceLocation?, keyPath: String, message: String) {
        self.location = location
        self.keyPath = keyPath
        self.message = message
    }

    /// `agent.yml:4:12: probes.timeout: expected a duration such as 30s, got 'soon'`
    public var description: String {
        let prefix = location.map { "\($0): " } ?? ""
        return keyPath.isEmpty ? prefix + message : "\(prefix)\(keyPath): \(message)"
    }
}
