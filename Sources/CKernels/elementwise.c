#include "kernels_internal.h"

#include <string.h>

enum { OP_ADD, OP_MUL };

// Elements per task at least; below twice this a call stays on the calling thread, where the
// whole job takes less time than waking another core.
#define EW_MIN_TASK (1 << 15)

// Bytes per copy task at least: the same traffic per task as EW_MIN_TASK f32 additions.
#define COPY_MIN_TASK (EW_MIN_TASK * 6)

// Total bytes moved from which results are written with non-temporal stores: far beyond the
// L2s, where skipping the read-for-ownership of C measured 25-60 -> 75-80 GB/s for 16M f32
// additions on the 2-core dev VM, and results that big would not stay cached anyway.
#define STREAM_MIN_BYTES ((int64_t)48 << 20)

typedef struct {
    const void *a, *b;
    void *c;
    int64_t n, chunk;
    bp_isa isa;
    int op, f16, stream;
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
// Elements before p reaches a 64-byte boundary (non-temporal stores need at least 32), or -1
// when p is not even element-aligned.
static int64_t head_to_line(const void *p, size_t esize, int64_t n) {
    const uintptr_t u = (uintptr_t)p;
    if (u % esize) return -1;
    const int64_t h = (int64_t)((64 - (u & 63)) & 63) / (int64_t)esize;
    return h < n ? h : n;
}

BP_TARGET_AVX2 BP_INLINE __m256 op_avx2(int op, __m256 x, __m256 y) {
    return op == OP_ADD ? _mm256_add_ps(x, y) : _mm256_mul_ps(x, y);
}

BP_TARGET_AVX2 static void ew_f32_avx2(int op, const float *a, const float *b, float *c,
                                       int64_t n, int stream) {
    int64_t i = 0;
    const int64_t h = stream ? head_to_line(c, sizeof *c, n) : -1;
    if (h >= 0) {
        ew_f32_avx2(op, a, b, c, h, 0);
        for (i = h; i + 32 <= n; i += 32)
            for (int j = 0; j < 32; j += 8)
                _mm256_stream_ps(c + i + j, op_avx2(op, _mm256_loadu_ps(a + i + j), _mm256_loadu_ps(b + i + j)));
        _mm_sfence();
    }
    for (; i + 32 <= n; i += 32)
        for (int j = 0; j < 32; j += 8)
            _mm256_storeu_ps(c + i + j,
                             op_avx2(op, _mm256_loadu_ps(a + i + j), _mm256_loadu_ps(b + i + j)));
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(c + i, op_avx2(op, _mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
    for (; i < n; i++) c[i] = op_f32(op, a[i], b[i]);
}

BP_TARGET_AVX2 static void ew_f16_avx2(int op, const uint16_t *a, const uint16_t *b,
                                       uint16_t *c, int64_t n, int stream) {
    int64_t i = 0;
    const int64_t h = stream ? head_to_line(c, sizeof *c, n) : -1;
    if (h >= 0) {
        ew_f16_avx2(op, a, b, c, h, 0);
        for (i = h; i + 16 <= n; i += 16) {
            const __m128i lo = _mm256_cvtps_ph(op_avx2(op, bp_load8_f16_avx2(a + i), bp_load8_f16_avx2(b + i)),
                                               _MM_FROUND_TO_NEAREST_INT);
            const __m128i hi = _mm256_cvtps_ph(op_avx2(op, bp_load8_f16_avx2(a + i + 8), bp_load8_f16_avx2(b + i + 8)),
                                               _MM_FROUND_TO_NEAREST_INT);
            _mm256_stream_si256((__m256i *)(c + i), _mm256_setr_m128i(lo, hi));
        }
        _mm_sfence();
    }
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
    const int64_t h = stream ? head_to_line(c, sizeof *c, n) : -1;
    if (h >= 0) {
        ew_f32_avx512(op, a, b, c, h, 0);
        for (i = h; i + 64 <= n; i += 64)
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
                                           uint16_t *c, int64_t n, int stream) {
    int64_t i = 0;
    const int64_t h = stream ? head_to_line(c, sizeof *c, n) : -1;
    if (h >= 0) {
        ew_f16_avx512(op, a, b, c, h, 0);
        for (i = h; i + 32 <= n; i += 32) {
            const __m256i lo = _mm512_cvtps_ph(op_avx512(op, bp_load16_f16_avx512(a + i), bp_load16_f16_avx512(b + i)),
                                               _MM_FROUND_TO_NEAREST_INT);
            const __m256i hi = _mm512_cvtps_ph(op_avx512(op, bp_load16_f16_avx512(a + i + 16), bp_load16_f16_avx512(b + i + 16)),
                                               _MM_FROUND_TO_NEAREST_INT);
            _mm512_stream_si512((__m512i *)(c + i), _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1));
        }
        _mm_sfence();
    }
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

// Copy with non-temporal stores; the plain memcpy is used below the streaming size.
BP_TARGET_AVX2 static void copy_stream_avx2(const char *src, char *dst, int64_t n) {
    const int64_t h = head_to_line(dst, 1, n);
    memcpy(dst, src, (size_t)h);
    int64_t i = h;
    for (; i + 128 <= n; i += 128)
        for (int j = 0; j < 128; j += 32)
            _mm256_stream_si256((__m256i *)(dst + i + j), _mm256_loadu_si256((const __m256i *)(src + i + j)));
    _mm_sfence();
    memcpy(dst + i, src + i, (size_t)(n - i));
}

BP_TARGET_AVX512 static void copy_stream_avx512(const char *src, char *dst, int64_t n) {
    const int64_t h = head_to_line(dst, 1, n);
    memcpy(dst, src, (size_t)h);
    int64_t i = h;
    for (; i + 256 <= n; i += 256)
        for (int j = 0; j < 256; j += 64)
            _mm512_stream_si512((__m512i *)(dst + i + j), _mm512_loadu_si512(src + i + j));
    _mm_sfence();
    memcpy(dst + i, src + i, (size_t)(n - i));
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
        case BP_ISA_AVX512: ew_f16_avx512(j->op, a, b, c, n, j->stream); return;
        case BP_ISA_AVX2: ew_f16_avx2(j->op, a, b, c, n, j->stream); return;
#endif
        default: ew_f16_portable(j->op, a, b, c, n); return;
        }
    }
    const float *a = (const float *)j->a + lo, *b = (const float *)j->b + lo;
    float *c = (float *)j->c + lo;
    switch (j->isa) {
#if defined(__x86_64__)
    case BP_ISA_AVX512: ew_f32_avx512(j->op, a, b, c, n, j->stream); return;
    case BP_ISA_AVX2: ew_f32_avx2(j->op, a, b, c, n, j->stream); return;
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
    ew_job j = {.a = a, .b = b, .c = c, .n = n, .isa = ctx->isa, .op = op, .f16 = f16,
                .stream = 3 * n * (f16 ? 2 : 4) >= STREAM_MIN_BYTES};
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
    bp_isa isa;
    int stream;
} copy_job;

static void copy_task(void *arg, int64_t t, int worker) {
    (void)worker;
    const copy_job *j = arg;
    const int64_t lo = t * j->chunk;
    const int64_t n = lo + j->chunk < j->bytes ? j->chunk : j->bytes - lo;
    if (j->stream) {
        switch (j->isa) {
#if defined(__x86_64__)
        case BP_ISA_AVX512: copy_stream_avx512(j->src + lo, j->dst + lo, n); return;
        case BP_ISA_AVX2: copy_stream_avx2(j->src + lo, j->dst + lo, n); return;
#endif
        default: break;
        }
    }
    memcpy(j->dst + lo, j->src + lo, (size_t)n);
}

int bp_copy(const bp_ctx *ctx, const void *src, void *dst, int64_t bytes) {
    if (!bp_ctx_ok(ctx) || !src || !dst || bytes < 1) return BP_EINVAL;
    copy_job j = {.src = src, .dst = dst, .bytes = bytes, .isa = ctx->isa,
                  .stream = 2 * bytes >= STREAM_MIN_BYTES};
    int64_t tasks;
    j.chunk = chunk_for(ctx, bytes, COPY_MIN_TASK, 4096, &tasks);
    return bp_parallel_for(ctx->pool, tasks, copy_task, &j);
}
