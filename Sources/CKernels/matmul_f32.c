#include "kernels_internal.h"

#include <stdlib.h>
#include <string.h>

// Blocked GEMM in the usual layered scheme: a task owns an mc x nc tile of C and walks K in kc
// slices; for each slice it packs its A rows into mr-row micro-panels and its B columns into
// nr-column micro-panels (both k-major, zero-padded), then runs the register-blocked
// microkernel over every (nr, mr) pair. The B micro-panel (kc x nr) stays in L1 while the mr
// loop streams A micro-panels from L2. Tasks pack independently, so there are no barriers;
// the repeated packing costs one element copy per 2 * mc (A: 2 * nc) flops.

// ---- Microkernels: C[mr][nr] (=|+=) sum_k a[k][0..mr) b[k][0..nr) over packed panels ----

typedef struct {
    void (*run)(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                int accumulate);
    int mr, nr;
    int64_t mc, kc, nc;  // default tile rows, K slice, tile columns
} bp_gemm_kernel;

#define BP_GEMM_MR_MAX 16
#define BP_GEMM_NR_MAX 32

#define P_MR 4
#define P_NR 16

static void ukr_portable(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                         int accumulate) {
    float acc[P_MR][P_NR] = {{0}};
    for (int64_t k = 0; k < kc; k++, a += P_MR, b += P_NR)
        for (int r = 0; r < P_MR; r++)
            for (int q = 0; q < P_NR; q++) acc[r][q] += a[r] * b[q];
    for (int r = 0; r < P_MR; r++)
        for (int q = 0; q < P_NR; q++)
            c[r * ldc + q] = accumulate ? c[r * ldc + q] + acc[r][q] : acc[r][q];
}

#if defined(__x86_64__)
#define AVX2_MR 6
#define AVX2_NR 16

BP_TARGET_AVX2 static void ukr_avx2(int64_t kc, const float *a, const float *b, float *c,
                                    int64_t ldc, int accumulate) {
    __m256 acc[AVX2_MR][2];
    for (int r = 0; r < AVX2_MR; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int64_t k = 0; k < kc; k++, a += AVX2_MR, b += AVX2_NR) {
        const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
        for (int r = 0; r < AVX2_MR; r++) {
            const __m256 av = _mm256_broadcast_ss(a + r);
            acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
        }
    }
    for (int r = 0; r < AVX2_MR; r++) {
        float *cr = c + r * ldc;
        if (accumulate) {
            acc[r][0] = _mm256_add_ps(acc[r][0], _mm256_loadu_ps(cr));
            acc[r][1] = _mm256_add_ps(acc[r][1], _mm256_loadu_ps(cr + 8));
        }
        _mm256_storeu_ps(cr, acc[r][0]);
        _mm256_storeu_ps(cr + 8, acc[r][1]);
    }
}

#define AVX512_MR 14
#define AVX512_NR 32

BP_TARGET_AVX512 static void ukr_avx512(int64_t kc, const float *a, const float *b, float *c,
                                        int64_t ldc, int accumulate) {
    __m512 acc[AVX512_MR][2];
    for (int r = 0; r < AVX512_MR; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (int64_t k = 0; k < kc; k++, a += AVX512_MR, b += AVX512_NR) {
        const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
        for (int r = 0; r < AVX512_MR; r++) {
            const __m512 av = _mm512_set1_ps(a[r]);
            acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);
        }
    }
    for (int r = 0; r < AVX512_MR; r++) {
        float *cr = c + r * ldc;
        if (accumulate) {
            acc[r][0] = _mm512_add_ps(acc[r][0], _mm512_loadu_ps(cr));
            acc[r][1] = _mm512_add_ps(acc[r][1], _mm512_loadu_ps(cr + 16));
        }
        _mm512_storeu_ps(cr, acc[r][0]);
        _mm512_storeu_ps(cr + 16, acc[r][1]);
    }
}
#endif

static const bp_gemm_kernel *gemm_kernel_for(bp_isa isa) {
    static const bp_gemm_kernel portable = {ukr_portable, P_MR, P_NR, 128, 256, 512};
#if defined(__x86_64__)
    static const bp_gemm_kernel avx2 = {ukr_avx2, AVX2_MR, AVX2_NR, 144, 256, 512};
    static const bp_gemm_kernel avx512 = {ukr_avx512, AVX512_MR, AVX512_NR, 168, 256, 512};
    switch (isa) {
    case BP_ISA_AVX512: return &avx512;
    case BP_ISA_AVX2: return &avx2;
    default: break;
    }
#else
    (void)isa;
#endif
    return &portable;
}

// ---- Packing (f32 sources) ----

static void pack_a_f32(const void *src, int64_t lda, int64_t rows, int64_t kc, int mr,
                       float *dst, bp_isa isa) {
    (void)isa;
    const float *a = src;
    for (int64_t i = 0; i < rows; i += mr, dst += (int64_t)mr * kc) {
        const int64_t live = rows - i < mr ? rows - i : mr;
        for (int64_t k = 0; k < kc; k++) {
            for (int64_t r = 0; r < live; r++) dst[k * mr + r] = a[(i + r) * lda + k];
            for (int64_t r = live; r < mr; r++) dst[k * mr + r] = 0;
        }
    }
}

static void pack_b_f32(const void *src, int64_t ldb, int64_t cols, int64_t kc, int nr,
                       float *dst, bp_isa isa) {
    (void)isa;
    const float *b = src;
    for (int64_t j = 0; j < cols; j += nr, dst += (int64_t)nr * kc) {
        const int64_t live = cols - j < nr ? cols - j : nr;
        for (int64_t k = 0; k < kc; k++) {
            memcpy(dst + k * nr, b + k * ldb + j, (size_t)live * sizeof(float));
            if (live < nr) memset(dst + k * nr + live, 0, (size_t)(nr - live) * sizeof(float));
        }
    }
}

// ---- Driver ----

typedef struct {
    const bp_gemm_kernel *uk;
    const bp_gemm_packers *pk;
    const void *a, *b;
    void *c;
    size_t esize;  // bytes per A/B/C element
    int64_t m, n, k;
    int64_t mc, nc, m_tiles, n_tiles;
    bp_isa isa;
    float *scratch;
    int64_t scratch_floats;  // per worker
} gemm_job;

static void gemm_task(void *arg, int64_t t, int worker) {
    const gemm_job *j = arg;
    const bp_gemm_kernel *uk = j->uk;
    const int64_t i0 = t / j->n_tiles * j->mc, j0 = t % j->n_tiles * j->nc;
    const int64_t rows = j->m - i0 < j->mc ? j->m - i0 : j->mc;
    const int64_t cols = j->n - j0 < j->nc ? j->n - j0 : j->nc;
    const int64_t rows_pad = (rows + uk->mr - 1) / uk->mr * uk->mr;
    const int64_t cols_pad = (cols + uk->nr - 1) / uk->nr * uk->nr;
    float *pa = j->scratch + worker * j->scratch_floats;
    float *pb = pa + rows_pad * uk->kc;
    // f32 results go straight to C; narrower outputs are accumulated in an f32 tile first.
    float *ct = pb + cols_pad * uk->kc;
    const int direct = j->pk->store_c == NULL;
    float *c = direct ? (float *)j->c + i0 * j->n + j0 : ct;
    const int64_t ldc = direct ? j->n : cols_pad;
    float edge[BP_GEMM_MR_MAX * BP_GEMM_NR_MAX];

    for (int64_t p = 0; p < j->k; p += uk->kc) {
        const int64_t kc = j->k - p < uk->kc ? j->k - p : uk->kc;
        j->pk->pack_b((const char *)j->b + (p * j->n + j0) * j->esize, j->n, cols, kc, uk->nr,
                      pb, j->isa);
        j->pk->pack_a((const char *)j->a + (i0 * j->k + p) * j->esize, j->k, rows, kc, uk->mr,
                      pa, j->isa);
        for (int64_t jr = 0; jr < cols; jr += uk->nr) {
            const int64_t nr = cols - jr < uk->nr ? cols - jr : uk->nr;
            for (int64_t ir = 0; ir < rows; ir += uk->mr) {
                const int64_t mr = rows - ir < uk->mr ? rows - ir : uk->mr;
                const float *ap = pa + ir * kc, *bp = pb + jr * kc;
                float *cp = c + ir * ldc + jr;
                if (mr == uk->mr && (nr == uk->nr || !direct)) {
                    uk->run(kc, ap, bp, cp, ldc, p > 0);
                    continue;
                }
                uk->run(kc, ap, bp, edge, uk->nr, 0);
                for (int64_t r = 0; r < mr; r++)
                    for (int64_t q = 0; q < nr; q++)
                        cp[r * ldc + q] = p > 0 ? cp[r * ldc + q] + edge[r * uk->nr + q]
                                                : edge[r * uk->nr + q];
            }
        }
    }
    if (!direct)
        for (int64_t r = 0; r < rows; r++)
            j->pk->store_c(ct + r * ldc, (char *)j->c + ((i0 + r) * j->n + j0) * j->esize, cols,
                           j->isa);
}

int bp_gemm(const bp_ctx *ctx, const bp_gemm_packers *pk, size_t esize, const void *a,
            const void *b, void *c, int64_t m, int64_t n, int64_t k) {
    if (!bp_ctx_ok(ctx) || !a || !b || !c || m < 1 || n < 1 || k < 1) return BP_EINVAL;
    const bp_gemm_kernel *uk = gemm_kernel_for(ctx->isa);
    gemm_job j = {.uk = uk, .pk = pk, .a = a, .b = b, .c = c, .esize = esize, .m = m, .n = n,
                  .k = k, .isa = ctx->isa};

    // Tiles of about uk->mc rows, balanced so the last is not a sliver; then narrow the
    // column tiles (not below 4 micro-panels) until every worker has several tasks.
    j.m_tiles = (m + uk->mc - 1) / uk->mc;
    j.mc = ((m + j.m_tiles - 1) / j.m_tiles + uk->mr - 1) / uk->mr * uk->mr;
    j.m_tiles = (m + j.mc - 1) / j.mc;
    const int64_t want = bp_task_count(ctx, m * n * k, 1 << 22);
    j.nc = uk->nc;
    while (j.m_tiles * ((n + j.nc - 1) / j.nc) < want && j.nc > 4 * uk->nr) j.nc /= 2;
    j.nc = (j.nc + uk->nr - 1) / uk->nr * uk->nr;
    if (j.nc > (n + uk->nr - 1) / uk->nr * uk->nr) j.nc = (n + uk->nr - 1) / uk->nr * uk->nr;
    j.n_tiles = (n + j.nc - 1) / j.nc;

    const int64_t mc_pad = (j.mc + uk->mr - 1) / uk->mr * uk->mr;
    // Per worker: packed A, packed B, and (for f16) the f32 C tile; rounded to whole cache lines.
    j.scratch_floats = (mc_pad * uk->kc + j.nc * uk->kc + (pk->store_c ? mc_pad * j.nc : 0) + 15)
                       / 16 * 16;
    j.scratch = bp_aligned_alloc((size_t)(j.scratch_floats * bp_ctx_workers(ctx)) * sizeof(float));
    if (!j.scratch) return BP_ENOMEM;
    const int rc = bp_parallel_for(ctx->pool, j.m_tiles * j.n_tiles, gemm_task, &j);
    bp_aligned_free(j.scratch);
    return rc;
}

int bp_matmul_f32(const bp_ctx *ctx, const float *a, const float *b, float *c, int64_t m,
                  int64_t n, int64_t k) {
    static const bp_gemm_packers f32 = {pack_a_f32, pack_b_f32, NULL};
    return bp_gemm(ctx, &f32, sizeof(float), a, b, c, m, n, k);
}
