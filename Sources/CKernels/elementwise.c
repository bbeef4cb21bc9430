#include "kernels_internal.h"

#include <string.h>

enum { OP_ADD, OP_MUL };

// Elements per task at least; below twice this a call stays on the calling thread, where the
// whole job takes less time than waking another core.
#define EW_MIN_TASK (1 << 15)

// Bytes per copy task at least: the same traffic per task as EW_MIN_TASK f32 additions.
#define COPY_MIN_TASK (EW_MIN_TASK * 6)

#ifndef EW_STREAM_MIN
#define EW_STREAM_MIN (1 << 22)
#endif

typedef struct {
    const void *a, *b;
    void *c;
    int64_t n, chunk;
    bp_isa isa;
    int op, f16;
} ew_job;

BP_INLINE float op_f32(int op, float x, float y) { return op == OP_ADD ? x + y : x * y; }

static void ew_f32_portable(int op, const float *a, const float *b, float *c, int64_t n) {
    if (op == OP_ADD)
        for (int64_t i = 0; i < n; i++) c[i] = a[i] + b[i];
    else
        for (int64_t i = 0; i < n; i++) c[i] = a[i] * b[i];
}

static void ew_f16_portable(int op, const uint16_t *a, const uint16_t *b, uint16_t *c,
                            int64_t n) {
    for (int64_t i = 0; i < n; i++)
        c[i] = bp_f32_to_f16(op_f32(op, bp_f16_to_f32(a[i]), bp_f16_to_f32(b[i])));
}

#if defined(__x86_64__)
BP_TARGET_AVX2 BP_INLINE __m256 op_avx2(int op, __m256 x, __m256 y) {
    return op == OP_ADD ? _mm256_add_ps(x, y) : _mm256_mul_ps(x, y);
}

BP_TARGET_AVX2 static void ew_f32_avx2(int op, const float *a, const float *b, float *c,
                                       int64_t n) {
    int64_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (int j = 0; j < 32; j += 8)
            _mm256_storeu_ps(c + i + j,
                             op_avx2(op, _mm256_loadu_ps(a + i + j), _mm256_loadu_ps(b + i + j)));
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(c + i, op_avx2(op, _mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
    for (; i < n; i++) c[i] = op_f32(op, a[i], b[i]);
}

BP_TARGET_AVX2 static void ew_f16_avx2(int op, const uint16_t *a, const uint16_t *b,
                                       uint16_t *c, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        bp_store8_f16_avx2(c + i, op_avx2(op, bp_load8_f16_avx2(a + i), bp_load8_f16_avx2(b + i)));
    for (; i < n; i++)
        c[i] = _cvtss_sh(op_f32(op, _cvtsh_ss(a[i]), _cvtsh_ss(b[i])), _MM_FROUND_TO_NEAREST_INT);
}

BP_TARGET_AVX512 BP_INLINE __m512 op_avx512(int op, __m512 x, __m512 y) {
    return op == OP_ADD ? _mm512_add_ps(x, y) : _mm512_mul_ps(x, y);
}

BP_TARGET_AVX512 static void ew_f32_avx512(int op, const float *a, const float *b, float *c,
                                           int64_t n, int stream) {
    int64_t i = 0;
    if (stream && ((uintptr_t)c & 3) == 0) {
        // Non-temporal stores need 64-byte alignment; reach it with one masked step.
        const int64_t head = (int64_t)((64 - ((uintptr_t)c & 63)) & 63) / 4;
        if (head > 0 && head <= n) {
            const __mmask16 m = (__mmask16)((1u << head) - 1);
            _mm512_mask_storeu_ps(c, m, op_avx512(op, _mm512_maskz_loadu_ps(m, a), _mm512_maskz_loadu_ps(m, b)));
            i = head;
        }
        for (; i + 64 <= n; i += 64)
            for (int j = 0; j < 64; j += 16)
                _mm512_stream_ps(c + i + j, op_avx512(op, _mm512_loadu_ps(a + i + j), _mm512_loadu_ps(b + i + j)));
        _mm_sfence();
    }
    for (; i + 64 <= n; i += 64)
        for (int j = 0; j < 64; j += 16)
            _mm512_storeu_ps(c + i + j,
                             op_avx512(op, _mm512_loadu_ps(a + i + j), _mm512_loadu_ps(b + i + j)));
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(c + i, op_avx512(op, _mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i)));
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(c + i, m,
                              op_avx512(op, _mm512_maskz_loadu_ps(m, a + i),
                                        _mm512_maskz_loadu_ps(m, b + i)));
    }
}

BP_TARGET_AVX512 static void ew_f16_avx512(int op, const uint16_t *a, const uint16_t *b,
                                           uint16_t *c, int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        bp_store16_f16_avx512(
            c + i, op_avx512(op, bp_load16_f16_avx512(a + i), bp_load16_f16_avx512(b + i)));
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        const __m512 x = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, a + i));
        const __m512 y = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, b + i));
        _mm256_mask_storeu_epi16(c + i, m,
                                 _mm512_cvtps_ph(op_avx512(op, x, y), _MM_FROUND_TO_NEAREST_INT));
    }
}
#endif

static void ew_task(void *arg, int64_t t, int worker) {
    (void)worker;
    const ew_job *j = arg;
    const int64_t lo = t * j->chunk;
    const int64_t n = (lo + j->chunk < j->n ? j->chunk : j->n - lo);
    if (j->f16) {
        const uint16_t *a = (const uint16_t *)j->a + lo, *b = (const uint16_t *)j->b + lo;
        uint16_t *c = (uint16_t *)j->c + lo;
        switch (j->isa) {
#if defined(__x86_64__)
        case BP_ISA_AVX512: ew_f16_avx512(j->op, a, b, c, n); return;
        case BP_ISA_AVX2: ew_f16_avx2(j->op, a, b, c, n); return;
#endif
        default: ew_f16_portable(j->op, a, b, c, n); return;
        }
    }
    const float *a = (const float *)j->a + lo, *b = (const float *)j->b + lo;
    float *c = (float *)j->c + lo;
    switch (j->isa) {
#if defined(__x86_64__)
    case BP_ISA_AVX512: ew_f32_avx512(j->op, a, b, c, n, j->n >= EW_STREAM_MIN); return;
    case BP_ISA_AVX2: ew_f32_avx2(j->op, a, b, c, n); return;
#endif
    default: ew_f32_portable(j->op, a, b, c, n); return;
    }
}

// Chunks are whole multiples of `align` units so that, for aligned buffers, every task starts
// on a cache-line boundary and no two tasks write the same line.
static int64_t chunk_for(const bp_ctx *ctx, int64_t n, int64_t min_task, int64_t align,
                         int64_t *tasks) {
    const int64_t t = bp_task_count(ctx, n, min_task);
    const int64_t chunk = ((n + t - 1) / t + align - 1) / align * align;
    *tasks = (n + chunk - 1) / chunk;
    return chunk;
}

static int elementwise(const bp_ctx *ctx, int op, int f16, const void *a, const void *b, void *c,
                       int64_t n) {
    if (!bp_ctx_ok(ctx) || !a || !b || !c || n < 1) return BP_EINVAL;
    ew_job j = {.a = a, .b = b, .c = c, .n = n, .isa = ctx->isa, .op = op, .f16 = f16};
    int64_t tasks;
    j.chunk = chunk_for(ctx, n, EW_MIN_TASK, 64, &tasks);
    return bp_parallel_for(ctx->pool, tasks, ew_task, &j);
}

int bp_add_f32(const bp_ctx *ctx, const float *a, const float *b, float *c, int64_t n) {
    return elementwise(ctx, OP_ADD, 0, a, b, c, n);
}

int bp_mul_f32(const bp_ctx *ctx, const float *a, const float *b, float *c, int64_t n) {
    return elementwise(ctx, OP_MUL, 0, a, b, c, n);
}

int bp_add_f16(const bp_ctx *ctx, const uint16_t *a, const uint16_t *b, uint16_t *c, int64_t n) {
    return elementwise(ctx, OP_ADD, 1, a, b, c, n);
}

int bp_mul_f16(const bp_ctx *ctx, const uint16_t *a, const uint16_t *b, uint16_t *c, int64_t n) {
    return elementwise(ctx, OP_MUL, 1, a, b, c, n);
}

typedef struct {
    const char *src;
    char *dst;
    int64_t bytes, chunk;
} copy_job;

static void copy_task(void *arg, int64_t t, int worker) {
    (void)worker;
    const copy_job *j = arg;
    const int64_t lo = t * j->chunk;
    const int64_t n = lo + j->chunk < j->bytes ? j->chunk : j->bytes - lo;
    memcpy(j->dst + lo, j->src + lo, (size_t)n);
}

int bp_copy(const bp_ctx *ctx, const void *src, void *dst, int64_t bytes) {
    if (!bp_ctx_ok(ctx) || !src || !dst || bytes < 1) return BP_EINVAL;
    copy_job j = {.src = src, .dst = dst, .bytes = bytes};
    int64_t tasks;
    j.chunk = chunk_for(ctx, bytes, COPY_MIN_TASK, 4096, &tasks);
    return bp_parallel_for(ctx->pool, tasks, copy_task, &j);
}
