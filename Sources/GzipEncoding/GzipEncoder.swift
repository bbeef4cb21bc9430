import CZlib

#if canImport(Glibc)
import Glibc
#endif

/// One gzip member of a whole body, through zlib: the only Swift module over zlib, used by the
/// HTTP server (Content-Encoding) and the OTLP exporter (request bodies; libcurl decompresses
/// responses but never compresses what it sends).
public enum GzipEncoder {
    /// zlib's fastest level: both users compress on a node that runs the work it measures, and
    /// each measured its own trade of CPU for size (HTTPServer's and OTLPExport's `Gzip`).
    public static let fastestLevel: Int32 = Z_BEST_SPEED

    /// The gzip encoding of `body` in a `malloc`ed buffer the caller frees (libmicrohttpd frees it
    /// after sending, which saves one more copy of the compressed bytes). nil only if zlib fails,
    /// which it does without memory, or when the body is over zlib's 32-bit input count.
    public static func encodeMalloced(_ body: [UInt8], level: Int32) -> UnsafeMutableRawBufferPointer? {
        guard body.count <= Int(UInt32.max) else { return nil }
        var stream = z_stream()
        guard bitprobe_deflate_init_gzip(&stream, level) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        // deflateBound knows the gzip wrapper once the stream is set up, so one deflate call finishes.
        let capacity = Int(deflateBound(&stream, uLong(body.count)))
        guard let output = malloc(capacity) else { return nil }
        let status = body.withUnsafeBytes { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
            stream.avail_in = uInt(input.count)
            stream.next_out = output.bindMemory(to: Bytef.self, capacity: capacity)
            stream.avail_out = uInt(capacity)
            return deflate(&stream, Z_FINISH)
        }
        guard status == Z_STREAM_END else {
            free(output)
            return nil
        }
        let length = Int(stream.total_out)
        // Shrinking in place returns the unused tail of the worst-case buffer while the response waits.
        return UnsafeMutableRawBufferPointer(start: realloc(output, length) ?? output, count: length)
    }

    /// The gzip encoding of `body` as an array; nil as for `encodeMalloced`.
    public static func encode(_ body: [UInt8], level: Int32) -> [UInt8]? {
        guard let buffer = encodeMalloced(body, level: level) else { return nil }
        defer { free(buffer.baseAddress) }
        return Array(buffer.bindMemory(to: UInt8.self))
    }
}
