// C[M][N] = A[M][K] . B[K][N], f32, row-major. Block tile 128 x 128, K tile 8, 256 threads,
// 8 x 8 outputs per thread (two 4 x 4 quadrants 64 apart, so shared-memory reads are float4 and
// conflict-free). The next K tile is loaded into registers while the current one is multiplied.
// Loads are guarded element by element (any M, N, K, any alignment); out-of-range elements
// load as 0 and out-of-range outputs are not written.
#include "common.cuh"

#define MF_BM 128
#define MF_BN 128
#define MF_BK 8

extern "C" __global__ void __launch_bounds__(256)
bp_matmul_f32(const float *__restrict__ A, const float *__restrict__ B, float *__restrict__ C,
              int M, int N, int K) {
    __shared__ __align__(16) float As[2][MF_BK][MF_BM];  // A tile, transposed (k-major)
    __shared__ __align__(16) float Bs[2][MF_BK][MF_BN];

    const int tid = threadIdx.x;
    const int tx = tid % 16, ty = tid / 16;
    const long long m0 = (long long)blockIdx.y * MF_BM, n0 = (long long)blockIdx.x * MF_BN;

    // Loader coordinates: A element (m0 + a_row + 32 r, k0 + a_col); B (k0 + b_row + 2 r, n0 + b_col).
    const int a_row = tid / 8, a_col = tid % 8;
    const int b_row = tid / 128, b_col = tid % 128;

    float ra[4], rb[4];
    auto load = [&](int k0) {
#pragma unroll
        for (int r = 0; r < 4; r++) {
            const long long m = m0 + a_row + 32 * r;
            const int k = k0 + a_col;
            ra[r] = (m < M && k < K) ? __ldg(A + m * K + k) : 0.0f;
            const int kb = k0 + b_row + 2 * r;
            const long long n = n0 + b_col;
            rb[r] = (kb < K && n < N) ? __ldg(B + (long long)kb * N + n) : 0.0f;
        }
    };
    auto store = [&](int s) {
#pragma unroll
        for (int r = 0; r < 4; r++) {
            As[s][a_col][a_row + 32 * r] = ra[r];
            Bs[s][b_row + 2 * r][b_col] = rb[r];
        }
    };

    float acc[8][8];
#pragma unroll
    for (int i = 0; i < 8; i++)
#pragma unroll
        for (int j = 0; j < 8; j++) acc[i][j] = 0.0f;

    const int ktiles = (K + MF_BK - 1) / MF_BK;
    load(0);
    store(0);
    __syncthreads();
    for (int kt = 0; kt < ktiles; kt++) {
        const int s = kt & 1;
        if (kt + 1 < ktiles) load((kt + 1) * MF_BK);
#pragma unroll
        for (int kk = 0; kk < MF_BK; kk++) {
            float a[8], b[8];
            const float4 a0 = *reinterpret_cast<const float4 *>(&As[s][kk][ty * 4]);
            const float4 a1 = *reinterpret_cast<const float4 *>(&As[s][kk][64 + ty * 4]);
            const float4 b0 = *reinterpret_cast<const float4 *>(&Bs[s][kk][tx * 4]);
            const float4 b1 = *reinterpret_cast<const float4 *>(&Bs[s][kk][64 + tx * 4]);
            a[0] = a0.x; a[1] = a0.y; a[2] = a0.z; a[3] = a0.w;
            a[4] = a1.x; a[5] = a1.y; a[6] = a1.z; a[7] = a1.w;
            b[0] = b0.x; b[1] = b0.y; b[2] = b0.z; b[3] = b0.w;
            b[4] = b1.x; b[5] = b1.y; b[6] = b1.z; b[7] = b1.w;
#pragma unroll
            for (int i = 0; i < 8; i++)
#pragma unroll
                for (int j = 0; j < 8; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        if (kt + 1 < ktiles) {
            store(s ^ 1);  // the other buffer was last read before the previous barrier
            __syncthreads();
        }
    }

    const bool vec = (N % 4 == 0) && bp_aligned16(C);
#pragma unroll
    for (int i = 0; i < 8; i++) {
        const long long m = m0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + i - 4);
        if (m >= M) continue;
#pragma unroll
        for (int h = 0; h < 2; h++) {
            const long long n = n0 + h * 64 + tx * 4;
            float *dst = C + m * N + n;
            if (vec && n + 3 < N) {
                *reinterpret_cast<float4 *>(dst) =
                    make_float4(acc[i][4 * h], acc[i][4 * h + 1], acc[i][4 * h + 2], acc[i][4 * h + 3]);
            } else {
#pragma unroll
                for (int j = 0; j < 4; j++)
                    if (n + j < N) dst[j] = acc[i][4 * h + j];
            }
        }
    }
}
