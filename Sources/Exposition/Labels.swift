/// A label set: (name, value) pairs sorted by name, each name at most once.
///
/// Everything a scrape needs from the set is computed once, here: its exposition text
/// (`a="x",b="y"`, values escaped) and a key whose bytes sort like the pairs do. Rendering then copies
/// bytes instead of escaping values, and sorting compares bytes instead of strings. The set is one
/// shared object, so copying a `Metric` costs one reference count.
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
    // Immutable once built, which is what makes sharing it across threads safe. The bytes live in
    // memory of its own rather than in arrays so that reading them while rendering or sorting costs no
    // reference counting, which dominated profiles of rendering when they were arrays.
    private final class Storage: @unchecked Sendable {
        let pairs: [(name: String, value: String)]
        let codePointCount: Int
        /// `a="x",b="y"`, then the sort key.
        private let bytes: UnsafeMutableBufferPointer<UInt8>
        private let renderedCount: Int

        init(pairs: [(name: String, value: String)]) {
            var rendered: [UInt8] = []
            var sortKey: [UInt8] = []
            var codePoints = 0
            for (index, pair) in pairs.enumerated() {
                if index > 0 { rendered.append(UInt8(ascii: ",")) }
                rendered.append(contentsOf: pair.name.utf8)
                rendered.append(contentsOf: #"=""#.utf8)
                rendered.appendEscapedLabelValue(pair.value)
                rendered.append(UInt8(ascii: "\""))
                sortKey.appendSortKey(pair.name)
                sortKey.appendSortKey(pair.value)
                codePoints += pair.name.unicodeScalars.count + pair.value.unicodeScalars.count
            }
            self.pairs = pairs
            codePointCount = codePoints
            renderedCount = rendered.count
            bytes = .allocate(capacity: rendered.count + sortKey.count)
            _ = bytes.initialize(from: rendered + sortKey)
        }

        deinit {
            bytes.deallocate()
        }

        var rendered: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: bytes[..<renderedCount]) }
        var sortKey: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: bytes[renderedCount...]) }

        static let empty = Storage(pairs: [])
    }

    private let storage: Storage

    public init() {
        storage = .empty
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
        storage = sorted.isEmpty ? .empty : Storage(pairs: sorted.map { (name: $0.0, value: $0.1) })
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    public var pairs: [(name: String, value: String)] { storage.pairs }
    public var isEmpty: Bool { storage.rendered.isEmpty }
    public var count: Int { storage.pairs.count }

    /// Appends `a="x",b="y"` with values escaped; the same in both formats. (A method rather than a
    /// pointer-valued property: the pointer is only valid while the set is, which a call guarantees.)
    func appendRendered(to buffer: inout [UInt8]) {
        buffer.append(contentsOf: storage.rendered)
    }

    var renderedCount: Int { storage.rendered.count }

    /// Bytes that order label sets as `<` does. Only valid while this set is alive: callers keep it
    /// alive explicitly (`withExtendedLifetime`) for as long as they use the pointer.
    var sortKey: UnsafeBufferPointer<UInt8> { storage.sortKey }

    /// Code points of all names and values together, what OpenMetrics limits for exemplars.
    var codePointCount: Int { storage.codePointCount }

    public subscript(name: String) -> String? {
        storage.pairs.first { $0.name == name }?.value
    }

    /// This set with one more label, for example a `result` label on top of a probe's labels; traps
    /// on an invalid name or one the set already has.
    public func adding(_ name: String, _ value: String) -> Labels {
        Labels(storage.pairs.map { ($0.name, $0.value) } + [(name, value)])
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
        "{" + String(decoding: storage.rendered, as: UTF8.self) + "}"
    }

    // The rendering escapes values injectively, so equal bytes mean equal pairs; comparing bytes also
    // keeps "é" and "e\u{301}" apart, as Prometheus does, where String's == would merge them.
    public static func == (lhs: Labels, rhs: Labels) -> Bool {
        lhs.storage === rhs.storage || lhs.storage.rendered.elementsEqual(rhs.storage.rendered)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(bytes: UnsafeRawBufferPointer(storage.rendered))
    }

    /// Pairwise by name, then value, comparing UTF-8 bytes; a set that is a prefix of another sorts first.
    public static func < (lhs: Labels, rhs: Labels) -> Bool {
        precedes(lhs.storage.sortKey, rhs.storage.sortKey)
    }

    /// Bytewise order of two sort keys, eight bytes per step: probe label sets share long prefixes
    /// (`backend`, `device`, ...), and sorting a family compares thousands of them.
    static func precedes(_ left: UnsafeBufferPointer<UInt8>, _ right: UnsafeBufferPointer<UInt8>) -> Bool {
        let common = Swift.min(left.count, right.count)
        var index = 0
        if let leftBase = left.baseAddress, let rightBase = right.baseAddress {
            while index + 8 <= common {
                // Big-endian so that comparing the words compares the bytes in order.
                let leftWord = UnsafeRawPointer(leftBase + index).loadUnaligned(as: UInt64.self).bigEndian
                let rightWord = UnsafeRawPointer(rightBase + index).loadUnaligned(as: UInt64.self).bigEndian
                if leftWord != rightWord { return leftWord < rightWord }
                index += 8
            }
        }
        while index < common {
            if left[index] != right[index] { return left[index] < right[index] }
            index += 1
        }
        return left.count < right.count
    }
}

extension [UInt8] {
    /// The string's bytes with 0x00 → 01 01 and 0x01 → 01 02, then a 0x00 terminator: concatenated,
    /// these keys compare bytewise exactly as the strings compare in sequence, because no escaped byte
    /// is below the terminator and the escape keeps the order of 0x00 < 0x01 < everything else.
    mutating func appendSortKey(_ string: String) {
        for byte in string.utf8 {
            switch byte {
            case 0x00: append(contentsOf: [0x01, 0x01])
            case 0x01: append(contentsOf: [0x01, 0x02])
            default: append(byte)
            }
        }
        append(0x00)
    }
}

extension UInt8 {
    var isASCIILetter: Bool { (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) }
    var isASCIIDigit: Bool { (0x30...0x39).contains(self) }
}
