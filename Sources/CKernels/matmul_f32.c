#include "kernels_internal.h"

#include <stdlib.h>
#include <string.h>

// GEMM in the usual layered scheme. A K slice of A and B is packed once, in parallel, into
// k-major micro-panels (mr rows of A, nr columns of B, zero-padded); then tasks, each owning an
// mc x nc tile of C, walk the slice kc at a time and run the register-blocked microkernel over
// every (nr, mr) pair: the B micro-panel is reused from L1 across the mr loop while the A block
// streams from L2. f16 inputs are converted while packing, so one set of microkernels serves
// both element types; f16 sums are kept in an f32 copy of C and rounded once at the end.
// With at most DIRECT_MAX_M rows of A, packing costs more than it saves (B is read once
// either way), so those products stream B directly.

#define KC_MAX 384                      // K per microkernel call
#define MC_TARGET 192                   // rows per compute tile
#define NC_MAX 512                      // columns per compute tile
#define SLICE_BYTES ((int64_t)64 << 20)  // packed A + B per K slice, unless one kc needs more
#define PACK_MIN_TASK (1 << 15)         // floats packed per task at least
#define TILE_MIN_FLOPS ((int64_t)1 << 22)
#define DIRECT_MAX_M 4
#define DIRECT_COLS 1024                // columns per direct-path band (4 KiB of f32 per row)
#define DIRECT_MIN_TASK (1 << 16)       // multiply-adds per direct task at least

// ---- Microkernels: C[mr][nr] (=|+=) sum_k a[k][0..mr) b[k][0..nr) over packed panels ----

typedef void (*ukernel_fn)(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                           int accumulate);

typedef struct {
    ukernel_fn run;
    int mr, nr;
} ukernel;

#define MR_MAX 8   // largest microkernel tile, for the edge-tile buffer
#define NR_MAX 32

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

// 8 x 32: measured at the core's FMA peak from L1/L2-resident panels, like 14 x 32 or 8 x 48,
// and 8 rows make A packing a plain 8 x 8 transpose.
#define AVX512_MR 8
#define AVX512_NR 32

BP_TARGET_AVX512 static void ukr_avx512(int64_t kc, const float *a, const float *b, float *c,
                                        int64_t ldc, int accumulate) {
    __m512 acc[AVX512_MR][2];
    for (int r = 0; r < AVX512_MR; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (int r = 0; r < AVX512_MR; r++) {
        _mm_prefetch((const char *)(c + r * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + r * ldc + 16), _MM_HINT_T0);
    }
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

static ukernel ukernel_for(bp_isa isa) {
    switch (isa) {
#if defined(__x86_64__)
    case BP_ISA_AVX512: return (ukernel){ukr_avx512, AVX512_MR, AVX512_NR};
    case BP_ISA_AVX2: return (ukernel){ukr_avx2, AVX2_MR, AVX2_NR};
#endif
    default: return (ukernel){ukr_portable, P_MR, P_NR};
    }
}

// ---- Packing ----

BP_INLINE float load_elem(const void *p, int f16, int64_t i) {
    return f16 ? bp_f16_to_f32(((const uint16_t *)p)[i]) : ((const float *)p)[i];
}

// `rows` rows of A (row stride lda elements) by kc columns, as consecutive k-major mr-row
// micro-panels of mr * kc floats.
static void pack_a_portable(const void *a, int f16, int64_t lda, int64_t rows, int64_t kc,
                            int mr, float *dst) {
    for (int64_t i = 0; i < rows; i += mr, dst += mr * kc) {
        const int64_t live = rows - i < mr ? rows - i : mr;
        for (int64_t k = 0; k < kc; k++) {
            for (int64_t r = 0; r < live; r++) dst[k * mr + r] = load_elem(a, f16, (i + r) * lda + k);
            for (int64_t r = live; r < mr; r++) dst[k * mr + r] = 0;
        }
    }
}

// kc rows of B (row stride ldb elements) by `cols` columns, as consecutive k-major nr-column
// micro-panels of nr * kc floats.
static void pack_b_portable(const void *b, int f16, int64_t ldb, int64_t cols, int64_t kc,
                            int nr, float *dst) {
    for (int64_t j = 0; j < cols; j += nr, dst += nr * kc) {
        const int64_t live = cols - j < nr ? cols - j : nr;
        for (int64_t k = 0; k < kc; k++) {
            for (int64_t q = 0; q < live; q++) dst[k * nr + q] = load_elem(b, f16, k * ldb + j + q);
            for (int64_t q = live; q < nr; q++) dst[k * nr + q] = 0;
        }
    }
}

#if defined(__x86_64__)
BP_TARGET_AVX2 BP_INLINE __m256 load8(const void *p, int f16, int64_t i) {
    return f16 ? bp_load8_f16_avx2((const uint16_t *)p + i) : _mm256_loadu_ps((const float *)p + i);
}

BP_TARGET_AVX2 BP_INLINE void transpose8(__m256 r[8]) {
    __m256 t[8], s[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 2; i++) {
        s[4 * i + 0] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        s[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xee);
        s[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        s[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xee);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x20);
        r[i + 4] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x31);
    }
}

// Eight k at a time: each block of up to 8 rows is loaded as 8 x 8, transposed, and stored as
// 8 k-vectors (masked to the rows the panel has).
BP_TARGET_AVX2 static void pack_a_avx2(const void *a, int f16, int64_t lda, int64_t rows,
                                       int64_t kc, int mr, float *dst) {
    for (int64_t i = 0; i < rows; i += mr, dst += mr * kc) {
        const int64_t live = rows - i < mr ? rows - i : mr;
        int64_t k = 0;
        for (; k + 8 <= kc; k += 8) {
            for (int h = 0; h < mr; h += 8) {
                const int width = mr - h < 8 ? mr - h : 8;
                __m256 v[8];
                for (int r = 0; r < 8; r++)
                    v[r] = h + r < live ? load8(a, f16, (i + h + r) * lda + k) : _mm256_setzero_ps();
                transpose8(v);
                if (width == 8) {
                    for (int t = 0; t < 8; t++) _mm256_storeu_ps(dst + (k + t) * mr + h, v[t]);
                } else {
                    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(width),
                                                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
                    for (int t = 0; t < 8; t++) _mm256_maskstore_ps(dst + (k + t) * mr + h, mask, v[t]);
                }
            }
        }
        for (; k < kc; k++) {
            for (int64_t r = 0; r < live; r++) dst[k * mr + r] = load_elem(a, f16, (i + r) * lda + k);
            for (int64_t r = live; r < mr; r++) dst[k * mr + r] = 0;
        }
    }
}

BP_TARGET_AVX2 static void pack_b_avx2(const void *b, int f16, int64_t ldb, int64_t cols,
                                       int64_t kc, int nr, float *dst) {
    for (int64_t j = 0; j < cols; j += nr, dst += nr * kc) {
        const int64_t live = cols - j < nr ? cols - j : nr;
        for (int64_t k = 0; k < kc; k++) {
            float *d = dst + k * nr;
            int64_t q = 0;
            for (; q + 8 <= live; q += 8) _mm256_store_ps(d + q, load8(b, f16, k * ldb + j + q));
            for (; q < live; q++) d[q] = load_elem(b, f16, k * ldb + j + q);
            for (; q < nr; q++) d[q] = 0;
        }
    }
}
#endif

// ---- Packed driver ----

typedef struct {
    ukernel uk;
    bp_isa isa;
    int f16;
    const void *a, *b;
    void *c;
    float *cf;        // f32 results: C itself, or the f32 copy of an f16 C
    int64_t m, n, k;
    int64_t kc;       // microkernel K step (whole slices are multiples of it)
    int64_t m_pad, n_pad;
    int64_t s0, slice;  // the K slice being computed: [s0, s0 + slice)
    int last_slice;
    float *pa, *pb;     // packed slice: sub-slice p starts at pa + p * m_pad, pb + p * n_pad
    int64_t a_groups, b_groups, panels_per_group;
    int64_t mc, nc, m_tiles, n_tiles;
} gemm_job;

static void pack_range(const gemm_job *j, int is_a, int64_t first, int64_t count) {
    const int64_t w = is_a ? j->uk.mr : j->uk.nr;
    const size_t es = j->f16 ? 2 : 4;
    for (int64_t p = 0; p < j->slice; p += j->kc) {
        const int64_t kc = j->slice - p < j->kc ? j->slice - p : j->kc;
        const int64_t kk = j->s0 + p;
        const int64_t lo = first * w;
        const int64_t extent = is_a ? j->m : j->n;
        const int64_t live = (first + count) * w < extent ? count * w : extent - lo;
        if (is_a) {
            const void *src = (const char *)j->a + (size_t)(lo * j->k + kk) * es;
            float *dst = j->pa + p * j->m_pad + lo * kc;
            switch (j->isa) {
#if defined(__x86_64__)
            case BP_ISA_AVX512:
            case BP_ISA_AVX2: pack_a_avx2(src, j->f16, j->k, live, kc, j->uk.mr, dst); break;
#endif
            default: pack_a_portable(src, j->f16, j->k, live, kc, j->uk.mr, dst); break;
            }
        } else {
            const void *src = (const char *)j->b + (size_t)(kk * j->n + lo) * es;
            float *dst = j->pb + p * j->n_pad + lo * kc;
            switch (j->isa) {
#if defined(__x86_64__)
            case BP_ISA_AVX512:
            case BP_ISA_AVX2: pack_b_avx2(src, j->f16, j->n, live, kc, j->uk.nr, dst); break;
#endif
            default: pack_b_portable(src, j->f16, j->n, live, kc, j->uk.nr, dst); break;
            }
        }
    }
}

static void pack_task(void *arg, int64_t t, int worker) {
    (void)worker;
    const gemm_job *j = arg;
    const int is_a = t < j->a_groups;
    const int64_t g = is_a ? t : t - j->a_groups;
    const int64_t panels = (is_a ? j->m_pad / j->uk.mr : j->n_pad / j->uk.nr);
    const int64_t first = g * j->panels_per_group;
    const int64_t count = panels - first < j->panels_per_group ? panels - first : j->panels_per_group;
    if (count > 0) pack_range(j, is_a, first, count);
}

static void tile_task(void *arg, int64_t t, int worker) {
    (void)worker;
    const gemm_job *j = arg;
    const ukernel uk = j->uk;
    const int64_t i0 = t / j->n_tiles * j->mc, j0 = t % j->n_tiles * j->nc;
    const int64_t rows = j->m - i0 < j->mc ? j->m - i0 : j->mc;
    const int64_t cols = j->n - j0 < j->nc ? j->n - j0 : j->nc;
    float *c = j->cf + i0 * j->n + j0;
    float edge[MR_MAX * NR_MAX];
    for (int64_t p = 0; p < j->slice; p += j->kc) {
        const int64_t kc = j->slice - p < j->kc ? j->slice - p : j->kc;
        const int accumulate = j->s0 + p > 0;
        const float *pa = j->pa + p * j->m_pad + i0 * kc, *pb = j->pb + p * j->n_pad + j0 * kc;
        for (int64_t jr = 0; jr < cols; jr += uk.nr) {
            const int64_t nr = cols - jr < uk.nr ? cols - jr : uk.nr;
            for (int64_t ir = 0; ir < rows; ir += uk.mr) {
                const int64_t mr = rows - ir < uk.mr ? rows - ir : uk.mr;
                float *cp = c + ir * j->n + jr;
                if (mr == uk.mr && nr == uk.nr) {
                    uk.run(kc, pa + ir * kc, pb + jr * kc, cp, j->n, accumulate);
                    continue;
                }
                uk.run(kc, pa + ir * kc, pb + jr * kc, edge, uk.nr, 0);
                for (int64_t r = 0; r < mr; r++)
                    for (int64_t q = 0; q < nr; q++)
                        cp[r * j->n + q] = (accumulate ? cp[r * j->n + q] : 0) + edge[r * uk.nr + q];
            }
        }
    }
    if (j->f16 && j->last_slice)
        for (int64_t r = 0; r < rows; r++)
            bp_f32_to_f16_row(j->isa, c + r * j->n, (uint16_t *)j->c + (i0 + r) * j->n + j0, cols);
}

static int gemm_packed(const bp_ctx *ctx, int f16, const void *a, const void *b, void *c,
                       int64_t m, int64_t n, int64_t k) {
    gemm_job j = {.uk = ukernel_for(ctx->isa), .isa = ctx->isa, .f16 = f16, .a = a, .b = b,
                  .c = c, .m = m, .n = n, .k = k};
    const int mr = j.uk.mr, nr = j.uk.nr;
    j.m_pad = (m + mr - 1) / mr * mr;
    j.n_pad = (n + nr - 1) / nr * nr;
    // Equal kc steps (multiples of 8, for the packing transposes) rather than a short last one.
    const int64_t steps = (k + KC_MAX - 1) / KC_MAX;
    j.kc = ((k + steps - 1) / steps + 7) / 8 * 8;
    int64_t slice = SLICE_BYTES / (int64_t)sizeof(float) / (j.m_pad + j.n_pad) / j.kc * j.kc;
    if (slice < j.kc) slice = j.kc;
    if (slice > k) slice = k;

    // Compute tiles: about MC_TARGET rows (balanced so the last is not a sliver) by NC_MAX
    // columns, narrowed until every worker has several tiles.
    j.m_tiles = (m + MC_TARGET - 1) / MC_TARGET;
    j.mc = ((m + j.m_tiles - 1) / j.m_tiles + mr - 1) / mr * mr;
    j.m_tiles = (m + j.mc - 1) / j.mc;
    const int64_t want = bp_task_count(ctx, 2 * m * n * k, TILE_MIN_FLOPS);
    j.nc = NC_MAX < j.n_pad ? NC_MAX : j.n_pad;
    while (j.m_tiles * ((n + j.nc - 1) / j.nc) < want && j.nc >= 4 * nr) j.nc = (j.nc / 2 + nr - 1) / nr * nr;
    j.n_tiles = (n + j.nc - 1) / j.nc;

    // Each region starts on a cache line: the microkernels load B panels with aligned loads.
    const int64_t a_floats = (j.m_pad * slice + 15) / 16 * 16;
    const int64_t pack_floats = a_floats + (j.n_pad * slice + 15) / 16 * 16;
    const int64_t cf_floats = f16 ? m * n : 0;
    // Kept in the pool between calls: allocating and faulting in multi-MiB packing buffers inside
    // every timed call cost ~15 % of a 1024^3 matmul. Without a pool the call owns its scratch.
    const size_t scratch_bytes = (size_t)(pack_floats + cf_floats) * sizeof(float);
    bp_scratch mem = {0};
    float *scratch = ctx->pool ? bp_pool_scratch(ctx->pool, scratch_bytes) : bp_scratch_alloc(&mem, scratch_bytes);
    if (!scratch) return BP_ENOMEM;
    j.pa = scratch;
    j.pb = scratch + a_floats;
    j.cf = f16 ? scratch + pack_floats : (float *)c;

    const int64_t panels = j.m_pad / mr + j.n_pad / nr;
    const int64_t groups = bp_task_count(ctx, pack_floats, PACK_MIN_TASK);
    j.panels_per_group = (panels + groups - 1) / groups;
    j.a_groups = (j.m_pad / mr + j.panels_per_group - 1) / j.panels_per_group;
    j.b_groups = (j.n_pad / nr + j.panels_per_group - 1) / j.panels_per_group;

    int rc = BP_OK;
    for (j.s0 = 0; j.s0 < k && rc == BP_OK; j.s0 += slice) {
        j.slice = k - j.s0 < slice ? k - j.s0 : slice;
        j.last_slice = j.s0 + j.slice >= k;
        rc = bp_parallel_for(ctx->pool, j.a_groups + j.b_groups, pack_task, &j);
        if (rc == BP_OK) rc = bp_parallel_for(ctx->pool, j.m_tiles * j.n_tiles, tile_task, &j);
    }
    if (!ctx->pool) bp_scratch_free(&mem);
    return rc;
}

// ---- Direct path for a few rows of A: C[r][cols] = sum_k A[r][k] B[k][cols] ----
//
// A task owns a band of up to DIRECT_COLS columns over a range of K and walks B four rows at a
// time, so B streams through memory in address order and the band of sums stays in L1. When
// there are too few bands to go round, K is split as well and the per-range sums are added in
// range order afterwards.

typedef struct {
    bp_isa isa;
    int f16;
    const void *a, *b;
    void *c;
    int64_t m, n, k;
    int64_t bands, k_chunk, k_chunks;
    float *partial;  // [k_chunks][m][n] when k_chunks > 1
} direct_job;

static void direct_portable(const direct_job *j, int64_t k0, int64_t k1, int64_t c0, int64_t w,
                            float acc[][DIRECT_COLS]) {
    for (int64_t k = k0; k < k1; k++) {
        for (int64_t r = 0; r < j->m; r++) {
            const float av = load_elem(j->a, j->f16, r * j->k + k);
            for (int64_t q = 0; q < w; q++) acc[r][q] += av * load_elem(j->b, j->f16, k * j->n + c0 + q);
        }
    }
}

#if defined(__x86_64__)
BP_TARGET_AVX2 static void direct_avx2(const direct_job *j, int64_t k0, int64_t k1, int64_t c0,
                                       int64_t w, float acc[][DIRECT_COLS]) {
    const int64_t wv = w / 8 * 8;
    for (int64_t k = k0; k < k1; k += 4) {
        const int kn = k1 - k < 4 ? (int)(k1 - k) : 4;
        __m256 av[DIRECT_MAX_M][4];
        for (int64_t r = 0; r < j->m; r++)
            for (int t = 0; t < kn; t++) av[r][t] = _mm256_set1_ps(load_elem(j->a, j->f16, r * j->k + k + t));
        for (int64_t q = 0; q < wv; q += 8) {
            __m256 bv[4];
            for (int t = 0; t < kn; t++) bv[t] = load8(j->b, j->f16, (k + t) * j->n + c0 + q);
            for (int64_t r = 0; r < j->m; r++) {
                __m256 s = _mm256_load_ps(&acc[r][q]);
                for (int t = 0; t < kn; t++) s = _mm256_fmadd_ps(av[r][t], bv[t], s);
                _mm256_store_ps(&acc[r][q], s);
            }
        }
        for (int64_t q = wv; q < w; q++)
            for (int64_t r = 0; r < j->m; r++)
                for (int t = 0; t < kn; t++)
                    acc[r][q] += load_elem(j->a, j->f16, r * j->k + k + t) *
                                 load_elem(j->b, j->f16, (k + t) * j->n + c0 + q);
    }
}

BP_TARGET_AVX512 BP_INLINE __m512 load16_masked(const void *p, int f16, int64_t i, __mmask16 mask) {
    return f16 ? _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask, (const uint16_t *)p + i))
               : _mm512_maskz_loadu_ps(mask, (const float *)p + i);
}

BP_TARGET_AVX512 static void direct_avx512(const direct_job *j, int64_t k0, int64_t k1,
                                           int64_t c0, int64_t w, float acc[][DIRECT_COLS]) {
    for (int64_t k = k0; k < k1; k += 4) {
        const int kn = k1 - k < 4 ? (int)(k1 - k) : 4;
        __m512 av[DIRECT_MAX_M][4];
        for (int64_t r = 0; r < j->m; r++)
            for (int t = 0; t < kn; t++) av[r][t] = _mm512_set1_ps(load_elem(j->a, j->f16, r * j->k + k + t));
        for (int64_t q = 0; q < w; q += 16) {
            const __mmask16 mask = w - q >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (w - q)) - 1);
            __m512 bv[4];
            for (int t = 0; t < kn; t++) bv[t] = load16_masked(j->b, j->f16, (k + t) * j->n + c0 + q, mask);
            for (int64_t r = 0; r < j->m; r++) {
                __m512 s = _mm512_load_ps(&acc[r][q]);
                for (int t = 0; t < kn; t++) s = _mm512_fmadd_ps(av[r][t], bv[t], s);
                _mm512_store_ps(&acc[r][q], s);
            }
        }
    }
}
#endif

static void direct_task(void *arg, int64_t t, int worker) {
    (void)worker;
    const direct_job *j = arg;
    const int64_t chunk = t / j->bands, c0 = t % j->bands * DIRECT_COLS;
    const int64_t w = j->n - c0 < DIRECT_COLS ? j->n - c0 : DIRECT_COLS;
    const int64_t k0 = chunk * j->k_chunk, k1 = k0 + j->k_chunk < j->k ? k0 + j->k_chunk : j->k;
    _Alignas(64) float acc[DIRECT_MAX_M][DIRECT_COLS];
    for (int64_t r = 0; r < j->m; r++) memset(acc[r], 0, (size_t)(w + 15) / 16 * 16 * sizeof(float));
    switch (j->isa) {
#if defined(__x86_64__)
    case BP_ISA_AVX512: direct_avx512(j, k0, k1, c0, w, acc); break;
    case BP_ISA_AVX2: direct_avx2(j, k0, k1, c0, w, acc); break;
#endif
    default: direct_portable(j, k0, k1, c0, w, acc); break;
    }
    for (int64_t r = 0; r < j->m; r++) {
        if (j->k_chunks > 1)
            memcpy(j->partial + (chunk * j->m + r) * j->n + c0, acc[r], (size_t)w * sizeof(float));
        else if (j->f16)
            bp_f32_to_f16_row(j->isa, acc[r], (uint16_t *)j->c + r * j->n + c0, w);
        else
            memcpy((float *)j->c + r * j->n + c0, acc[r], (size_t)w * sizeof(float));
    }
}

static int gemm_direct(const bp_ctx *ctx, int f16, const void *a, const void *b, void *c,
                       int64_t m, int64_t n, int64_t k) {
    direct_job j = {.isa = ctx->isa, .f16 = f16, .a = a, .b = b, .c = c, .m = m, .n = n, .k = k};
    j.bands = (n + DIRECT_COLS - 1) / DIRECT_COLS;
    const int64_t want = bp_task_count(ctx, m * n * k, DIRECT_MIN_TASK);
    j.k_chunks = (want + j.bands - 1) / j.bands;
    j.k_chunk = ((k + j.k_chunks - 1) / j.k_chunks + 3) / 4 * 4;
    j.k_chunks = (k + j.k_chunk - 1) / j.k_chunk;
    if (j.k_chunks > 1) {
        j.partial = malloc((size_t)(j.k_chunks * m * n) * sizeof(float));
        if (!j.partial) return BP_ENOMEM;
    }
    const int rc = bp_parallel_for(ctx->pool, j.k_chunks * j.bands, direct_task, &j);
    if (rc == BP_OK && j.k_chunks > 1) {
        float *sum = j.partial;  // chunk 0's sums, accumulated in place
        for (int64_t ch = 1; ch < j.k_chunks; ch++)
            for (int64_t i = 0; i < m * n; i++) sum[i] += j.partial[ch * m * n + i];
        if (f16)
            bp_f32_to_f16_row(ctx->isa, sum, c, m * n);
        else
            memcpy(c, sum, (size_t)(m * n) * sizeof(float));
    }
    free(j.partial);
    return rc;
}

int bp_gemm(const bp_ctx *ctx, int f16, const void *a, const void *b, void *c, int64_t m,
            int64_t n, int64_t k) {
    if (!bp_ctx_ok(ctx) || !a || !b || !c || m < 1 || n < 1 || k < 1) return BP_EINVAL;
    if (m <= DIRECT_MAX_M) return gemm_direct(ctx, f16, a, b, c, m, n, k);
    return gemm_packed(ctx, f16, a, b, c, m, n, k);
}

int bp_matmul_f32(const bp_ctx *ctx, const float *a, const float *b, float *c, int64_t m,
                  int64_t n, int64_t k) {
    return bp_gemm(ctx, 0, a, b, c, m, n, k);
}
