import FoundationEssentials

/// The one JSON convention of bitprobe's files and APIs: snake_case keys, sorted keys, and the
/// non-finite numbers a verified run never has written as "+Inf", "-Inf", "NaN" strings.
public enum ProjectJSON {
    /// `pretty` for files people read (reports, baselines); compact for HTTP responses.
    public static func encoder(pretty: Bool = true) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
        return decoder
    }

    /// A whole file: pretty JSON and a final newline.
    public static func file(_ value: some Encodable) throws -> [UInt8] {
        Array(try encoder().encode(value)) + [UInt8(ascii: "\n")]
    }
}
