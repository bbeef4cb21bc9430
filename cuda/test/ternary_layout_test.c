// Host-side check of the CUDA ternary kernels' index math and decode (no GPU needed).
// Emulates, in plain C, exactly the per-lane / per-thread arithmetic of bp_ternary_gemv,
// bp_ternary_gemm and bp_quantize_weights_pack_* (cuda/*.cu) with the shared helpers of
// cuda/bp_ternary_decode.h, and compares with the CPU reference (bp_ternary_pack_row /
// bp_ternary_unpack_row from Sources/CKernels) on random shapes, including the malformed code
// 0b11 and K not a multiple of 128.
//   cc -O2 -Wall -I Sources/CKernels/include -I Sources/CKernels -I cuda
//      cuda/test/ternary_layout_test.c Sources/CKernels/ternary_pack.c -o /tmp/tlt; /tmp/tlt
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitprobe_kernels.h"
#include "bp_ternary_decode.h"

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(void) {
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}
static uint32_t ld32(const void *p) { uint32_t v; memcpy(&v, p, 4); return v; }

// bp_ternary_gemv for one (m, n): chunking, lanes, 16-byte vectors, sum c x - sum x.
static int32_t gemv_emul(const int8_t *x, const uint8_t *w, int K, int kch) {
    const long long kp = ((long long)K + 127) / 128 * 128;
    uint32_t sx = 0, lanes[32] = {0};
    int8_t *xs = calloc((size_t)kch, 1);
    for (long long kc = 0; kc < kp; kc += kch) {
        const int len = (int)(kch < kp - kc ? kch : kp - kc);
        for (int o = 0; o < len; o += 16) {  // fill, any thread order
            uint32_t b[4] = {0, 0, 0, 0};
            for (int e = 0; e < 16; e++)
                if (kc + o + e < K) b[e / 4] |= (uint32_t)(uint8_t)x[kc + o + e] << (8 * (e % 4));
            for (int q = 0; q < 4; q++) {
                sx += (uint32_t)bp_dp4a_emul(b[q], 0x01010101u, 0);
                memcpy(xs + o + 4 * q, &b[q], 4);
            }
        }
        const int nvec = len / 64;
        const uint8_t *wrow = w + kc / 4;
        for (int lane = 0; lane < 32; lane++)
            for (int vv = lane; vv < nvec; vv += 32) {
                const uint8_t *p = wrow + 16 * vv;
                const int xbase = (vv >> 1) * 128 + (vv & 1) * 16;
                for (int i = 0; i < 4; i++)
                    for (int q = 0; q < 4; q++)
                        lanes[lane] = (uint32_t)bp_dp4a_emul(bp_tern_codes(bp_tern_fix_word(ld32(p + 4 * q)), i),
                                                             ld32(xs + xbase + 32 * i + 4 * q), (int32_t)lanes[lane]);
            }
    }
    free(xs);
    uint32_t s = 0;
    for (int l = 0; l < 32; l++) s += lanes[l];
    return (int32_t)(s - sx);
}

// bp_ternary_gemm for one (m, n): per group, X tile bytes and decoded W tile codes.
static int32_t gemm_emul(const int8_t *x, const uint8_t *w, int K) {
    const int groups = (K + 127) / 128;
    uint32_t sum = 0, sx = 0;
    uint8_t Xs[128], Ws[128];
    for (int g = 0; g < groups; g++) {
        const long long k0 = (long long)g * 128;
        for (int c = 0; c < 8; c++) {
            uint32_t b[4] = {0, 0, 0, 0};
            for (int e = 0; e < 16; e++)
                if (k0 + 16 * c + e < K) b[e / 4] |= (uint32_t)(uint8_t)x[k0 + 16 * c + e] << (8 * (e % 4));
            for (int q = 0; q < 4; q++) { sx += (uint32_t)bp_dp4a_emul(b[q], 0x01010101u, 0); memcpy(Xs + 16 * c + 4 * q, &b[q], 4); }
        }
        for (int q = 0; q < 8; q++) {
            const uint32_t word = bp_tern_fix_word(ld32(w + g * 32 + 4 * q));
            for (int i = 0; i < 4; i++) { const uint32_t c = bp_tern_codes(word, i); memcpy(Ws + 32 * i + 4 * q, &c, 4); }
        }
        for (int kk = 0; kk < 128; kk += 4) sum = (uint32_t)bp_dp4a_emul(ld32(Xs + kk), ld32(Ws + kk), (int32_t)sum);
    }
    return (int32_t)(sum - sx);
}

// bp_quantize_weights_pack_*: warp per (row, group), lane = byte; code from a threshold.
static void pack_emul(const int8_t *wv, int rows, int cols, uint8_t *packed) {
    const long long groups = ((long long)cols + 127) / 128;
    for (long long wi = 0; wi < rows * groups; wi++)
        for (int lane = 0; lane < 32; lane++) {
            const long long r = wi / groups, g = wi % groups;
            unsigned byte = 0;
            for (int i = 0; i < 4; i++) {
                const long long k = g * 128 + 32 * i + lane;
                const unsigned c = k < cols ? (unsigned)(wv[r * cols + k] + 1) : 1u;
                byte |= c << (2 * i);
            }
            packed[wi * 32 + lane] = (uint8_t)byte;
        }
}

int main(void) {
    int fails = 0, cases = 0;
    const int ks[] = {1, 5, 31, 32, 100, 127, 128, 129, 255, 256, 300, 1000, 4096, 5000, 40000};
    for (size_t t = 0; t < sizeof ks / sizeof ks[0]; t++) {
        const int K = ks[t], rows = 3;
        const int64_t rb = bp_ternary_row_bytes(K);
        int8_t *wv = malloc((size_t)rows * K), *x = malloc((size_t)K), *dec = malloc((size_t)K);
        uint8_t *ref = malloc((size_t)(rows * rb)), *mine = malloc((size_t)(rows * rb));
        for (int i = 0; i < rows * K; i++) wv[i] = (int8_t)((int)(rnd() % 3) - 1);
        for (int i = 0; i < K; i++) x[i] = (int8_t)(rnd() & 0xff);
        if (t % 3 == 0) for (int i = 0; i < K; i++) x[i] = -128;  // extreme activations
        for (int r = 0; r < rows; r++) bp_ternary_pack_row(wv + r * K, K, ref + r * rb);
        pack_emul(wv, rows, K, mine);
        cases++;
        if (memcmp(ref, mine, (size_t)(rows * rb))) { printf("pack mismatch K=%d\n", K); fails++; }
        // Corrupt a few codes to 0b11 (decodes as 0 on the CPU) in row 2.
        for (int i = 0; i < 5; i++) ref[2 * rb + rnd() % rb] |= (uint8_t)(3u << (2 * (rnd() % 4)));
        for (int r = 0; r < rows; r++) {
            bp_ternary_unpack_row(ref + r * rb, K, dec);
            int64_t want = 0;
            for (int i = 0; i < K; i++) want += (int64_t)dec[i] * x[i];
            const int32_t gv = gemv_emul(x, ref + r * rb, K, 16384), gv2 = gemv_emul(x, ref + r * rb, K, 512);
            const int32_t gm = gemm_emul(x, ref + r * rb, K);
            cases++;
            if (gv != want || gv2 != want || gm != want) {
                printf("K=%d row %d: want %lld gemv %d gemv(kch 512) %d gemm %d\n", K, r, (long long)want, gv, gv2, gm);
                fails++;
            }
        }
        free(wv); free(x); free(dec); free(ref); free(mine);
    }
    printf("%d cases, %d failures\n", cases, fails);
    return fails != 0;
}
