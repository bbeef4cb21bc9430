/// A label set: (name, value) pairs sorted by name, each name at most once.
///
/// The exposition text of the set (`a="x",b="y"`, values escaped) is rendered once here, so a scrape
/// copies bytes instead of escaping every value again.
///
/// Names are nearly always constants in code, so the plain initialisers trap on a bad name (a
/// programmer error); `init(validating:)` throws for names that come from input.
///
/// ```swift
/// let fixed: Labels = ["backend": "cpu", "device": "cpu0"]
/// let probe = Labels([("op", op.rawValue), ("dtype", dtype.rawValue)])
/// let extra = try Labels(validating: configuredLabels)
/// ```
public struct Labels: Sendable, Hashable, Comparable, CustomStringConvertible, ExpressibleByDictionaryLiteral {
    public private(set) var pairs: [(name: String, value: String)]
    /// `a="x",b="y"` with values escaped; the same in both formats.
    let rendered: [UInt8]
    /// Code points of all names and values together, what OpenMetrics limits for exemplars.
    let codePointCount: Int

    public init() {
        pairs = []
        rendered = []
        codePointCount = 0
    }

    /// Pairs in any order; traps on an invalid or repeated name.
    public init(_ pairs: [(String, String)]) {
        do {
            try self.init(validating: pairs)
        } catch {
            preconditionFailure(error.description)
        }
    }

    /// Pairs in any order, with names from input: throws on an invalid or repeated name.
    public init(validating pairs: [(String, String)]) throws(ExpositionError) {
        for (name, _) in pairs where !Labels.isValidName(name) {
            throw .invalidLabelName(name)
        }
        let sorted = pairs.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        for index in sorted.indices.dropFirst() where sorted[index].0 == sorted[index - 1].0 {
            throw .duplicateLabelName(sorted[index].0)
        }
        self.pairs = sorted.map { (name: $0.0, value: $0.1) }
        var bytes: [UInt8] = []
        var codePoints = 0
        for (index, pair) in sorted.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: pair.0.utf8)
            bytes.append(contentsOf: #"=""#.utf8)
            bytes.appendEscapedLabelValue(pair.1)
            bytes.append(UInt8(ascii: "\""))
            codePoints += pair.0.unicodeScalars.count + pair.1.unicodeScalars.count
        }
        rendered = bytes
        codePointCount = codePoints
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    public var isEmpty: Bool { pairs.isEmpty }
    public var count: Int { pairs.count }

    public subscript(name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }

    /// This set with one more label, for example a `result` label on top of a probe's labels; traps
    /// on an invalid name or one the set already has.
    public func adding(_ name: String, _ value: String) -> Labels {
        Labels(pairs.map { ($0.name, $0.value) } + [(name, value)])
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved for Prometheus itself).
    public static func isValidName(_ name: String) -> Bool {
        var bytes = name.utf8.makeIterator()
        guard let first = bytes.next(), first.isASCIILetter || first == UInt8(ascii: "_") else { return false }
        if name.utf8.starts(with: "__".utf8) { return false }
        while let byte = bytes.next() {
            guard byte.isASCIILetter || byte.isASCIIDigit || byte == UInt8(ascii: "_") else { return false }
        }
        return true
    }

    /// The set as it appears in the exposition, `{a="x"}`; `{}` when empty.
    public var description: String {
        "{" + String(decoding: rendered, as: UTF8.self) + "}"
    }

    // The rendering escapes values injectively, so equal bytes mean equal pairs; comparing bytes also
    // keeps "é" and "e\u{301}" apart, as Prometheus does, where String's == would merge them.
    public static func == (lhs: Labels, rhs: Labels) -> Bool {
        lhs.rendered == rhs.rendered
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(rendered)
    }

    /// Pairwise by name, then value, comparing UTF-8 bytes; a prefix sorts first.
    public static func < (lhs: Labels, rhs: Labels) -> Bool {
        for (left, right) in zip(lhs.pairs, rhs.pairs) {
            if left.name != right.name { return left.name.utf8.lexicographicallyPrecedes(right.name.utf8) }
            if !left.value.utf8.elementsEqual(right.value.utf8) {
                return left.value.utf8.lexicographicallyPrecedes(right.value.utf8)
            }
        }
        return lhs.pairs.count < rhs.pairs.count
    }
}

extension UInt8 {
    var isASCIILetter: Bool { (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) }
    var isASCIIDigit: Bool { (0x30...0x39).contains(self) }
}
