/// The sizes of a probe, written `1024x1024x1024` (matmul M x N x K), `4096x4096`
/// (rows x cols), or `16777216` (elements or bytes). The text form is the `shape` label.
public struct ProbeShape: Hashable, Codable, Sendable, CustomStringConvertible {
    public let dimensions: [Int]

    public init(_ dimensions: [Int]) {
        precondition(!dimensions.isEmpty && dimensions.allSatisfy { $0 > 0 }, "shape dimensions must be positive")
        self.dimensions = dimensions
    }

    /// Parses the text form; the error names the input.
    public init(parsing text: String) throws(ProbeInputError) {
        let parts = text.split(separator: "x", omittingEmptySubsequences: false)
        var dimensions: [Int] = []
        for part in parts {
            let digits = part.hasPrefix("-") ? part.dropFirst() : part
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw .malformedShape(text)
            }
            guard let value = Int(part) else { throw .shapeTooLarge(text) }
            guard value > 0 else { throw .nonPositiveShape(text) }
            dimensions.append(value)
        }
        self.dimensions = dimensions
    }

    public var description: String { dimensions.map(String.init).joined(separator: "x") }

    public var rank: Int { dimensions.count }
    public subscript(index: Int) -> Int { dimensions[index] }

    /// Product of all dimensions; nil when it overflows.
    var elementCount: Int? {
        var product = 1
        for dimension in dimensions {
            let (result, overflow) = product.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            product = result
        }
        return product
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { self = try ProbeShape(parsing: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
