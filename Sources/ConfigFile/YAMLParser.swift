import CYAML

/// Parses YAML text with libyaml into `YAMLNode`s. Anchors and aliases are refused: config files
/// are small, and an alias would make "where was this written" ambiguous.
public enum YAMLParser {
    /// Deepest nesting of lists and mappings. Nodes are read recursively, so without a bound a few
    /// kilobytes of `[[[[...` overflow the stack; real configs nest fewer than 10 levels.
    public static let maxDepth = 64
    /// Most nodes (scalars, lists, mappings) in one document, bounding the memory a file can claim.
    public static let maxNodes = 100_000

    /// The single document in `text`, or nil for an empty file.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> YAMLNode? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw ConfigError(location: nil, keyPath: "", message: "\(file): could not initialise the YAML parser")
        }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { buffer throws(ConfigError) -> YAMLNode? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var reader = EventReader(parser: parser, file: file)
            defer { parser = reader.parser }
            return try reader.document()
        }
    }

    private struct EventReader {
        var parser: yaml_parser_t
        let file: String
        var nodes = 0

        mutating func next() throws(ConfigError) -> yaml_event_t {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else {
                let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
                let mark = parser.problem_mark
                throw ConfigError(
                    location: SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1),
                    keyPath: "", message: "invalid YAML: \(problem)")
            }
            return event
        }

        func location(_ event: yaml_event_t) -> SourceLocation {
            SourceLocation(file: file, line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
        }

        mutating func document() throws(ConfigError) -> YAMLNode? {
            var root: YAMLNode?
            while true {
                var event = try next()
                defer { yaml_event_delete(&event) }
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return root
                case YAML_DOCUMENT_START_EVENT, YAML_STREAM_START_EVENT, YAML_DOCUMENT_END_EVENT:
                    continue
                default:
                    if root != nil {
                        throw ConfigError(location: location(event), keyPath: "", message: "expected a single YAML document")
                    }
                    root = try node(from: event, depth: 1)
                }
            }
        }

        mutating func node(from event: yaml_event_t, depth: Int) throws(ConfigError) -> YAMLNode {
            let here = location(event)
            nodes += 1
            if nodes > YAMLParser.maxNodes {
                throw ConfigError(location: here, keyPath: "", message: "more than \(YAMLParser.maxNodes) YAML nodes")
            }
            if depth > YAMLParser.maxDepth {
                throw ConfigError(location: here, keyPath: "", message: "nested deeper than \(YAMLParser.maxDepth) levels")
            }
            switch event.type {
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
                return .scalar(text, plain: scalar.style == YAML_PLAIN_SCALAR_STYLE, here)
            case YAML_SEQUENCE_START_EVENT:
                var items: [YAMLNode] = []
                while true {
                    var item = try next()
                    defer { yaml_event_delete(&item) }
                    if item.type == YAML_SEQUENCE_END_EVENT { return .sequence(items, here) }
                    items.append(try node(from: item, depth: depth + 1))
                }
            case YAML_MAPPING_START_EVENT:
                var entries: [(key: String, keyLocation: SourceLocation, value: YAMLNode)] = []
                var keys: Set<String> = []
                while true {
                    var keyEvent = try next()
                    defer { yaml_event_delete(&keyEvent) }
                    if keyEvent.type == YAML_MAPPING_END_EVENT { return .mapping(entries, here) }
                    guard case .scalar(let key, _, let keyLocation) = try node(from: keyEvent, depth: depth + 1) else {
                        throw ConfigError(location: location(keyEvent), keyPath: "", message: "mapping keys must be scalars")
                    }
                    if !keys.insert(key).inserted {
                        throw ConfigError(location: keyLocation, keyPath: key, message: "duplicate key")
                    }
                    var valueEvent = try next()
                    defer { yaml_event_delete(&valueEvent) }
                    entries.append((key, keyLocation, try node(from: valueEvent, depth: depth + 1)))
                }
            case YAML_ALIAS_EVENT:
                throw ConfigError(location: here, keyPath: "", message: "YAML aliases are not supported in config files")
            default:
                throw ConfigError(location: here, keyPath: "", message: "unexpected YAML event")
            }
        }
    }
}
