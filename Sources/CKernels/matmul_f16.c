#include "kernels_internal.h"

#include <string.h>

// f16 GEMM: the f32 driver and microkernels, with conversion to f32 while packing and one
// rounding to f16 per output after the whole K sum.

static void pack_a_f16(const void *src, int64_t lda, int64_t rows, int64_t kc, int mr,
                       float *dst, bp_isa isa) {
    (void)isa;
    const uint16_t *a = src;
    for (int64_t i = 0; i < rows; i += mr, dst += (int64_t)mr * kc) {
        const int64_t live = rows - i < mr ? rows - i : mr;
        for (int64_t k = 0; k < kc; k++) {
            for (int64_t r = 0; r < live; r++) dst[k * mr + r] = bp_f16_to_f32(a[(i + r) * lda + k]);
            for (int64_t r = live; r < mr; r++) dst[k * mr + r] = 0;
        }
    }
}

static void pack_b_f16(const void *src, int64_t ldb, int64_t cols, int64_t kc, int nr,
                       float *dst, bp_isa isa) {
    const uint16_t *b = src;
    for (int64_t j = 0; j < cols; j += nr, dst += (int64_t)nr * kc) {
        const int64_t live = cols - j < nr ? cols - j : nr;
        for (int64_t k = 0; k < kc; k++) {
            bp_f16_to_f32_row(isa, b + k * ldb + j, dst + k * nr, live);
            if (live < nr) memset(dst + k * nr + live, 0, (size_t)(nr - live) * sizeof(float));
        }
    }
}

static void store_c_f16(const float *src, void *dst, int64_t n, bp_isa isa) {
    bp_f32_to_f16_row(isa, src, dst, n);
}

int bp_matmul_f16(const bp_ctx *ctx, const uint16_t *a, const uint16_t *b, uint16_t *c,
                  int64_t m, int64_t n, int64_t k) {
    static const bp_gemm_packers f16 = {pack_a_f16, pack_b_f16, store_c_f16};
    return bp_gemm(ctx, &f16, sizeof(uint16_t), a, b, c, m, n, k);
}
