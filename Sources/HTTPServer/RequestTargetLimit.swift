import CMicroHTTPD
import Glibc

/// Refuses request targets that libmicrohttpd 0.9.75 could not answer. It stores every query
/// argument in the connection's 32-KiB memory pool (about 56 bytes each, for as little as 2 bytes
/// of URL); about 480 arguments exhaust the pool, and its error response then finds no memory
/// either, so the connection was closed without an answer. A larger pool would only move the
/// threshold.
///
/// libmicrohttpd calls the URI log callback (MHD_OPTION_URI_LOG_CALLBACK) with the raw target
/// after it has found the `?` and before it parses the arguments. Over either limit, the callback
/// ends the argument string right after the `?` (the target lies in the connection's writable
/// read buffer, which libmicrohttpd itself cuts up the same way), so nothing is parsed, and marks
/// the request; the dispatcher answers it with 414. Whatever the callback returns becomes the
/// request's context pointer, which the dispatcher reads on its first call.
enum RequestTargetLimit {
    /// Query arguments accepted; the agent's routes read at most two.
    static let maxArguments = 128
    /// Bytes of request target accepted, Apache's `LimitRequestLine` order of size. With 128
    /// arguments and 8 KiB of target, a request with a few KiB of headers still fits in the pool.
    static let maxTargetBytes = 8192

    /// Request context marks: addresses that are compared, never read, written or freed (hence
    /// `nonisolated(unsafe)`).
    nonisolated(unsafe) static let accepted = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
    nonisolated(unsafe) static let tooManyArguments = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
    nonisolated(unsafe) static let tooLong = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)

    static var option: MHD_OptionItem {
        MHD_OptionItem(option: .URI_LOG_CALLBACK, value: unsafeBitCast(callback, to: Int.self), ptr_value: nil)
    }

    /// The mark for `target`, cutting its query off when it is refused.
    static func check(_ target: UnsafeMutablePointer<CChar>) -> UnsafeMutableRawPointer {
        let length = strlen(target)
        let query = strchr(target, Int32(UInt8(ascii: "?")))
        var arguments = 0
        if let query {
            // Pairs are separated by `&`; counting separators bounds what would be parsed.
            arguments = 1
            var next = query + 1
            while next.pointee != 0 {
                if next.pointee == CChar(UInt8(ascii: "&")) { arguments += 1 }
                next += 1
            }
        }
        let mark = length > maxTargetBytes ? tooLong : arguments > maxArguments ? tooManyArguments : accepted
        if mark != accepted, let query { query[1] = 0 }
        return mark
    }

    /// `void *(*)(void *cls, const char *uri, struct MHD_Connection *con)`.
    private static let callback: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, OpaquePointer?) -> UnsafeMutableRawPointer? = {
        _, target, _ in
        guard let target else { return accepted }
        return check(UnsafeMutablePointer(mutating: target))
    }
}
