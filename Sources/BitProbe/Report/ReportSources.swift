import FoundationEssentials

/// Reads the JSON files that `bench`, `compare`, `regress`, `memory`, `baseline create` and
/// `report` write, recognises each by its top-level keys, and gathers them into report inputs.
public enum ReportSources {
    public enum Kind: String, Sendable, Equatable {
        case bench, compare, regress, memory, baseline, report
        /// `compare --strides` and `compare --batch`.
        case layout, batch
    }

    public struct Failure: Error, Equatable, Sendable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "--from \(path): \(reason)" }
    }

    /// Files larger than this are not something bitprobe wrote.
    public static let sizeLimit = 64 << 20

    /// What each file held, merged: results are concatenated (a later file's probe replaces an
    /// earlier one's with the same spec); compare, regress and memory may appear once each.
    public struct Loaded: Sendable {
        public var results: [ProbeResult] = []
        public var host: HostInfo?
        public var comparison: DeviceComparison?
        public var layout: LayoutComparison?
        public var batch: BatchComparison?
        public var regression: RegressionReport?
        public var memory: MemoryReport?
        /// A whole report read back: rendered again as it is.
        public var report: PerformanceReport?
    }

    public static func load(paths: [String]) throws(Failure) -> Loaded {
        var loaded = Loaded()
        for path in paths {
            let bytes = try read(path)
            let kind = try kind(of: bytes, path: path)
            do {
                switch kind {
                case .report:
                    guard paths.count == 1 else { throw Failure(path: path, reason: "a report file is rendered on its own; give it as the only --from") }
                    loaded.report = try PerformanceReport.decode(json: bytes)
                case .bench:
                    let bench = try BenchReport.decode(json: bytes)
                    loaded.host = loaded.host ?? bench.host
                    merge(bench.results, into: &loaded.results)
                case .baseline:
                    merge(try Baseline.decode(json: bytes, path: path).results, into: &loaded.results)
                case .compare:
                    guard loaded.comparison == nil else { throw Failure(path: path, reason: "a second compare file; give one") }
                    loaded.comparison = try ProjectJSON.decoder().decode(DeviceComparison.self, from: Data(bytes))
                case .layout:
                    guard loaded.layout == nil else { throw Failure(path: path, reason: "a second layout file; give one") }
                    loaded.layout = try ProjectJSON.decoder().decode(LayoutComparison.self, from: Data(bytes))
                case .batch:
                    guard loaded.batch == nil else { throw Failure(path: path, reason: "a second batch file; give one") }
                    loaded.batch = try ProjectJSON.decoder().decode(BatchComparison.self, from: Data(bytes))
                case .regress:
                    guard loaded.regression == nil else { throw Failure(path: path, reason: "a second regress file; give one") }
                    loaded.regression = try RegressionReport.decode(json: bytes)
                case .memory:
                    guard loaded.memory == nil else { throw Failure(path: path, reason: "a second memory file; give one") }
                    loaded.memory = try ProjectJSON.decoder().decode(MemoryReport.self, from: Data(bytes))
                }
            } catch let failure as Failure {
                throw failure
            } catch let error as BaselineError {
                throw Failure(path: path, reason: error.description)
            } catch {
                throw Failure(path: path, reason: "not a valid \(kind.rawValue) file: \(decodingReason(error))")
            }
        }
        if loaded.report == nil, loaded.results.isEmpty, loaded.comparison == nil, loaded.regression == nil, loaded.memory == nil,
            loaded.layout == nil, loaded.batch == nil
        {
            throw Failure(path: paths.joined(separator: ", "), reason: "no file given")
        }
        return loaded
    }

    /// The kind of a file from its top-level keys (snake_case, as bitprobe writes them).
    static func kind(of bytes: [UInt8], path: String) throws(Failure) -> Kind {
        struct TopLevel: Decodable {
            var keys: Set<String>
            var kindValue: String?
            struct Key: CodingKey {
                var stringValue: String
                var intValue: Int? { nil }
                init(stringValue: String) { self.stringValue = stringValue }
                init?(intValue: Int) { nil }
            }
            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: Key.self)
                keys = Set(container.allKeys.map(\.stringValue))
                kindValue = try? container.decode(String.self, forKey: Key(stringValue: "kind"))
            }
        }
        let top: TopLevel
        do { top = try JSONDecoder().decode(TopLevel.self, from: Data(bytes)) } catch {
            throw Failure(path: path, reason: "not a JSON object (\(decodingReason(error)))")
        }
        if top.kindValue == PerformanceReport.kind { return .report }
        if top.kindValue == Baseline.kind { return .baseline }
        if top.keys.isSuperset(of: ["comparisons", "baseline", "status"]) { return .regress }
        if top.keys.isSuperset(of: ["rows", "guide", "cpu"]) { return .compare }
        if top.keys.isSuperset(of: ["elements", "rows"]) { return .layout }
        if top.keys.isSuperset(of: ["batches", "series"]) { return .batch }
        if top.keys.isSuperset(of: ["results", "backend", "host"]) { return .bench }
        if top.keys.isSuperset(of: ["host", "devices", "leaks"]) { return .memory }
        throw Failure(path: path, reason: "not a file bitprobe wrote (expected the JSON of bench, compare, regress, memory, a baseline or a report)")
    }

    /// The whole file, refused (never blocked on, never cut) when it is not a regular file or too large.
    private static func read(_ path: String) throws(Failure) -> [UInt8] {
        do { return try RegularFile.read(path, limit: sizeLimit) } catch { throw Failure(path: path, reason: error.reason) }
    }

    private static func merge(_ results: [ProbeResult], into list: inout [ProbeResult]) {
        for result in results {
            if let index = list.firstIndex(where: { $0.spec == result.spec }) { list[index] = result } else { list.append(result) }
        }
    }

    /// The decoder's complaint in one line: the key path and what was wrong.
    static func decodingReason(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return keys.isEmpty ? "" : " at \(keys)"
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing key '\(key.stringValue)'\(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return context.debugDescription.trimmedSentence + path(context)
        @unknown default: return "\(error)"
        }
    }
}

extension String {
    /// A message without its trailing period, to be followed by more words.
    var trimmedSentence: String { hasSuffix(".") ? String(dropLast()) : self }
}
