/// One piece of advice, with the measurements behind it. Every recommendation bitprobe prints comes
/// from a rule over measured values (RecommendationRules); none is canned text.
public struct Recommendation: Codable, Sendable, Equatable {
    public enum Category: String, Codable, Sendable, CaseIterable {
        case performance, memory, device, measurement, correctness
    }

    /// Ordered: `high` sorts first.
    public enum Priority: String, Codable, Sendable, CaseIterable, Comparable {
        case high, medium, low

        private var rank: Int {
            switch self {
            case .high: 0
            case .medium: 1
            case .low: 2
            }
        }

        public static func < (lhs: Priority, rhs: Priority) -> Bool { lhs.rank < rhs.rank }
    }

    /// One measured number the advice rests on, with its unit ("s", "op/s", "B/s", "B", "ratio").
    public struct Evidence: Codable, Sendable, Equatable {
        public var name: String
        public var value: Double
        public var unit: String

        public init(_ name: String, _ value: Double, unit: String) {
            self.name = name
            self.value = value
            self.unit = unit
        }
    }

    public var category: Category
    public var priority: Priority
    /// A short imperative line, e.g. "Run matmul f16 >= 256 on cuda0".
    public var title: String
    /// The sentence that explains it, with the numbers.
    public var detail: String
    public var evidence: [Evidence]
    /// Bytes the change would free, where it frees memory.
    public var potentialSavingsBytes: Int?
    /// Times faster the change would make the work, where it speeds it up.
    public var potentialSpeedup: Double?

    public init(
        category: Category, priority: Priority, title: String, detail: String, evidence: [Evidence],
        potentialSavingsBytes: Int? = nil, potentialSpeedup: Double? = nil
    ) {
        self.category = category
        self.priority = priority
        self.title = title
        self.detail = detail
        self.evidence = evidence
        self.potentialSavingsBytes = potentialSavingsBytes
        self.potentialSpeedup = potentialSpeedup
    }

    /// Highest priority first; within a priority a wrong result before anything else, then the larger
    /// speed-up or saving, then by title so the order is the same on every run.
    public static func prioritised(_ list: [Recommendation]) -> [Recommendation] {
        list.sorted { a, b in
            if a.priority != b.priority { return a.priority < b.priority }
            if (a.category == .correctness) != (b.category == .correctness) { return a.category == .correctness }
            let gainA = a.potentialSpeedup ?? 0, gainB = b.potentialSpeedup ?? 0
            if gainA != gainB { return gainA > gainB }
            let bytesA = a.potentialSavingsBytes ?? 0, bytesB = b.potentialSavingsBytes ?? 0
            if bytesA != bytesB { return bytesA > bytesB }
            return a.title < b.title
        }
    }

    /// "[high] memory: title — detail" for tables and logs.
    public var line: String { "[\(priority.rawValue)] \(category.rawValue): \(title) — \(detail)" }
}
