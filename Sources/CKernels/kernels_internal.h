// Shared internals of the CKernels target; not part of the public API.
#ifndef BP_KERNELS_INTERNAL_H
#define BP_KERNELS_INTERNAL_H

#include "bitprobe_kernels.h"

#include <stdint.h>
#include <stddef.h>

#if defined(__x86_64__)
#include <immintrin.h>
// The target is built for baseline x86-64, so wider paths are enabled per function. AVX-512
// functions also name the AVX2 features so AVX2 helpers can be inlined into them.
#define BP_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))
#define BP_TARGET_AVX512 \
    __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512dq,avx512vl")))
#define BP_TARGET_AVX512VNNI \
    __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512dq,avx512vl,avx512vnni")))
#endif

#define BP_INLINE static inline __attribute__((always_inline))

// ---- CPU features --------------------------------------------------------------------------

/// 1 when AVX-512 VNNI (vpdpbusd on zmm) is usable; only meaningful with BP_ISA_AVX512.
int bp_cpu_has_avx512vnni(void);

// ---- Thread pool -----------------------------------------------------------------------------

/// Runs fn(arg, task, worker) for task in [0, ntasks). `worker` is in [0, bp_ctx_workers())
/// and no two tasks run at once with the same worker index, so it can select per-worker
/// scratch. Tasks start in increasing order; once the pool is cancelled no new task starts.
/// Returns BP_OK when every task ran, BP_CANCELLED otherwise. A NULL pool runs the tasks on
/// the calling thread. ntasks == 1 always runs on the calling thread.
typedef void (*bp_task_fn)(void *arg, int64_t task, int worker);
int bp_parallel_for(bp_pool *pool, int64_t ntasks, bp_task_fn fn, void *arg);

/// Number of distinct worker indices bp_parallel_for may pass (1 for a NULL pool).
int bp_ctx_workers(const bp_ctx *ctx);

/// Task count for `units` of independent work where a task should hold at least `min_units`
/// (so small problems stay on the calling thread) and there should be several tasks per worker
/// (so cancellation is prompt and uneven cores balance out).
int64_t bp_task_count(const bp_ctx *ctx, int64_t units, int64_t min_units);

/// Argument checks every kernel starts with.
int bp_ctx_ok(const bp_ctx *ctx);

// ---- f16 rows --------------------------------------------------------------------------------

void bp_f16_to_f32_row(bp_isa isa, const uint16_t *src, float *dst, int64_t n);
void bp_f32_to_f16_row(bp_isa isa, const float *src, uint16_t *dst, int64_t n);

#if defined(__x86_64__)
BP_TARGET_AVX2 BP_INLINE __m256 bp_load8_f16_avx2(const uint16_t *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}
BP_TARGET_AVX2 BP_INLINE void bp_store8_f16_avx2(uint16_t *p, __m256 v) {
    _mm_storeu_si128((__m128i *)p, _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
}
BP_TARGET_AVX512 BP_INLINE __m512 bp_load16_f16_avx512(const uint16_t *p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p));
}
BP_TARGET_AVX512 BP_INLINE void bp_store16_f16_avx512(uint16_t *p, __m512 v) {
    _mm256_storeu_si256((__m256i *)p, _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
}
#endif

// ---- Scratch (memory.c) -----------------------------------------------------------------------

/// Per-call scratch, 64-byte aligned. On Linux, requests of 2 MiB or more get their own mapping
/// backed by transparent huge pages where the system allows: with malloc's mmap threshold fixed
/// low (memory.c), every multi-MiB packing buffer is a fresh mapping, and 4 KiB pages made the
/// first-touch faults cost ~15% of a 1024^3 matmul. Freed memory goes back to the system.
typedef struct {
    void *ptr, *map;
    size_t map_len;
} bp_scratch;
void *bp_scratch_alloc(bp_scratch *s, size_t bytes);
void bp_scratch_free(bp_scratch *s);

/// At least `bytes` of scratch for the kernel running on `pool`, kept in the pool for the next call
/// (one kernel runs on a pool at a time) until bp_pool_release_scratch. NULL when out of memory.
void *bp_pool_scratch(bp_pool *pool, size_t bytes);

// ---- GEMM (matmul_f32.c), shared by the f32 and f16 entry points --------------------------------

/// C[m][n] = A[m][k] . B[k][n]; f32 elements, or f16 ones (f32 accumulation, one rounding of
/// each output) when f16 is 1. Does the argument checks.
int bp_gemm(const bp_ctx *ctx, int f16, const void *a, const void *b, void *c, int64_t m,
            int64_t n, int64_t k);

// ---- Ternary codes ---------------------------------------------------------------------------

#define BP_TERNARY_GROUP 128
#define BP_TERNARY_GROUP_BYTES 32

// ---- Ternary matmul variants (exposed so tests can force the non-VNNI AVX-512 path) --------

int bp_ternary_matmul_variant(const bp_ctx *ctx, int use_vnni, const int8_t *xq,
                              const float *x_scales, const uint8_t *wq, float gamma, float *y,
                              int32_t *acc, int64_t m, int64_t n, int64_t k);

#endif
