/// Reads a YAML mapping strictly: each key is taken at most once with a typed accessor, and
/// `finish()` rejects any key that was not taken, with its location. Errors name the key path.
///
/// ```swift
/// var web = try ConfigMapping(node, path: "web")
/// let address = try web.string("listen_address") ?? ":9464"
/// try web.finish()
/// ```
public struct ConfigMapping {
    public let path: String
    public let location: SourceLocation
    private let entries: [(key: String, keyLocation: SourceLocation, value: YAMLNode)]
    /// Position of each key in `entries`, so reading every key of a large mapping stays linear.
    private let index: [String: Int]
    private var taken: Set<String> = []

    public init(_ node: YAMLNode, path: String) throws(ConfigError) {
        guard case .mapping(let entries, let location) = node else {
            throw ConfigError(location: node.location, keyPath: path, message: "expected a mapping, got \(node.kindDescription)")
        }
        self.path = path
        self.location = location
        self.entries = entries
        index = Dictionary(entries.enumerated().map { ($0.element.key, $0.offset) }, uniquingKeysWith: { first, _ in first })
    }

    public func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The raw node of `key`, or nil when absent or null.
    public mutating func node(_ key: String) -> YAMLNode? {
        taken.insert(key)
        guard let position = index[key], !entries[position].value.isNull else { return nil }
        return entries[position].value
    }

    public mutating func string(_ key: String) throws(ConfigError) -> String? {
        guard let node = node(key) else { return nil }
        guard case .scalar(let text, _, _) = node else { throw typeError(key, node, expected: "a string") }
        return text
    }

    public mutating func int(_ key: String, range: ClosedRange<Int>? = nil) throws(ConfigError) -> Int? {
        guard let node = node(key) else { return nil }
        guard case .scalar(let text, true, _) = node, let value = Int(text) else { throw typeError(key, node, expected: "an integer") }
        if let range, !range.contains(value) {
            throw ConfigError(
                location: node.location, keyPath: keyPath(key), message: "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        return value
    }

    public mutating func double(_ key: String, range: ClosedRange<Double>? = nil) throws(ConfigError) -> Double? {
        guard let node = node(key) else { return nil }
        guard case .scalar(let text, true, _) = node, let value = Double(text), value.isFinite else { throw typeError(key, node, expected: "a number") }
        if let range, !range.contains(value) {
            throw ConfigError(
                location: node.location, keyPath: keyPath(key), message: "must be between \(range.lowerBound) and \(range.upperBound), got \(text)")
        }
        return value
    }

    public mutating func bool(_ key: String) throws(ConfigError) -> Bool? {
        guard let node = node(key) else { return nil }
        guard case .scalar(let text, true, _) = node, let value = ["true": true, "false": false][text] else {
            throw typeError(key, node, expected: "true or false")
        }
        return value
    }

    /// A duration in Prometheus's syntax ("500ms", "30s", "5m", "1h30m"), in seconds, at most
    /// `DurationText.maximum` so that every consumer can turn it into integer nanoseconds.
    public mutating func duration(_ key: String, minimum: Double = 0) throws(ConfigError) -> Double? {
        guard let node = node(key) else { return nil }
        guard case .scalar(let text, _, _) = node, let seconds = DurationText.parse(text) else {
            throw typeError(key, node, expected: "a duration such as 30s, 5m or 1h30m")
        }
        if seconds < minimum {
            throw ConfigError(location: node.location, keyPath: keyPath(key), message: "must be at least \(DurationText.format(minimum)), got \(text)")
        }
        if seconds > DurationText.maximum {
            throw ConfigError(
                location: node.location, keyPath: keyPath(key), message: "must be at most \(DurationText.format(DurationText.maximum)), got \(text)")
        }
        return seconds
    }

    public mutating func stringList(_ key: String) throws(ConfigError) -> [String]? {
        guard let node = node(key) else { return nil }
        switch node {
        case .scalar(let text, _, _): return [text]
        case .sequence(let items, _):
            var strings: [String] = []
            for (index, item) in items.enumerated() {
                guard case .scalar(let text, _, _) = item else {
                    throw ConfigError(location: item.location, keyPath: "\(keyPath(key))[\(index)]", message: "expected a string, got \(item.kindDescription)")
                }
                strings.append(text)
            }
            return strings
        case .mapping: throw typeError(key, node, expected: "a string or a list of strings")
        }
    }

    public mutating func mapping(_ key: String) throws(ConfigError) -> ConfigMapping? {
        guard let node = node(key) else { return nil }
        return try ConfigMapping(node, path: keyPath(key))
    }

    public mutating func list(_ key: String) throws(ConfigError) -> [YAMLNode]? {
        guard let node = node(key) else { return nil }
        guard case .sequence(let items, _) = node else { throw typeError(key, node, expected: "a list") }
        return items
    }

    /// Rejects keys no accessor took (typos, keys of another version).
    public func finish() throws(ConfigError) {
        if let unknown = entries.first(where: { !taken.contains($0.key) }) {
            throw ConfigError(location: unknown.keyLocation, keyPath: keyPath(unknown.key), message: "unknown key")
        }
    }

    /// An error about the value of `key`.
    public func error(_ key: String, at node: YAMLNode, _ message: String) -> ConfigError {
        ConfigError(location: node.location, keyPath: keyPath(key), message: message)
    }

    private func typeError(_ key: String, _ node: YAMLNode, expected: String) -> ConfigError {
        let got: String
        if case .scalar(let text, _, _) = node { got = "'\(text)'" } else { got = node.kindDescription }
        return ConfigError(location: node.location, keyPath: keyPath(key), message: "expected \(expected), got \(got)")
    }
}

/// Prometheus-style durations: a sequence of number+unit with units ms, s, m, h, d, w, y.
public enum DurationText {
    /// The longest duration a config may give (365 days). Longer ones overflowed the integer
    /// conversions of timers and trapped the agent after `check-config` had accepted them.
    public static let maximum: Double = 365 * 86400

    public static func parse(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400), ("w", 604_800), ("y", 31_536_000)]
        var rest = Substring(text)
        var total = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !digits.isEmpty, let number = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.0) && !(($0.0 == "m") && rest.hasPrefix("ms")) }) else { return nil }
            rest = rest.dropFirst(unit.0.count)
            total += number * unit.1
        }
        return total
    }

    public static func format(_ seconds: Double) -> String {
        if seconds >= 86400, seconds.truncatingRemainder(dividingBy: 86400) == 0 { return "\(Int(seconds / 86400))d" }
        if seconds >= 1, seconds == seconds.rounded() { return "\(Int(seconds))s" }
        if seconds < 1, (seconds * 1000) == (seconds * 1000).rounded() { return "\(Int(seconds * 1000))ms" }
        return "\(seconds)s"
    }
}
