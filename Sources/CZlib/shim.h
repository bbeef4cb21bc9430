// zlib for Swift (gzip Content-Encoding). Only includes and wrappers for what Swift cannot call.
#ifndef BITPROBE_CZLIB_SHIM_H
#define BITPROBE_CZLIB_SHIM_H
#include <zlib.h>

// deflateInit2 is a macro: it passes this header's ZLIB_VERSION and sizeof(z_stream) so the
// library can refuse a mismatched ABI. windowBits 15 + 16 asks for a gzip header and trailer.
static inline int bitprobe_deflate_init_gzip(z_streamp stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
#endif
