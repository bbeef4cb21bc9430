#include "kernels_internal.h"

#include <stdlib.h>
#include <string.h>

// ---- Weights ---------------------------------------------------------------------------------
//
// Absmean needs the exact-ish tensor mean: |w| is summed in double over fixed-size blocks and
// the block sums are added in block order, so gamma does not depend on the thread count.
// Quantization does not divide: for floats w and gamma > 0, clamp(rne(fl(w / gamma)), -1, 1) is
// sign(w) when |w| > gamma / 2 and 0 otherwise. (|w| = gamma / 2 gives exactly 0.5, which rounds
// to even, 0; the next float above gamma / 2 is at least gamma * 2^-25 above it, which puts the
// quotient past the midpoint between 0.5 and the next float, so it rounds up.) gamma / 2 is
// exact, so every path agrees bit for bit with the division.

#define SUM_BLOCK (1 << 16)  // elements per partial sum
#define PACK_MIN_TASK 512    // groups (of 128 weights) per task at least

typedef struct {
    const void *w;
    int f16;
    bp_isa isa;
    int64_t total, blocks_per_task;
    double *partial;  // one per SUM_BLOCK block
} absum_job;

static double absum_portable(const void *w, int f16, int64_t n) {
    double s = 0;
    if (f16) {
        const uint16_t *h = w;
        for (int64_t i = 0; i < n; i++) {
            const float f = bp_f16_to_f32(h[i]);
            s += f < 0 ? -f : f;
        }
    } else {
        const float *f = w;
        for (int64_t i = 0; i < n; i++) s += f[i] < 0 ? -(double)f[i] : (double)f[i];
    }
    return s;
}

#if defined(__x86_64__)
BP_TARGET_AVX2 static double absum_avx2(const void *w, int f16, int64_t n) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 a, b;
        if (f16) {
            a = bp_load8_f16_avx2((const uint16_t *)w + i);
            b = bp_load8_f16_avx2((const uint16_t *)w + i + 8);
        } else {
            a = _mm256_loadu_ps((const float *)w + i);
            b = _mm256_loadu_ps((const float *)w + i + 8);
        }
        a = _mm256_andnot_ps(sign, a);
        b = _mm256_andnot_ps(sign, b);
        s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(a)));
        s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(a, 1)));
        s2 = _mm256_add_pd(s2, _mm256_cvtps_pd(_mm256_castps256_ps128(b)));
        s3 = _mm256_add_pd(s3, _mm256_cvtps_pd(_mm256_extractf128_ps(b, 1)));
    }
    const __m256d s = _mm256_add_pd(_mm256_add_pd(s0, s1), _mm256_add_pd(s2, s3));
    double lanes[4];
    _mm256_storeu_pd(lanes, s);
    const void *rest = f16 ? (const void *)((const uint16_t *)w + i) : (const void *)((const float *)w + i);
    return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + absum_portable(rest, f16, n - i);
}

BP_TARGET_AVX512 static double absum_avx512(const void *w, int f16, int64_t n) {
    __m512d s0 = _mm512_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 a, b;
        if (f16) {
            a = bp_load16_f16_avx512((const uint16_t *)w + i);
            b = bp_load16_f16_avx512((const uint16_t *)w + i + 16);
        } else {
            a = _mm512_loadu_ps((const float *)w + i);
            b = _mm512_loadu_ps((const float *)w + i + 16);
        }
        a = _mm512_abs_ps(a);
        b = _mm512_abs_ps(b);
        s0 = _mm512_add_pd(s0, _mm512_cvtps_pd(_mm512_castps512_ps256(a)));
        s1 = _mm512_add_pd(s1, _mm512_cvtps_pd(_mm512_extractf32x8_ps(a, 1)));
        s2 = _mm512_add_pd(s2, _mm512_cvtps_pd(_mm512_castps512_ps256(b)));
        s3 = _mm512_add_pd(s3, _mm512_cvtps_pd(_mm512_extractf32x8_ps(b, 1)));
    }
    const double s = _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(s0, s1), _mm512_add_pd(s2, s3)));
    const void *rest = f16 ? (const void *)((const uint16_t *)w + i) : (const void *)((const float *)w + i);
    return s + absum_portable(rest, f16, n - i);
}
#endif

static void absum_task(void *arg, int64_t t, int worker) {
    (void)worker;
    const absum_job *j = arg;
    const int64_t nblocks = (j->total + SUM_BLOCK - 1) / SUM_BLOCK;
    for (int64_t b = t * j->blocks_per_task; b < (t + 1) * j->blocks_per_task && b < nblocks; b++) {
        const int64_t lo = b * SUM_BLOCK;
        const int64_t n = lo + SUM_BLOCK < j->total ? SUM_BLOCK : j->total - lo;
        const void *p = j->f16 ? (const void *)((const uint16_t *)j->w + lo)
                               : (const void *)((const float *)j->w + lo);
        double s;
        switch (j->isa) {
#if defined(__x86_64__)
        case BP_ISA_AVX512: s = absum_avx512(p, j->f16, n); break;
        case BP_ISA_AVX2: s = absum_avx2(p, j->f16, n); break;
#endif
        default: s = absum_portable(p, j->f16, n); break;
        }
        j->partial[b] = s;
    }
}

typedef struct {
    const void *w;
    int f16;
    bp_isa isa;
    int64_t cols, groups_per_row, total_groups, groups_per_task;
    uint8_t *packed;
    float t;  // gamma / 2, see the top of this section
} pack_job;

BP_INLINE int ternary_code(float v, float t) { return v > t ? 2 : (v < -t ? 0 : 1); }

// One group of up to 128 weights (`count` of them), scalar; also the tail of the SIMD paths.
static void pack_group_portable(const void *w, int f16, int64_t count, float t, uint8_t *out) {
    memset(out, 0x55, BP_TERNARY_GROUP_BYTES);
    for (int64_t i = 0; i < count; i++) {
        const float v = f16 ? bp_f16_to_f32(((const uint16_t *)w)[i]) : ((const float *)w)[i];
        const int shift = (int)(i / 32) * 2;
        out[i % 32] = (uint8_t)((out[i % 32] & ~(3 << shift)) | (ternary_code(v, t) << shift));
    }
}

#if defined(__x86_64__)
// 8 codes (0, 1, 2) as int32.
BP_TARGET_AVX2 BP_INLINE __m256i codes8_avx2(__m256 v, __m256 t, __m256 neg_t) {
    const __m256i pos = _mm256_castps_si256(_mm256_cmp_ps(v, t, _CMP_GT_OQ));
    const __m256i neg = _mm256_castps_si256(_mm256_cmp_ps(v, neg_t, _CMP_LT_OQ));
    return _mm256_add_epi32(_mm256_sub_epi32(_mm256_set1_epi32(1), pos), neg);
}

BP_TARGET_AVX2 static void pack_group_avx2(const void *w, int f16, float tf, uint8_t *out) {
    const __m256 t = _mm256_set1_ps(tf), neg_t = _mm256_set1_ps(-tf);
    // packs works within 128-bit lanes; this permutation puts the 32 bytes back in k order.
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    __m256i acc = _mm256_setzero_si256();
    for (int i = 0; i < 4; i++) {
        __m256i c[4];
        for (int q = 0; q < 4; q++) {
            const int64_t k = 32 * i + 8 * q;
            const __m256 v = f16 ? bp_load8_f16_avx2((const uint16_t *)w + k)
                                 : _mm256_loadu_ps((const float *)w + k);
            c[q] = codes8_avx2(v, t, neg_t);
        }
        const __m256i b16 = _mm256_packs_epi16(_mm256_packs_epi32(c[0], c[1]),
                                               _mm256_packs_epi32(c[2], c[3]));
        const __m256i bytes = _mm256_permutevar8x32_epi32(b16, order);
        // Codes are at most 2, so a 16-bit shift by up to 6 never carries into the next byte.
        acc = _mm256_or_si256(acc, _mm256_sll_epi16(bytes, _mm_cvtsi32_si128(2 * i)));
    }
    _mm256_storeu_si256((__m256i *)out, acc);
}

BP_TARGET_AVX512 static void pack_group_avx512(const void *w, int f16, float tf, uint8_t *out) {
    const __m512 t = _mm512_set1_ps(tf), neg_t = _mm512_set1_ps(-tf);
    // Start from all-zero weights (0b01) and flip bits: +1 is 0b01 ^ 0b11, -1 is 0b01 ^ 0b01.
    __m256i flips = _mm256_setzero_si256();
    for (int i = 0; i < 4; i++) {
        __mmask32 pos = 0, neg = 0;
        for (int h = 0; h < 2; h++) {
            const int64_t k = 32 * i + 16 * h;
            const __m512 v = f16 ? bp_load16_f16_avx512((const uint16_t *)w + k)
                                 : _mm512_loadu_ps((const float *)w + k);
            pos |= (__mmask32)_mm512_cmp_ps_mask(v, t, _CMP_GT_OQ) << (16 * h);
            neg |= (__mmask32)_mm512_cmp_ps_mask(v, neg_t, _CMP_LT_OQ) << (16 * h);
        }
        flips = _mm256_mask_mov_epi8(flips, pos, _mm256_or_si256(flips, _mm256_set1_epi8((char)(3 << (2 * i)))));
        flips = _mm256_mask_mov_epi8(flips, neg, _mm256_or_si256(flips, _mm256_set1_epi8((char)(1 << (2 * i)))));
    }
    _mm256_storeu_si256((__m256i *)out, _mm256_xor_si256(flips, _mm256_set1_epi8(0x55)));
}
#endif

static void pack_task(void *arg, int64_t t, int worker) {
    (void)worker;
    const pack_job *j = arg;
    const int64_t end = (t + 1) * j->groups_per_task < j->total_groups ? (t + 1) * j->groups_per_task
                                                                       : j->total_groups;
    const size_t esize = j->f16 ? sizeof(uint16_t) : sizeof(float);
    for (int64_t gi = t * j->groups_per_task; gi < end; gi++) {
        const int64_t row = gi / j->groups_per_row, g = gi % j->groups_per_row;
        const int64_t k0 = g * BP_TERNARY_GROUP;
        const int64_t count = j->cols - k0 < BP_TERNARY_GROUP ? j->cols - k0 : BP_TERNARY_GROUP;
        const void *src = (const char *)j->w + (size_t)(row * j->cols + k0) * esize;
        uint8_t *out = j->packed + gi * BP_TERNARY_GROUP_BYTES;
        if (count < BP_TERNARY_GROUP) {
            pack_group_portable(src, j->f16, count, j->t, out);
            continue;
        }
        switch (j->isa) {
#if defined(__x86_64__)
        case BP_ISA_AVX512: pack_group_avx512(src, j->f16, j->t, out); break;
        case BP_ISA_AVX2: pack_group_avx2(src, j->f16, j->t, out); break;
#endif
        default: pack_group_portable(src, j->f16, count, j->t, out); break;
        }
    }
}

static int quantize_weights(const bp_ctx *ctx, const void *w, int f16, int64_t rows, int64_t cols,
                            uint8_t *packed, float *gamma) {
    if (!bp_ctx_ok(ctx) || !w || !packed || !gamma || rows < 1 || cols < 1) return BP_EINVAL;
    const int64_t total = rows * cols;
    const int64_t nblocks = (total + SUM_BLOCK - 1) / SUM_BLOCK;
    double *partial = malloc((size_t)nblocks * sizeof *partial);
    if (!partial) return BP_ENOMEM;
    absum_job aj = {.w = w, .f16 = f16, .isa = ctx->isa, .total = total, .partial = partial};
    const int64_t atasks = bp_task_count(ctx, nblocks, 1);
    aj.blocks_per_task = (nblocks + atasks - 1) / atasks;
    int rc = bp_parallel_for(ctx->pool, (nblocks + aj.blocks_per_task - 1) / aj.blocks_per_task,
                             absum_task, &aj);
    double sum = 0;
    for (int64_t b = 0; b < nblocks; b++) sum += partial[b];
    free(partial);
    if (rc != BP_OK) return rc;

    double mean = sum / (double)total;
    const float g = (float)(mean > 1e-5 ? mean : 1e-5);
    pack_job pj = {.w = w, .f16 = f16, .isa = ctx->isa, .cols = cols, .packed = packed,
                   .t = g * 0.5f};
    pj.groups_per_row = bp_ternary_row_bytes(cols) / BP_TERNARY_GROUP_BYTES;
    pj.total_groups = rows * pj.groups_per_row;
    const int64_t ptasks = bp_task_count(ctx, pj.total_groups, PACK_MIN_TASK);
    pj.groups_per_task = (pj.total_groups + ptasks - 1) / ptasks;
    rc = bp_parallel_for(ctx->pool, (pj.total_groups + pj.groups_per_task - 1) / pj.groups_per_task,
                         pack_task, &pj);
    if (rc == BP_OK) *gamma = g;
    return rc;
}

int bp_quantize_weights_f32(const bp_ctx *ctx, const float *w, int64_t rows, int64_t cols,
                            uint8_t *packed, float *gamma) {
    return quantize_weights(ctx, w, 0, rows, cols, packed, gamma);
}

int bp_quantize_weights_f16(const bp_ctx *ctx, const uint16_t *w, int64_t rows, int64_t cols,
                            uint8_t *packed, float *gamma) {
    return quantize_weights(ctx, w, 1, rows, cols, packed, gamma);
}

// ---- Activations -----------------------------------------------------------------------------

#define ACT_MIN_TASK (1 << 14)  // elements per task at least

typedef struct {
    const void *x;
    int f16;
    bp_isa isa;
    int64_t rows, cols, rows_per_task;
    int8_t *q;
    float *scales;
} act_job;

// Adding and removing 1.5 * 2^23 rounds any |v| < 2^22 to an integer, half to even, in the
// default rounding mode, without a libm call (inputs here are already clamped to [-128, 127]).
BP_INLINE float rne_small(float v) {
    const float magic = 12582912.0f;
    return (v + magic) - magic;
}

// fmax/fmin order chosen so a NaN product clamps to -128, as the x86 max/min instructions do.
BP_INLINE int8_t quant_act(float v, float s) {
    float p = v * s;
    p = !(p > -128.0f) ? -128.0f : p;
    p = p < 127.0f ? p : 127.0f;
    return (int8_t)rne_small(p);
}

static void act_row_portable(const void *x, int f16, int64_t cols, int8_t *q, float *scale) {
    float m = 0;
    for (int64_t i = 0; i < cols; i++) {
        float v = f16 ? bp_f16_to_f32(((const uint16_t *)x)[i]) : ((const float *)x)[i];
        v = v < 0 ? -v : v;
        m = v > m ? v : m;
    }
    const float s = m > 0 ? 127.0f / m : 1.0f;
    for (int64_t i = 0; i < cols; i++)
        q[i] = quant_act(f16 ? bp_f16_to_f32(((const uint16_t *)x)[i]) : ((const float *)x)[i], s);
    *scale = s;
}

#if defined(__x86_64__)
BP_TARGET_AVX2 static void act_row_avx2(const void *x, int f16, int64_t cols, int8_t *q,
                                        float *scale) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 mv = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= cols; i += 8) {
        const __m256 v = f16 ? bp_load8_f16_avx2((const uint16_t *)x + i)
                             : _mm256_loadu_ps((const float *)x + i);
        mv = _mm256_max_ps(mv, _mm256_andnot_ps(sign, v));
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, mv);
    float m = 0;
    for (int l = 0; l < 8; l++) m = lanes[l] > m ? lanes[l] : m;
    for (; i < cols; i++) {
        float v = f16 ? _cvtsh_ss(((const uint16_t *)x)[i]) : ((const float *)x)[i];
        v = v < 0 ? -v : v;
        m = v > m ? v : m;
    }
    const float s = m > 0 ? 127.0f / m : 1.0f;
    const __m256 sv = _mm256_set1_ps(s), lo = _mm256_set1_ps(-128.0f), hi = _mm256_set1_ps(127.0f);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (i = 0; i + 32 <= cols; i += 32) {
        __m256i c[4];
        for (int h = 0; h < 4; h++) {
            const __m256 v = f16 ? bp_load8_f16_avx2((const uint16_t *)x + i + 8 * h)
                                 : _mm256_loadu_ps((const float *)x + i + 8 * h);
            __m256 p = _mm256_max_ps(_mm256_mul_ps(v, sv), lo);
            p = _mm256_min_ps(p, hi);
            c[h] = _mm256_cvtps_epi32(_mm256_round_ps(p, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        }
        const __m256i b = _mm256_packs_epi16(_mm256_packs_epi32(c[0], c[1]),
                                             _mm256_packs_epi32(c[2], c[3]));
        _mm256_storeu_si256((__m256i *)(q + i), _mm256_permutevar8x32_epi32(b, order));
    }
    for (; i < cols; i++)
        q[i] = quant_act(f16 ? _cvtsh_ss(((const uint16_t *)x)[i]) : ((const float *)x)[i], s);
    *scale = s;
}

BP_TARGET_AVX512 static void act_row_avx512(const void *x, int f16, int64_t cols, int8_t *q,
                                            float *scale) {
    __m512 mv = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i < cols; i += 16) {
        const __mmask16 k = cols - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (cols - i)) - 1);
        const __m512 v = f16 ? _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(k, (const uint16_t *)x + i))
                             : _mm512_maskz_loadu_ps(k, (const float *)x + i);
        mv = _mm512_max_ps(mv, _mm512_abs_ps(v));
    }
    const float m = _mm512_reduce_max_ps(mv);
    const float s = m > 0 ? 127.0f / m : 1.0f;
    const __m512 sv = _mm512_set1_ps(s), lo = _mm512_set1_ps(-128.0f), hi = _mm512_set1_ps(127.0f);
    for (i = 0; i < cols; i += 16) {
        const __mmask16 k = cols - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (cols - i)) - 1);
        const __m512 v = f16 ? _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(k, (const uint16_t *)x + i))
                             : _mm512_maskz_loadu_ps(k, (const float *)x + i);
        const __m512 p = _mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(v, sv), lo), hi);
        const __m512i r = _mm512_cvt_roundps_epi32(p, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm_mask_storeu_epi8(q + i, k, _mm512_cvtsepi32_epi8(r));
    }
    *scale = s;
}
#endif

static void act_task(void *arg, int64_t t, int worker) {
    (void)worker;
    const act_job *j = arg;
    const size_t esize = j->f16 ? sizeof(uint16_t) : sizeof(float);
    for (int64_t r = t * j->rows_per_task; r < (t + 1) * j->rows_per_task && r < j->rows; r++) {
        const void *x = (const char *)j->x + (size_t)(r * j->cols) * esize;
        int8_t *q = j->q + r * j->cols;
        switch (j->isa) {
#if defined(__x86_64__)
        case BP_ISA_AVX512: act_row_avx512(x, j->f16, j->cols, q, j->scales + r); break;
        case BP_ISA_AVX2: act_row_avx2(x, j->f16, j->cols, q, j->scales + r); break;
#endif
        default: act_row_portable(x, j->f16, j->cols, q, j->scales + r); break;
        }
    }
}

static int quantize_activations(const bp_ctx *ctx, const void *x, int f16, int64_t rows,
                                int64_t cols, int8_t *q, float *scales) {
    if (!bp_ctx_ok(ctx) || !x || !q || !scales || rows < 1 || cols < 1) return BP_EINVAL;
    act_job j = {.x = x, .f16 = f16, .isa = ctx->isa, .rows = rows, .cols = cols, .q = q,
                 .scales = scales};
    const int64_t tasks = bp_task_count(ctx, rows * cols, ACT_MIN_TASK);
    j.rows_per_task = (rows + tasks - 1) / tasks;
    return bp_parallel_for(ctx->pool, (rows + j.rows_per_task - 1) / j.rows_per_task, act_task, &j);
}

int bp_quantize_activations_f32(const bp_ctx *ctx, const float *x, int64_t rows, int64_t cols,
                                int8_t *q, float *scales) {
    return quantize_activations(ctx, x, 0, rows, cols, q, scales);
}

int bp_quantize_activations_f16(const bp_ctx *ctx, const uint16_t *x, int64_t rows, int64_t cols,
                                int8_t *q, float *scales) {
    return quantize_activations(ctx, x, 1, rows, cols, q, scales);
}
