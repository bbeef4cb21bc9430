#if canImport(Glibc)
import Glibc
#endif

/// Memory for one request's protobuf-c message tree. protobuf-c wants C structs linked by
/// pointers and NUL-terminated strings; carving them from a few large blocks, all freed together
/// when the request is packed, costs a pointer bump per object instead of a malloc and free.
final class EncodingArena {
    private static let blockSize = 64 * 1024
    private var blocks: [UnsafeMutableRawPointer] = []
    private var cursor: UnsafeMutableRawPointer?
    private var remaining = 0

    deinit {
        for block in blocks { free(block) }
    }

    /// Uninitialised memory for `count` values of `T`.
    func allocate<T>(_: T.Type, count: Int = 1) -> UnsafeMutablePointer<T> {
        raw(byteCount: MemoryLayout<T>.stride * count, alignment: MemoryLayout<T>.alignment)
            .bindMemory(to: T.self, capacity: count)
    }

    /// A NUL-terminated copy. protobuf-c ends a string at its first NUL, so a string containing
    /// one is cut there; bitprobe's names and attribute values never contain one.
    func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
        var string = string
        return string.withUTF8 { utf8 in
            let copy = raw(byteCount: utf8.count + 1, alignment: 1).bindMemory(to: CChar.self, capacity: utf8.count + 1)
            if let source = utf8.baseAddress { memcpy(copy, source, utf8.count) }
            copy[utf8.count] = 0
            return copy
        }
    }

    private func raw(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
        if let cursor {
            let aligned = cursor.alignedUp(toMultipleOf: alignment)
            let needed = aligned - cursor + byteCount
            if needed <= remaining {
                self.cursor = aligned + byteCount
                remaining -= needed
                return aligned
            }
        }
        // malloc's alignment suits every C type, so a fresh block needs no padding.
        if byteCount > Self.blockSize / 4 {
            let block = malloc(max(byteCount, 1))!
            blocks.append(block)
            return block
        }
        let block = malloc(Self.blockSize)!
        blocks.append(block)
        cursor = block + byteCount
        remaining = Self.blockSize - byteCount
        return block
    }
}
