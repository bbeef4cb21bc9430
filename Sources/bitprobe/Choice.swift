import ArgumentParser

/// One of a library enum's cases as a command-line choice (`--backend cuda`, `--simd avx2`,
/// `--view tree`): swift-argument-parser checks the value while parsing, lists the choices in
/// `--help` and in its error, and exits 64. A wrapper rather than a conformance of the library's
/// types, which would be retroactive (neither the types nor the protocol are this module's).
struct Choice<Value: RawRepresentable & CaseIterable>: ExpressibleByArgument where Value.RawValue == String {
    var value: Value

    init(_ value: Value) { self.value = value }

    init?(argument: String) {
        guard let value = Value(rawValue: argument) else { return nil }
        self.value = value
    }

    static var allValueStrings: [String] { Value.allCases.map(\.rawValue) }

    var defaultValueDescription: String { value.rawValue }
}
