#include "kernels_internal.h"

// Layout probes: the same arithmetic as `add`, with the inputs read `stride` elements apart, so
// the cost of a non-contiguous layout (a column of a row-major matrix, a strided view) shows
// against stride 1 of the same kernel. Written as one plain loop for every ISA: whether the
// compiler vectorises stride 1 (contiguous loads) and not the rest is part of what is measured.

// Elements per task at least, as for the contiguous elementwise kernels.
#define STRIDED_MIN_TASK (1 << 15)

typedef struct {
    const float *a, *b;
    float *c;
    int64_t n, stride, chunk;
} strided_job;

static void strided_add_range(const float *restrict a, const float *restrict b, float *restrict c,
                              int64_t lo, int64_t hi, int64_t stride) {
    if (stride == 1) {
        for (int64_t i = lo; i < hi; i++) c[i] = a[i] + b[i];
        return;
    }
    for (int64_t i = lo; i < hi; i++) c[i] = a[i * stride] + b[i * stride];
}

static void strided_task(void *arg, int64_t t, int worker) {
    (void)worker;
    const strided_job *j = arg;
    const int64_t lo = t * j->chunk;
    const int64_t hi = lo + j->chunk < j->n ? lo + j->chunk : j->n;
    strided_add_range(j->a, j->b, j->c, lo, hi, j->stride);
}

int bp_strided_add_f32(const bp_ctx *ctx, const float *a, const float *b, float *c, int64_t n,
                       int64_t stride) {
    if (!bp_ctx_ok(ctx) || !a || !b || !c || n < 1 || stride < 1) return BP_EINVAL;
    if (n > INT64_MAX / stride) return BP_EINVAL;
    strided_job j = {.a = a, .b = b, .c = c, .n = n, .stride = stride};
    const int64_t tasks = bp_task_count(ctx, n, STRIDED_MIN_TASK);
    // Whole cache lines of c per task, so no two tasks write the same line.
    j.chunk = ((n + tasks - 1) / tasks + 15) / 16 * 16;
    return bp_parallel_for(ctx->pool, (n + j.chunk - 1) / j.chunk, strided_task, &j);
}
