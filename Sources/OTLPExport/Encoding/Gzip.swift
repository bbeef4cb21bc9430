#if canImport(Glibc)
import Glibc
#endif
import COTLP

enum Gzip {
    /// One gzip member holding `bytes`, or nil when zlib fails (it only does without memory).
    static func compress(_ bytes: [UInt8]) -> [UInt8]? {
        var output: UnsafeMutablePointer<UInt8>?
        var length = 0
        let status = bytes.withUnsafeBufferPointer { cotlp_gzip($0.baseAddress, $0.count, &output, &length) }
        guard status == 0, let output else { return nil }
        defer { free(output) }
        return Array(UnsafeBufferPointer(start: output, count: length))
    }
}
