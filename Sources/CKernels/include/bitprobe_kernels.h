// bitprobe CPU kernels: the compute behind the CPU backend's probes.
//
// One binary runs on any x86-64 (and aarch64) machine: every kernel has a portable C path and
// per-ISA paths compiled with function-level target attributes; the caller picks the ISA at run
// time (bp_isa_detect gives the widest the CPU and OS support) and can force a narrower one, so
// tests exercise every path the machine has.
//
// Conventions
// - Matrices are dense row-major. Sizes are int64_t and must be >= 1.
// - f16 values are IEEE binary16 bit patterns in uint16_t; conversions round half to even.
// - Every float -> integer rounding in this file is round-half-to-even (62.5 -> 62, 0.5 -> 0,
//   1.5 -> 2), the IEEE default and what numpy.round does.
// - Kernels return BP_OK, or BP_CANCELLED when the pool was cancelled part-way (the output is
//   then incomplete and must not be used), or BP_EINVAL / BP_ENOMEM.
//
// Ternary (1.58-bit) weight layout, "bp-i2-g128"
// - A weight matrix W[N][K] (N output features, K input features) is packed row by row; each row
//   takes bp_ternary_row_bytes(K) = ceil(K / 128) * 32 bytes.
// - A weight w in {-1, 0, +1} is stored as the 2-bit code c = w + 1 (0b00 = -1, 0b01 = 0,
//   0b10 = +1; 0b11 is never written and decodes as 0).
// - Weights are grouped by 128 along K. In group g, byte j (0..31) holds, in bits 2i..2i+1
//   (i = 0..3), the weight at k = 128 g + 32 i + j. So one 32-byte load and a shift by 2i give
//   the codes of 32 consecutive weights, which lines them up with 32 consecutive int8
//   activations. Padding past K (in the last group) is code 0b01 (weight 0).
#ifndef BITPROBE_KERNELS_H
#define BITPROBE_KERNELS_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    BP_OK = 0,
    BP_CANCELLED = 1,
    BP_EINVAL = 2,
    BP_ENOMEM = 3,
};

typedef enum {
    BP_ISA_PORTABLE = 0,
    BP_ISA_AVX2 = 1,    // AVX2 + FMA + F16C
    BP_ISA_AVX512 = 2,  // AVX-512 F/BW/DQ/VL (+ VNNI used when present)
    BP_ISA_NEON = 3,    // aarch64 Advanced SIMD
} bp_isa;

/// Widest ISA both the CPU and the OS (XSAVE state) support.
bp_isa bp_isa_detect(void);
/// 1 when `isa` can run on this machine (BP_ISA_PORTABLE always can).
int bp_isa_supported(bp_isa isa);
/// "portable", "avx2", "avx512", "neon".
const char *bp_isa_name(bp_isa isa);

// ---------------------------------------------------------------------------------------------
// Thread pool. The calling thread takes part in the work, so a pool of 1 thread starts no
// threads. Work is split into tasks; a cancelled pool skips the tasks not yet started, so a
// kernel stops within one task's time of bp_pool_cancel (which is safe from any thread).

typedef struct bp_pool bp_pool;

/// NULL when threads < 1 or a thread could not be started.
bp_pool *bp_pool_create(int threads);
void bp_pool_destroy(bp_pool *pool);
int bp_pool_threads(const bp_pool *pool);
void bp_pool_cancel(bp_pool *pool);
void bp_pool_reset_cancel(bp_pool *pool);
int bp_pool_is_cancelled(const bp_pool *pool);
/// Kernels keep their working memory (GEMM packing buffers) in the pool between calls, so a timed
/// call does not pay for allocating and faulting it in; this gives it back to the system.
void bp_pool_release_scratch(bp_pool *pool);

/// What every kernel runs with. Kernels do not allocate beyond per-call scratch (packing
/// buffers), and return BP_EINVAL when `isa` is not supported here.
typedef struct {
    bp_pool *pool;
    bp_isa isa;
} bp_ctx;

// ---------------------------------------------------------------------------------------------
// Aligned memory (64-byte), for probe buffers.

void *bp_aligned_alloc(size_t bytes);
void bp_aligned_free(void *p);

// ---------------------------------------------------------------------------------------------
// Scalar helpers (portable, exact).

uint16_t bp_f32_to_f16(float x);   // round half to even, overflow -> inf, NaN kept
float bp_f16_to_f32(uint16_t h);

int64_t bp_ternary_row_bytes(int64_t k);
/// Packs k weights (each -1, 0 or +1) into bp_ternary_row_bytes(k) bytes.
void bp_ternary_pack_row(const int8_t *w, int64_t k, uint8_t *packed);
/// Inverse of bp_ternary_pack_row.
void bp_ternary_unpack_row(const uint8_t *packed, int64_t k, int8_t *w);

// ---------------------------------------------------------------------------------------------
// Kernels.

/// C[M][N] = A[M][K] . B[K][N], f32.
int bp_matmul_f32(const bp_ctx *ctx, const float *a, const float *b, float *c,
                  int64_t m, int64_t n, int64_t k);

/// C[M][N] = A[M][K] . B[K][N] with f16 storage and f32 accumulation; C rounded to f16.
int bp_matmul_f16(const bp_ctx *ctx, const uint16_t *a, const uint16_t *b, uint16_t *c,
                  int64_t m, int64_t n, int64_t k);

/// Absmean ternary quantization of W[rows][cols] (one tensor-wide scale):
///   gamma = max(mean(|W|), 1e-5); Wq = clamp(round(W / gamma), -1, 1)
/// packed in the bp-i2-g128 layout (rows = N, cols = K). *gamma receives the scale.
int bp_quantize_weights_f32(const bp_ctx *ctx, const float *w, int64_t rows, int64_t cols,
                            uint8_t *packed, float *gamma);
int bp_quantize_weights_f16(const bp_ctx *ctx, const uint16_t *w, int64_t rows, int64_t cols,
                            uint8_t *packed, float *gamma);

/// Per-row absmax int8 quantization of X[rows][cols]:
///   s = 127 / max(|x|) (s = 1 for an all-zero row); q = clamp(round(x * s), -128, 127)
/// scales[r] receives s of row r.
int bp_quantize_activations_f32(const bp_ctx *ctx, const float *x, int64_t rows, int64_t cols,
                                int8_t *q, float *scales);
int bp_quantize_activations_f16(const bp_ctx *ctx, const uint16_t *x, int64_t rows, int64_t cols,
                                int8_t *q, float *scales);

/// BitLinear W1.58A8: Y[M][N] = (sum_k Xq[m][k] * Wq[n][k]) * gamma / x_scales[m].
/// Xq is int8 [M][K]; Wq is packed [N] rows of bp_ternary_row_bytes(K). The int32 sum is exact
/// for any K up to 2^23 (and so for any |Xq| <= 128 including -128).
/// If acc is not NULL it receives the exact int32 sums [M][N] before rescaling.
int bp_ternary_matmul(const bp_ctx *ctx, const int8_t *xq, const float *x_scales,
                      const uint8_t *wq, float gamma, float *y, int32_t *acc,
                      int64_t m, int64_t n, int64_t k);

/// Elementwise over n elements.
int bp_add_f32(const bp_ctx *ctx, const float *a, const float *b, float *c, int64_t n);
int bp_mul_f32(const bp_ctx *ctx, const float *a, const float *b, float *c, int64_t n);
int bp_add_f16(const bp_ctx *ctx, const uint16_t *a, const uint16_t *b, uint16_t *c, int64_t n);
int bp_mul_f16(const bp_ctx *ctx, const uint16_t *a, const uint16_t *b, uint16_t *c, int64_t n);

/// dst = src over `bytes` bytes (non-overlapping).
int bp_copy(const bp_ctx *ctx, const void *src, void *dst, int64_t bytes);

/// c[i] = a[i * stride] + b[i * stride] for i < n: `add` over inputs laid out `stride` elements
/// apart (a and b hold at least (n - 1) * stride + 1 elements). Stride 1 is the contiguous case.
int bp_strided_add_f32(const bp_ctx *ctx, const float *a, const float *b, float *c, int64_t n,
                       int64_t stride);

#ifdef __cplusplus
}
#endif

#endif
