import Testing

@testable import Exposition

@Suite struct NumberFormattingTests {
    static func formatted(_ value: Double, _ style: NumberStyle) -> String {
        var bytes: [UInt8] = []
        bytes.appendNumber(value, style)
        return String(decoding: bytes, as: UTF8.self)
    }

    static let values: [(Double, String)] = [
        (0, "0"), (-0.0, "0"), (1, "1"), (-1, "-1"), (42, "42"),
        (150_754_820_096, "150754820096"),
        (9_007_199_254_740_991, "9007199254740991"),
        (9_007_199_254_740_992, "9.007199254740992e+15"),
        (1e21, "1e+21"),
        (0.1, "0.1"), (0.067, "0.067"), (0.30000000000000004, "0.30000000000000004"),
        (123_456.789, "123456.789"), (1_234_567.5, "1.2345675e+06"), (-1_234_567.5, "-1.2345675e+06"),
        (0.0001, "0.0001"), (0.00001, "1e-05"), (-2.5e-7, "-2.5e-07"),
        (1_700_000_000.123, "1.700000000123e+09"),
        (1.7976931348623157e308, "1.7976931348623157e+308"), (.leastNonzeroMagnitude, "5e-324"),
        (.nan, "NaN"), (.infinity, "+Inf"), (-.infinity, "-Inf"),
    ]

    @Test(arguments: values)
    func sampleValue(value: Double, expected: String) {
        #expect(Self.formatted(value, .value) == expected)
    }

    static let timestamps: [(Double, String)] = [
        (1_700_000_000, "1700000000"), (1_700_000_000.123, "1700000000.123"), (1_700_000_000.5, "1700000000.5"),
        (0.5, "0.5"), (1e-7, "0.0000001"), (1e20, "100000000000000000000"), (-1.25, "-1.25"),
    ]

    @Test(arguments: timestamps)
    func timestamp(value: Double, expected: String) {
        #expect(Self.formatted(value, .timestamp) == expected)
    }

    /// What client_golang writes for `le` in text 0.0.4.
    static let goLabels: [(Double, String)] = [
        (0, "0"), (1, "1"), (10, "10"), (2.5, "2.5"), (0.005, "0.005"), (0.0001, "0.0001"), (0.00001, "1e-05"),
        (1024, "1024"), (100_000, "100000"), (999_999, "999999"), (1e6, "1e+06"), (1.5e9, "1.5e+09"), (-0.5, "-0.5"),
    ]

    @Test(arguments: goLabels)
    func goLabel(value: Double, expected: String) {
        #expect(Self.formatted(value, .goLabel) == expected)
    }

    /// The OpenMetrics 1.0 spec's own examples of canonical numbers.
    static let canonicalLabels: [(Double, String)] =
        zip(
            [0.0, 0.001, 0.002, 0.01, 0.1, 0.9, 0.95, 0.99, 0.999, 1.0, 1.7, 10.0],
            ["0.0", "0.001", "0.002", "0.01", "0.1", "0.9", "0.95", "0.99", "0.999", "1.0", "1.7", "10.0"]
        ).map { ($0, $1) }
        + zip(
            [1e-10, 1e-09, 1e-05, 0.0001, 0.1, 1.0, 100_000.0, 1e+06, 1e+10],
            ["1e-10", "1e-09", "1e-05", "0.0001", "0.1", "1.0", "100000.0", "1e+06", "1e+10"]
        ).map { ($0, $1) }
        + [(1024, "1024.0"), (-1, "-1.0"), (.infinity, "+Inf")]

    @Test(arguments: canonicalLabels)
    func canonicalLabel(value: Double, expected: String) {
        #expect(Self.formatted(value, .canonicalLabel) == expected)
    }
}
