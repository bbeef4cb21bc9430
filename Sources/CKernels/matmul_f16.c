#include "kernels_internal.h"

// The f32 GEMM converts f16 operands while packing (or streaming) them and rounds each output
// to f16 once, after the whole K sum.
int bp_matmul_f16(const bp_ctx *ctx, const uint16_t *a, const uint16_t *b, uint16_t *c,
                  int64_t m, int64_t n, int64_t k) {
    return bp_gemm(ctx, 1, a, b, c, m, n, k);
}
