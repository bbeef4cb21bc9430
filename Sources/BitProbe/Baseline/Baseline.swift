import FoundationEssentials

/// A named, stored set of probe results to compare later runs with (`bitprobe baseline create`),
/// kept as `NAME.json` in the baseline directory (schema in docs/regression.md).
public struct Baseline: Codable, Sendable {
    /// Marks the file as a baseline, so that any other JSON file is recognised as foreign.
    public static let kind = "bitprobe-baseline"
    /// 2: each result keeps every round (`ProbeResult.rounds`); 1 kept only the quietest round,
    /// which `regress` can no longer compare (`requireRounds`).
    public static let schemaVersion = 2

    /// Measurement settings of each round `baseline create` runs unless flags say otherwise: those of
    /// `bench`, repeated in `defaultRounds` rounds (`RoundMeasurement`).
    public static var defaultConfig: BenchmarkConfig { BenchmarkConfig() }

    /// Rounds per probe at least; every round is kept.
    public static let defaultRounds = 10

    /// Seconds `baseline create` keeps running rounds, at least. A baseline is recorded once and
    /// judges every later run, so it is worth a minute: longer than the spells of load seen on the
    /// development VM, so that some rounds meet the machine at its fastest (docs/regression.md).
    public static let defaultDuration = 60.0

    /// Kernel threads `baseline create` uses unless `--threads` says otherwise. One, because on a
    /// machine shared with other work a kernel that needs every core waits for the busiest one: on
    /// the 2-core development VM the median of a 2-thread probe moved by up to 6x between runs, that of
    /// a 1-thread probe by at most 1.24x, 1.07x for the compute-bound ones (docs/regression.md).
    public static let defaultThreads = 1

    public var kind: String = Baseline.kind
    public var schemaVersion: Int = Baseline.schemaVersion
    public var name: String
    public var description: String?
    /// Unix seconds.
    public var createdAt: Double
    public var fingerprint: EnvironmentFingerprint
    /// Settings of each round.
    public var config: BenchmarkConfig
    /// Rounds each probe was measured in, at least; each result keeps them all (`RoundMeasurement`).
    public var rounds: Int
    /// Seconds the rounds were run for, at least.
    public var durationSeconds: Double
    /// Present when the probes were slowed on purpose while the baseline was recorded.
    public var faultInjection: FaultInjection?
    /// Per probe: samples, statistics and outcome.
    public var results: [ProbeResult]

    public init(
        name: String, description: String?, createdAt: Double, fingerprint: EnvironmentFingerprint, config: BenchmarkConfig,
        rounds: Int, durationSeconds: Double, faultInjection: FaultInjection?, results: [ProbeResult]
    ) {
        self.name = name
        self.description = description
        self.createdAt = createdAt
        self.fingerprint = fingerprint
        self.config = config
        self.rounds = rounds
        self.durationSeconds = durationSeconds
        self.faultInjection = faultInjection
        self.results = results
    }

    /// Refuses a baseline whose `ok` results lack their rounds (schema version 1 kept only the
    /// quietest round per probe), naming the command that records a new one.
    public func requireRounds(path: String) throws(BaselineError) {
        guard results.contains(where: { $0.outcome == .ok && $0.rounds == nil }) else { return }
        throw .withoutRounds(path: path, name: name, version: schemaVersion)
    }

    /// The fewest rounds any `ok` result of the baseline has (nil when none is ok).
    public var fewestRounds: Int? {
        results.filter { $0.outcome == .ok }.map { $0.rounds?.count ?? 1 }.min()
    }

    public func json() throws -> [UInt8] {
        try ProjectJSON.file(self)
    }

    /// Decodes a baseline file's bytes; `path` only names the file in errors. Checks, in order, that the
    /// bytes are JSON, that they are a baseline (`kind`), that this build reads their schema version,
    /// and only then decodes the rest, so each kind of bad file gets its own message.
    public static func decode(json bytes: [UInt8], path: String) throws(BaselineError) -> Baseline {
        let decoder = ProjectJSON.decoder()
        let data = Data(bytes)
        let header: Header
        do {
            header = try decoder.decode(Header.self, from: data)
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            throw .corrupt(path: path, reason: "not valid JSON")
        } catch {
            throw .foreign(path: path)
        }
        guard header.kind == kind else { throw .foreign(path: path) }
        guard let version = header.schemaVersion else { throw .corrupt(path: path, reason: "schema_version is missing or not an integer") }
        guard version <= schemaVersion else { throw .newerSchema(path: path, version: version) }
        guard version >= 1 else { throw .corrupt(path: path, reason: "schema_version \(version) is not a version (versions start at 1)") }
        let baseline: Baseline
        do {
            baseline = try decoder.decode(Baseline.self, from: data)
        } catch let error as DecodingError {
            throw .corrupt(path: path, reason: describe(error))
        } catch {
            throw .corrupt(path: path, reason: "\(error)")
        }
        // Shown as a date by list, show and regress; 1e20 once trapped converting to an integer.
        guard (0...latestCreatedAt).contains(baseline.createdAt) else {
            throw .corrupt(path: path, reason: "created_at \(baseline.createdAt) is not a time between 1970 and 9999")
        }
        return baseline
    }

    /// 9999-12-31 23:59:59 UTC in Unix seconds: the last time with a four-digit year.
    static let latestCreatedAt = 253_402_300_799.0

    /// The fields that decide how to read the rest; anything else about them is a foreign file.
    private struct Header: Decodable {
        var kind: String?
        var schemaVersion: Int?

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            kind = try? container.decodeIfPresent(String.self, forKey: .kind)
            schemaVersion = try? container.decodeIfPresent(Int.self, forKey: .schemaVersion)
        }

        enum CodingKeys: String, CodingKey { case kind, schemaVersion }
    }

    /// One line naming the JSON path (in the file's snake_case) and what is wrong there.
    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return "missing key '\(jsonName(key))'" + location(context.codingPath)
        case .typeMismatch(let type, let context):
            return "expected \(typeName(type))" + location(context.codingPath)
        case .valueNotFound(let type, let context):
            return "expected \(typeName(type)), found null" + location(context.codingPath)
        case .dataCorrupted(let context):
            return "invalid value" + location(context.codingPath) + ": " + firstLine(context.debugDescription)
        @unknown default:
            return firstLine("\(error)")
        }
    }

    private static func location(_ path: [any CodingKey]) -> String {
        guard !path.isEmpty else { return " at the top level" }
        var text = ""
        for key in path {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += (text.isEmpty ? "" : ".") + jsonName(key)
            }
        }
        return " at \(text)"
    }

    /// The key as the file spells it: the decoder reports the Swift (camelCase) name.
    private static func jsonName(_ key: any CodingKey) -> String {
        var name = ""
        for character in key.stringValue {
            if character.isUppercase {
                name += "_" + character.lowercased()
            } else {
                name.append(character)
            }
        }
        return name
    }

    private static func typeName(_ type: Any.Type) -> String {
        if type == String.self { return "a string" }
        if type == Int.self || type == UInt64.self { return "an integer" }
        if type == Double.self { return "a number" }
        if type == Bool.self { return "true or false" }
        if type == [Any].self { return "an array" }
        if type == [String: Any].self { return "an object" }
        return "\(type)"
    }

    private static func firstLine(_ text: String) -> String {
        String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
    }
}
