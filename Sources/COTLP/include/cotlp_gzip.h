// gzip for OTLP request bodies (OTEL_EXPORTER_OTLP_COMPRESSION=gzip). libcurl decompresses
// responses but never compresses what it sends, so the exporter compresses the body itself.
#ifndef BITPROBE_COTLP_GZIP_H
#define BITPROBE_COTLP_GZIP_H
#include <stddef.h>
#include <stdint.h>

// Compresses `length` bytes at `input` into one gzip member. On success returns 0 and sets
// *output to a malloc'd buffer of *output_length bytes that the caller frees; otherwise returns
// zlib's (negative) error code and leaves *output NULL.
int cotlp_gzip(const uint8_t *input, size_t length, uint8_t **output, size_t *output_length);
#endif
