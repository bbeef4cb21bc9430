#include "kernels_internal.h"

#include <string.h>

int64_t bp_ternary_row_bytes(int64_t k) {
    if (k < 1) return 0;
    return (k + BP_TERNARY_GROUP - 1) / BP_TERNARY_GROUP * BP_TERNARY_GROUP_BYTES;
}

void bp_ternary_pack_row(const int8_t *w, int64_t k, uint8_t *packed) {
    const int64_t bytes = bp_ternary_row_bytes(k);
    memset(packed, 0x55, (size_t)bytes);  // every code 0b01: weight 0, the padding value
    for (int64_t i = 0; i < k; i++) {
        const int64_t byte = i / BP_TERNARY_GROUP * BP_TERNARY_GROUP_BYTES + i % 32;
        const int shift = (int)(i % BP_TERNARY_GROUP / 32) * 2;
        const int code = w[i] > 0 ? 2 : (w[i] < 0 ? 0 : 1);
        packed[byte] = (uint8_t)((packed[byte] & ~(3 << shift)) | (code << shift));
    }
}

void bp_ternary_unpack_row(const uint8_t *packed, int64_t k, int8_t *w) {
    static const int8_t decode[4] = {-1, 0, 1, 0};
    for (int64_t i = 0; i < k; i++) {
        const int64_t byte = i / BP_TERNARY_GROUP * BP_TERNARY_GROUP_BYTES + i % 32;
        const int shift = (int)(i % BP_TERNARY_GROUP / 32) * 2;
        w[i] = decode[(packed[byte] >> shift) & 3];
    }
}
