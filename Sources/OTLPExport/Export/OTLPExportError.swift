/// Why the exporter could not start: libcurl refused its setup, or no thread could be created.
public struct OTLPExportError: Error, Equatable, CustomStringConvertible {
    public let description: String
}
