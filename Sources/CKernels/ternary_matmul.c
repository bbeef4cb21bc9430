#include "kernels_internal.h"

#include <stdlib.h>
#include <string.h>

// sum_k w x with w = c - 1 for the stored code c in {0, 1, 2} is sum_k c x - sum_k x, so the
// SIMD paths multiply unsigned codes by signed activations (maddubs / vpdpbusd) and subtract the
// row sum of x at the end. Code 0b11 (never written, decodes as 0) is mapped to 1 by a byte
// shuffle before the multiply. Sums wrap in 32-bit lanes, which is harmless: the final value
// fits in int32 (|w x| <= 128 per k, K <= 2^23) so the wrapped arithmetic is exact.
// Activations are zero-padded to whole groups so padding codes (0b01) contribute nothing.

#define MB_MAX 4  // activation rows per block
#define NB_GEMV 8  // weight rows per block when there is one activation row
#define NB_GEMM 4  // weight rows per block otherwise
#define MIN_TASK_MACS (1 << 19)

typedef struct {
    const int8_t *x;  // [m][kp], zero-padded past k
    const int32_t *xsum;
    const float *x_scales;
    const uint8_t *w;
    float gamma;
    float *y;
    int32_t *acc;
    int64_t m, n, kp, row_bytes;
    int64_t m_tile, n_tile, n_tiles;
    bp_isa isa;
    int vnni;
    uint8_t *decoded;  // portable path: per-worker NB_GEMM * kp codes
} tm_job;

// sums[i][j] are sum_k c x for activation row m + i and weight row n + j.
static void finish_block(const tm_job *j, int64_t m, int64_t n, int mb, int nb,
                         const int32_t sums[MB_MAX][NB_GEMV]) {
    for (int i = 0; i < mb; i++) {
        for (int jj = 0; jj < nb; jj++) {
            const int32_t a = (int32_t)((uint32_t)sums[i][jj] - (uint32_t)j->xsum[m + i]);
            const int64_t o = (m + i) * j->n + n + jj;
            if (j->acc) j->acc[o] = a;
            j->y[o] = (float)a * j->gamma / j->x_scales[m + i];
        }
    }
}

// ---- Portable --------------------------------------------------------------------------------

// Codes c = w + 1 with 0b11 (weight 0) turned into 1; arithmetic rather than a table lookup so
// the compiler vectorises it.
static void decode_row(const uint8_t *p, int64_t kp, uint8_t *w) {
    for (int64_t g = 0; g < kp / BP_TERNARY_GROUP; g++, p += BP_TERNARY_GROUP_BYTES)
        for (int i = 0; i < 4; i++, w += 32)
            for (int b = 0; b < 32; b++) {
                const uint8_t c = (uint8_t)((p[b] >> (2 * i)) & 3);
                w[b] = (uint8_t)(c - (((c >> 1) & c) << 1));
            }
}

static void tile_portable(const tm_job *j, int64_t m0, int64_t m1, int64_t n0, int64_t n1,
                          int worker) {
    uint8_t *dec = j->decoded + (int64_t)worker * NB_GEMM * j->kp;
    for (int64_t n = n0; n < n1; n += NB_GEMM) {
        const int nb = n1 - n < NB_GEMM ? (int)(n1 - n) : NB_GEMM;
        for (int jj = 0; jj < nb; jj++)
            decode_row(j->w + (n + jj) * j->row_bytes, j->kp, dec + jj * j->kp);
        for (int64_t m = m0; m < m1; m += MB_MAX) {
            const int mb = m1 - m < MB_MAX ? (int)(m1 - m) : MB_MAX;
            int32_t sums[MB_MAX][NB_GEMV];
            for (int i = 0; i < mb; i++) {
                const int8_t *x = j->x + (m + i) * j->kp;
                for (int jj = 0; jj < nb; jj++) {
                    const uint8_t *c = dec + jj * j->kp;
                    uint32_t s = 0;
                    // A group's sum is within [-32768, 32512], so it fits the 16-bit lanes the
                    // vectoriser can then use.
                    for (int64_t g = 0; g < j->kp; g += BP_TERNARY_GROUP) {
                        int16_t t = 0;
                        for (int q = 0; q < BP_TERNARY_GROUP; q++)
                            t = (int16_t)(t + c[g + q] * x[g + q]);
                        s += (uint32_t)t;
                    }
                    sums[i][jj] = (int32_t)s;
                }
            }
            finish_block(j, m, n, mb, nb, sums);
        }
    }
}

#if defined(__x86_64__)
// ---- AVX2: maddubs on 32 codes at a time -----------------------------------------------------

BP_TARGET_AVX2 BP_INLINE void block_avx2(const int MB, const int NB, const tm_job *j,
                                         int64_t m, int64_t n, int32_t sums[MB_MAX][NB_GEMV]) {
    const __m256i three = _mm256_set1_epi8(3), ones = _mm256_set1_epi16(1);
    const __m256i lut = _mm256_setr_epi8(0, 1, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                         0, 1, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    __m256i acc[MB_MAX][NB_GEMV];
    for (int i = 0; i < MB; i++)
        for (int jj = 0; jj < NB; jj++) acc[i][jj] = _mm256_setzero_si256();
    const int64_t groups = j->kp / BP_TERNARY_GROUP;
    for (int64_t g = 0; g < groups; g++) {
        for (int jj = 0; jj < NB; jj++) {
            const __m256i wv = _mm256_loadu_si256(
                (const __m256i *)(j->w + (n + jj) * j->row_bytes + g * BP_TERNARY_GROUP_BYTES));
            __m256i c[4];
            c[0] = _mm256_shuffle_epi8(lut, _mm256_and_si256(wv, three));
            c[1] = _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(wv, 2), three));
            c[2] = _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(wv, 4), three));
            c[3] = _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(wv, 6), three));
            for (int i = 0; i < MB; i++) {
                const int8_t *x = j->x + (m + i) * j->kp + g * BP_TERNARY_GROUP;
                // Each maddubs lane is at most 2 * 2 * 128 = 512, so four fit in int16.
                __m256i s = _mm256_maddubs_epi16(c[0], _mm256_loadu_si256((const __m256i *)x));
                s = _mm256_add_epi16(s, _mm256_maddubs_epi16(c[1], _mm256_loadu_si256((const __m256i *)(x + 32))));
                s = _mm256_add_epi16(s, _mm256_maddubs_epi16(c[2], _mm256_loadu_si256((const __m256i *)(x + 64))));
                s = _mm256_add_epi16(s, _mm256_maddubs_epi16(c[3], _mm256_loadu_si256((const __m256i *)(x + 96))));
                acc[i][jj] = _mm256_add_epi32(acc[i][jj], _mm256_madd_epi16(s, ones));
            }
        }
    }
    for (int i = 0; i < MB; i++) {
        for (int jj = 0; jj < NB; jj++) {
            __m128i v = _mm_add_epi32(_mm256_castsi256_si128(acc[i][jj]),
                                      _mm256_extracti128_si256(acc[i][jj], 1));
            v = _mm_add_epi32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(1, 0, 3, 2)));
            v = _mm_add_epi32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(2, 3, 0, 1)));
            sums[i][jj] = _mm_cvtsi128_si32(v);
        }
    }
}

// ---- AVX-512: 64 codes at a time; one 32-byte group load broadcast to both halves and shifted
// by {0, 2} and {4, 6} gives the codes of k = 0..63 and 64..127 of the group, in k order.

BP_TARGET_AVX512VNNI BP_INLINE __m512i step_vnni(__m512i acc, __m512i c0, __m512i x0,
                                                 __m512i c1, __m512i x1) {
    return _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(acc, c0, x0), c1, x1);
}

BP_TARGET_AVX512 BP_INLINE __m512i step_maddubs(__m512i acc, __m512i c0, __m512i x0,
                                                __m512i c1, __m512i x1) {
    const __m512i s = _mm512_add_epi16(_mm512_maddubs_epi16(c0, x0), _mm512_maddubs_epi16(c1, x1));
    return _mm512_add_epi32(acc, _mm512_madd_epi16(s, _mm512_set1_epi16(1)));
}

// Defined twice because the VNNI step can only be inlined into a function with the VNNI target.
#define DEFINE_BLOCK_AVX512(NAME, TARGET, STEP)                                                  \
    TARGET BP_INLINE void NAME(const int MB, const int NB, const tm_job *j, int64_t m,           \
                               int64_t n, int32_t sums[MB_MAX][NB_GEMV]) {                       \
        const __m512i three = _mm512_set1_epi8(3);                                               \
        const __m512i lut = _mm512_broadcast_i32x4(                                              \
            _mm_setr_epi8(0, 1, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));                      \
        const __m512i sh01 =                                                                     \
            _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);                 \
        const __m512i sh23 = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(6), 1); \
        __m512i acc[MB_MAX][NB_GEMV];                                                            \
        for (int i = 0; i < MB; i++)                                                             \
            for (int jj = 0; jj < NB; jj++) acc[i][jj] = _mm512_setzero_si512();                 \
        const int64_t groups = j->kp / BP_TERNARY_GROUP;                                         \
        for (int64_t g = 0; g < groups; g++) {                                                   \
            for (int jj = 0; jj < NB; jj++) {                                                    \
                const __m512i wv = _mm512_broadcast_i64x4(_mm256_loadu_si256(                   \
                    (const __m256i *)(j->w + (n + jj) * j->row_bytes +                           \
                                      g * BP_TERNARY_GROUP_BYTES)));                             \
                const __m512i c0 = _mm512_shuffle_epi8(                                          \
                    lut, _mm512_and_si512(_mm512_srlv_epi16(wv, sh01), three));                  \
                const __m512i c1 = _mm512_shuffle_epi8(                                          \
                    lut, _mm512_and_si512(_mm512_srlv_epi16(wv, sh23), three));                  \
                for (int i = 0; i < MB; i++) {                                                   \
                    const int8_t *x = j->x + (m + i) * j->kp + g * BP_TERNARY_GROUP;             \
                    acc[i][jj] = STEP(acc[i][jj], c0, _mm512_loadu_si512(x), c1,                 \
                                      _mm512_loadu_si512(x + 64));                               \
                }                                                                                \
            }                                                                                    \
        }                                                                                        \
        for (int i = 0; i < MB; i++)                                                             \
            for (int jj = 0; jj < NB; jj++) sums[i][jj] = _mm512_reduce_add_epi32(acc[i][jj]);   \
    }

DEFINE_BLOCK_AVX512(block_512, BP_TARGET_AVX512, step_maddubs)
DEFINE_BLOCK_AVX512(block_vnni, BP_TARGET_AVX512VNNI, step_vnni)

// Concrete block shapes, so each loop nest above is fully unrolled with its accumulators in
// registers.
#define DEFINE_BLOCKS(MB)                                                                        \
    BP_TARGET_AVX2 static void b_avx2_##MB##x1(const tm_job *j, int64_t m, int64_t n,           \
                                               int32_t s[MB_MAX][NB_GEMV]) {                     \
        block_avx2(MB, 1, j, m, n, s);                                                           \
    }                                                                                            \
    BP_TARGET_AVX2 static void b_avx2_##MB##x2(const tm_job *j, int64_t m, int64_t n,           \
                                               int32_t s[MB_MAX][NB_GEMV]) {                     \
        block_avx2(MB, 2, j, m, n, s);                                                           \
    }                                                                                            \
    BP_TARGET_AVX512 static void b_512_##MB##x1(const tm_job *j, int64_t m, int64_t n,          \
                                                int32_t s[MB_MAX][NB_GEMV]) {                    \
        block_512(MB, 1, j, m, n, s);                                                      \
    }                                                                                            \
    BP_TARGET_AVX512 static void b_512_##MB##x4(const tm_job *j, int64_t m, int64_t n,          \
                                                int32_t s[MB_MAX][NB_GEMV]) {                    \
        block_512(MB, 4, j, m, n, s);                                                      \
    }                                                                                            \
    BP_TARGET_AVX512VNNI static void b_vnni_##MB##x1(const tm_job *j, int64_t m, int64_t n,     \
                                                     int32_t s[MB_MAX][NB_GEMV]) {               \
        block_vnni(MB, 1, j, m, n, s);                                                      \
    }                                                                                            \
    BP_TARGET_AVX512VNNI static void b_vnni_##MB##x4(const tm_job *j, int64_t m, int64_t n,     \
                                                     int32_t s[MB_MAX][NB_GEMV]) {               \
        block_vnni(MB, 4, j, m, n, s);                                                      \
    }
DEFINE_BLOCKS(1)
DEFINE_BLOCKS(2)
DEFINE_BLOCKS(3)
DEFINE_BLOCKS(4)

BP_TARGET_AVX2 static void b_avx2_1x4(const tm_job *j, int64_t m, int64_t n,
                                      int32_t s[MB_MAX][NB_GEMV]) {
    block_avx2(1, 4, j, m, n, s);
}
BP_TARGET_AVX512 static void b_512_1x8(const tm_job *j, int64_t m, int64_t n,
                                       int32_t s[MB_MAX][NB_GEMV]) {
    block_512(1, 8, j, m, n, s);
}
BP_TARGET_AVX512VNNI static void b_vnni_1x8(const tm_job *j, int64_t m, int64_t n,
                                            int32_t s[MB_MAX][NB_GEMV]) {
    block_vnni(1, 8, j, m, n, s);
}

typedef void (*block_fn)(const tm_job *, int64_t, int64_t, int32_t[MB_MAX][NB_GEMV]);

typedef struct {
    block_fn wide[MB_MAX];  // [mb - 1], nb = nb_wide
    block_fn one[MB_MAX];   // [mb - 1], nb = 1
    int nb_wide;
} block_set;

static const block_set SET_AVX2_GEMV = {{b_avx2_1x4}, {b_avx2_1x1}, 4};
static const block_set SET_AVX2 = {{b_avx2_1x2, b_avx2_2x2, b_avx2_3x2, b_avx2_4x2},
                                   {b_avx2_1x1, b_avx2_2x1, b_avx2_3x1, b_avx2_4x1}, 2};
static const block_set SET_512_GEMV = {{b_512_1x8}, {b_512_1x1}, 8};
static const block_set SET_512 = {{b_512_1x4, b_512_2x4, b_512_3x4, b_512_4x4},
                                  {b_512_1x1, b_512_2x1, b_512_3x1, b_512_4x1}, 4};
static const block_set SET_VNNI_GEMV = {{b_vnni_1x8}, {b_vnni_1x1}, 8};
static const block_set SET_VNNI = {{b_vnni_1x4, b_vnni_2x4, b_vnni_3x4, b_vnni_4x4},
                                   {b_vnni_1x1, b_vnni_2x1, b_vnni_3x1, b_vnni_4x1}, 4};

static void tile_simd(const tm_job *j, const block_set *set, int64_t m0, int64_t m1, int64_t n0,
                      int64_t n1) {
    for (int64_t n = n0; n < n1;) {
        const int wide = n1 - n >= set->nb_wide;
        const int nb = wide ? set->nb_wide : 1;
        for (int64_t m = m0; m < m1; m += MB_MAX) {
            const int mb = m1 - m < MB_MAX ? (int)(m1 - m) : MB_MAX;
            int32_t sums[MB_MAX][NB_GEMV];
            (wide ? set->wide : set->one)[mb - 1](j, m, n, sums);
            finish_block(j, m, n, mb, nb, sums);
        }
        n += nb;
    }
}
#endif

static void tm_task(void *arg, int64_t t, int worker) {
    const tm_job *j = arg;
    const int64_t mi = t / j->n_tiles, ni = t % j->n_tiles;
    const int64_t m0 = mi * j->m_tile, n0 = ni * j->n_tile;
    const int64_t m1 = m0 + j->m_tile < j->m ? m0 + j->m_tile : j->m;
    const int64_t n1 = n0 + j->n_tile < j->n ? n0 + j->n_tile : j->n;
    const int gemv = j->m == 1;
    switch (j->isa) {
#if defined(__x86_64__)
    case BP_ISA_AVX512:
        if (j->vnni)
            tile_simd(j, gemv ? &SET_VNNI_GEMV : &SET_VNNI, m0, m1, n0, n1);
        else
            tile_simd(j, gemv ? &SET_512_GEMV : &SET_512, m0, m1, n0, n1);
        return;
    case BP_ISA_AVX2: tile_simd(j, gemv ? &SET_AVX2_GEMV : &SET_AVX2, m0, m1, n0, n1); return;
#endif
    default: tile_portable(j, m0, m1, n0, n1, worker); return;
    }
}

int bp_ternary_matmul_variant(const bp_ctx *ctx, int use_vnni, const int8_t *xq,
                              const float *x_scales, const uint8_t *wq, float gamma, float *y,
                              int32_t *acc, int64_t m, int64_t n, int64_t k) {
    if (!bp_ctx_ok(ctx) || !xq || !x_scales || !wq || !y || m < 1 || n < 1 || k < 1)
        return BP_EINVAL;
    if (use_vnni && (ctx->isa != BP_ISA_AVX512 || !bp_cpu_has_avx512vnni())) return BP_EINVAL;
    tm_job j = {.x_scales = x_scales, .w = wq, .gamma = gamma, .y = y, .acc = acc, .m = m,
                .n = n, .isa = ctx->isa, .vnni = use_vnni};
    j.row_bytes = bp_ternary_row_bytes(k);
    j.kp = j.row_bytes / BP_TERNARY_GROUP_BYTES * BP_TERNARY_GROUP;

    // Scratch: padded activations (only when k is not a whole number of groups), their row
    // sums, and the portable path's decoded weight rows.
    const int padded = j.kp != k;
    const int workers = bp_ctx_workers(ctx);
    const size_t x_bytes = padded ? (size_t)(m * j.kp) : 0;
    const size_t dec_bytes = ctx->isa == BP_ISA_PORTABLE || ctx->isa == BP_ISA_NEON
                                 ? (size_t)workers * NB_GEMM * (size_t)j.kp
                                 : 0;
    char *scratch = malloc((size_t)m * sizeof(int32_t) + x_bytes + dec_bytes);
    if (!scratch) return BP_ENOMEM;
    int32_t *xsum = (int32_t *)scratch;
    int8_t *xpad = (int8_t *)(scratch + (size_t)m * sizeof(int32_t));
    j.decoded = (uint8_t *)xpad + x_bytes;
    for (int64_t r = 0; r < m; r++) {
        const int8_t *src = xq + r * k;
        uint32_t s = 0;
        for (int64_t i = 0; i < k; i++) s += (uint32_t)src[i];
        xsum[r] = (int32_t)s;
        if (padded) {
            memcpy(xpad + r * j.kp, src, (size_t)k);
            memset(xpad + r * j.kp + k, 0, (size_t)(j.kp - k));
        }
    }
    j.x = padded ? xpad : xq;
    j.xsum = xsum;

    // Tiles: up to 64 activation rows by as many weight rows as give the wanted task count.
    j.m_tile = m < 64 ? m : 64;
    const int64_t m_tiles = (m + j.m_tile - 1) / j.m_tile;
    const int64_t want = bp_task_count(ctx, m * n * j.kp, MIN_TASK_MACS);
    int64_t n_tiles = (want + m_tiles - 1) / m_tiles;
    const int64_t n_blocks = (n + NB_GEMV - 1) / NB_GEMV;
    if (n_tiles > n_blocks) n_tiles = n_blocks;
    if (n_tiles < 1) n_tiles = 1;
    j.n_tile = ((n + n_tiles - 1) / n_tiles + NB_GEMV - 1) / NB_GEMV * NB_GEMV;
    j.n_tiles = (n + j.n_tile - 1) / j.n_tile;
    const int rc = bp_parallel_for(ctx->pool, m_tiles * j.n_tiles, tm_task, &j);
    free(scratch);
    return rc;
}

int bp_ternary_matmul(const bp_ctx *ctx, const int8_t *xq, const float *x_scales,
                      const uint8_t *wq, float gamma, float *y, int32_t *acc, int64_t m,
                      int64_t n, int64_t k) {
    const int vnni = ctx && ctx->isa == BP_ISA_AVX512 && bp_cpu_has_avx512vnni();
    return bp_ternary_matmul_variant(ctx, vnni, xq, x_scales, wq, gamma, y, acc, m, n, k);
}
