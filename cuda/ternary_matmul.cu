// BitLinear W1.58A8: Y[M][N] = (sum_k Xq[m][k] * W[n][k]) * gamma / x_scales[m].
//
// Xq is int8 row-major [M][K]; W is packed bp-i2-g128 (row n at byte n * ceil(K/128) * 32, see
// bp_ternary_decode.h). Sums are exact int32: each 32-bit word of packed bytes j..j+3 of a group
// is "fixed" (0b11 -> 0b01), shifted by 2i and masked to four byte-codes c = w + 1 in {0,1,2},
// which line up with the four activations x[128g + 32i + j .. j+3]; __dp4a adds sum c x and the
// row's sum x is subtracted once at the end: sum w x = sum c x - sum x. Activations past K are
// zero so padding codes add nothing. Arithmetic wraps mod 2^32 (the final value fits in int32
// for K <= 2^23), like the CPU kernel. y = ((float)acc * gamma) / x_scales[m] in f32, exactly as
// the CPU computes it. acc (the int32 sums, [M][N]) may be NULL.
#include "common.cuh"

// ---- GEMV-shaped path: one warp per weight row, several rows per block ------------------------

#define TG_WARPS 8
#define TG_ROWS_PER_WARP 2
#define TG_ROWS (TG_WARPS * TG_ROWS_PER_WARP)  // 16 weight rows per block
#define TG_KCH 16384                            // activations per shared-memory chunk
#define TG_UNROLL 2                             // 16-byte weight loads in flight per lane per row

extern "C" __global__ void __launch_bounds__(TG_WARPS * 32, 4)  // <= 64 registers: 4 blocks (32 warps) per SM
bp_ternary_gemv(const signed char *__restrict__ xq, const float *__restrict__ x_scales,
                const unsigned char *__restrict__ w, float gamma, float *__restrict__ y,
                int *__restrict__ acc, int M, int N, int K) {
    __shared__ __align__(16) signed char xs[TG_KCH];
    __shared__ unsigned red[TG_WARPS];

    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int m = blockIdx.y;
    const long long n_first = (long long)blockIdx.x * TG_ROWS + warp * TG_ROWS_PER_WARP;
    const long long kp = ((long long)K + 127) / 128 * 128;  // padded K
    const long long row_bytes = kp / 4;
    const signed char *x = xq + (long long)m * K;
    const bool xvec = bp_aligned16(xq) && (K % 16 == 0);

    unsigned sx = 0;  // this thread's share of sum x
    unsigned sums[TG_ROWS_PER_WARP];
#pragma unroll
    for (int r = 0; r < TG_ROWS_PER_WARP; r++) sums[r] = 0;

    for (long long kc = 0; kc < kp; kc += TG_KCH) {
        const int len = (int)min((long long)TG_KCH, kp - kc);  // a multiple of 128
        const int nvec = len / 64;                                // 16-byte weight vectors per row here
        const uint4 *wrow[TG_ROWS_PER_WARP];
        bool rok[TG_ROWS_PER_WARP];
#pragma unroll
        for (int r = 0; r < TG_ROWS_PER_WARP; r++) {
            rok[r] = n_first + r < N;
            wrow[r] = reinterpret_cast<const uint4 *>(w + (rok[r] ? n_first + r : 0) * row_bytes + kc / 4);
        }
        // The first batch of weight loads does not depend on the activations: issue it before
        // staging them, so both latencies overlap.
        uint4 p[TG_ROWS_PER_WARP][TG_UNROLL];
        auto load_batch = [&](int v0) {
#pragma unroll
            for (int u = 0; u < TG_UNROLL; u++)
#pragma unroll
                for (int r = 0; r < TG_ROWS_PER_WARP; r++)
                    p[r][u] = (rok[r] && v0 + 32 * u < nvec) ? __ldg(wrow[r] + v0 + 32 * u) : make_uint4(0, 0, 0, 0);
        };
        load_batch(lane);

        __syncthreads();  // the previous chunk's activations are consumed
        for (int o = tid * 16; o < len; o += TG_WARPS * 32 * 16) {
            const long long gk = kc + o;
            uint4 v;
            if (xvec && gk + 16 <= K) {
                v = __ldg(reinterpret_cast<const uint4 *>(x + gk));
            } else {
                unsigned b[4] = {0, 0, 0, 0};
#pragma unroll
                for (int e = 0; e < 16; e++)
                    if (gk + e < K) b[e / 4] |= (unsigned)(unsigned char)x[gk + e] << (8 * (e % 4));
                v = make_uint4(b[0], b[1], b[2], b[3]);
            }
            sx += (unsigned)__dp4a((int)v.x, 0x01010101, 0) + (unsigned)__dp4a((int)v.y, 0x01010101, 0) +
                  (unsigned)__dp4a((int)v.z, 0x01010101, 0) + (unsigned)__dp4a((int)v.w, 0x01010101, 0);
            *reinterpret_cast<uint4 *>(xs + o) = v;
        }
        __syncthreads();

        for (int v0 = lane; v0 < nvec; v0 += 32 * TG_UNROLL) {
            if (v0 != lane) load_batch(v0);
#pragma unroll
            for (int u = 0; u < TG_UNROLL; u++) {
                const int vv = v0 + 32 * u;
                if (vv >= nvec) break;
                // Bytes 16 vv .. 16 vv + 15 of the chunk: group vv / 2, bytes j0 = 16 (vv & 1) ..
                const int xbase = (vv >> 1) * 128 + (vv & 1) * 16;
                unsigned fixed[TG_ROWS_PER_WARP][4];
#pragma unroll
                for (int r = 0; r < TG_ROWS_PER_WARP; r++) {
                    fixed[r][0] = bp_tern_fix_word(p[r][u].x);
                    fixed[r][1] = bp_tern_fix_word(p[r][u].y);
                    fixed[r][2] = bp_tern_fix_word(p[r][u].z);
                    fixed[r][3] = bp_tern_fix_word(p[r][u].w);
                }
#pragma unroll
                for (int i = 0; i < 4; i++) {
                    const uint4 xv = *reinterpret_cast<const uint4 *>(xs + xbase + 32 * i);
#pragma unroll
                    for (int r = 0; r < TG_ROWS_PER_WARP; r++) {
                        int s = (int)sums[r];
                        s = __dp4a((int)bp_tern_codes(fixed[r][0], i), (int)xv.x, s);
                        s = __dp4a((int)bp_tern_codes(fixed[r][1], i), (int)xv.y, s);
                        s = __dp4a((int)bp_tern_codes(fixed[r][2], i), (int)xv.z, s);
                        s = __dp4a((int)bp_tern_codes(fixed[r][3], i), (int)xv.w, s);
                        sums[r] = (unsigned)s;
                    }
                }
            }
        }
    }

    // sum x over the whole row: warp sums, then the block's.
    for (int o = 16; o > 0; o >>= 1) sx += __shfl_xor_sync(BP_FULL_MASK, sx, o);
    if (lane == 0) red[warp] = sx;
    __syncthreads();
    unsigned total_x = 0;
#pragma unroll
    for (int i = 0; i < TG_WARPS; i++) total_x += red[i];

#pragma unroll
    for (int r = 0; r < TG_ROWS_PER_WARP; r++) {
        unsigned s = sums[r];
        for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(BP_FULL_MASK, s, o);
        const long long n = n_first + r;
        if (lane == 0 && n < N) {
            const int a = (int)(s - total_x);
            const long long off = (long long)m * N + n;
            if (acc) acc[off] = a;
            y[off] = (float)a * gamma / x_scales[m];
        }
    }
}

// ---- GEMM path: 64 x 64 output tiles, one K group (128) per step -------------------------------
//
// Per group the block stages X[64][128] (int8) and the 64 weight rows decoded to byte codes
// c in {0,1,2} (W[64][128]) in shared memory (rows padded to 144 bytes: 16-byte aligned, and
// conflict-free 16-byte reads), then each thread accumulates a 4 x 4 block of outputs (rows
// ty + 16a, columns tx + 16b) with 16-byte shared loads and __dp4a.

#define TT_BM 64
#define TT_BN 64
#define TT_STRIDE 144

extern "C" __global__ void __launch_bounds__(256)
bp_ternary_gemm(const signed char *__restrict__ xq, const float *__restrict__ x_scales,
                const unsigned char *__restrict__ w, float gamma, float *__restrict__ y,
                int *__restrict__ acc, int M, int N, int K) {
    __shared__ __align__(16) unsigned char Xs[TT_BM * TT_STRIDE];
    __shared__ __align__(16) unsigned char Ws[TT_BN * TT_STRIDE];
    __shared__ unsigned sxs[TT_BM];

    const int tid = threadIdx.x, tx = tid & 15, ty = tid >> 4;
    const long long m0 = (long long)blockIdx.y * TT_BM, n0 = (long long)blockIdx.x * TT_BN;
    const int groups = (K + 127) / 128;
    const long long row_bytes = (long long)groups * 32;
    const bool xvec = bp_aligned16(xq) && (K % 16 == 0);

    if (tid < TT_BM) sxs[tid] = 0;
    unsigned sums[4][4];
#pragma unroll
    for (int a = 0; a < 4; a++)
#pragma unroll
        for (int b = 0; b < 4; b++) sums[a][b] = 0;

    for (int g = 0; g < groups; g++) {
        const long long k0 = (long long)g * 128;
        __syncthreads();  // previous group's tiles are consumed (and sxs is initialised)
#pragma unroll
        for (int it = 0; it < 2; it++) {
            const int id = tid + 256 * it;
            {  // X: 64 rows x 8 chunks of 16 bytes
                const int r = id >> 3, c = id & 7;
                const long long gm = m0 + r, gk = k0 + 16 * c;
                uint4 v = make_uint4(0, 0, 0, 0);
                if (gm < M) {
                    const signed char *src = xq + gm * K + gk;
                    if (xvec && gk + 16 <= K) {
                        v = __ldg(reinterpret_cast<const uint4 *>(src));
                    } else {
                        unsigned b[4] = {0, 0, 0, 0};
#pragma unroll
                        for (int e = 0; e < 16; e++)
                            if (gk + e < K) b[e / 4] |= (unsigned)(unsigned char)src[e] << (8 * (e % 4));
                        v = make_uint4(b[0], b[1], b[2], b[3]);
                    }
                    const unsigned s = (unsigned)__dp4a((int)v.x, 0x01010101, 0) + (unsigned)__dp4a((int)v.y, 0x01010101, 0) +
                                       (unsigned)__dp4a((int)v.z, 0x01010101, 0) + (unsigned)__dp4a((int)v.w, 0x01010101, 0);
                    atomicAdd(&sxs[r], s);
                }
                *reinterpret_cast<uint4 *>(Xs + r * TT_STRIDE + 16 * c) = v;
            }
            {  // W: 64 rows x 8 words of packed codes -> 4 code words each
                const int r = id >> 3, q = id & 7;
                const long long gn = n0 + r;
                unsigned word = 0;
                if (gn < N) word = bp_tern_fix_word(__ldg(reinterpret_cast<const unsigned *>(w + gn * row_bytes + g * 32) + q));
#pragma unroll
                for (int i = 0; i < 4; i++)
                    *reinterpret_cast<unsigned *>(Ws + r * TT_STRIDE + 32 * i + 4 * q) = bp_tern_codes(word, i);
            }
        }
        __syncthreads();
#pragma unroll 2
        for (int kk = 0; kk < 128; kk += 16) {
            uint4 xv[4], wv[4];
#pragma unroll
            for (int a = 0; a < 4; a++) xv[a] = *reinterpret_cast<const uint4 *>(Xs + (ty + 16 * a) * TT_STRIDE + kk);
#pragma unroll
            for (int b = 0; b < 4; b++) wv[b] = *reinterpret_cast<const uint4 *>(Ws + (tx + 16 * b) * TT_STRIDE + kk);
#pragma unroll
            for (int a = 0; a < 4; a++)
#pragma unroll
                for (int b = 0; b < 4; b++) {
                    int s = (int)sums[a][b];
                    s = __dp4a((int)xv[a].x, (int)wv[b].x, s);
                    s = __dp4a((int)xv[a].y, (int)wv[b].y, s);
                    s = __dp4a((int)xv[a].z, (int)wv[b].z, s);
                    s = __dp4a((int)xv[a].w, (int)wv[b].w, s);
                    sums[a][b] = (unsigned)s;
                }
        }
    }
    __syncthreads();

#pragma unroll
    for (int a = 0; a < 4; a++) {
        const long long m = m0 + ty + 16 * a;
        if (m >= M) continue;
        const unsigned sx = sxs[ty + 16 * a];
        const float sc = x_scales[m];
#pragma unroll
        for (int b = 0; b < 4; b++) {
            const long long n = n0 + tx + 16 * b;
            if (n >= N) continue;
            const int v = (int)(sums[a][b] - sx);
            const long long off = m * N + n;
            if (acc) acc[off] = v;
            y[off] = (float)v * gamma / sc;
        }
    }
}
