// C[M][N] = A[M][K] . B[K][N] with f16 or bf16 inputs on tensor cores, f32 accumulation, C
// rounded once to f16 / bf16 (round to nearest even), all row-major.
//
// Block tile 128 x 128, K tile 32, 256 threads = 8 warps in a 2 (M) x 4 (N) grid, each warp
// 64 x 32 of C as 4 x 4 mma.sync.m16n8k16 tiles (64 f32 accumulators per thread). Operand
// tiles stream through a STAGES-deep ring of shared-memory buffers filled with cp.async (16-byte,
// zero-filling past M/N/K); fragments come from ldmatrix (A) and ldmatrix.trans (B, stored
// k-major as in global memory, which turns it into the "col" operand mma wants). Shared tiles
// are XOR-swizzled by 16-byte chunk so ldmatrix and cp.async are bank-conflict free.
//
// The 16-byte path needs K % 8 == 0, N % 8 == 0 and A, B 16-byte aligned; otherwise (checked at
// run time, uniformly for the block) the tiles are filled with guarded 2-byte loads instead —
// slower, still correct for any M, N, K. Blocks are rasterised in bands of 8 tile-rows so
// neighbouring blocks share A and B panels in L2.
#include "common.cuh"

#define TC_BM 128
#define TC_BK 32
#define TC_THREADS 256
#define TC_A_STAGE_BYTES (TC_BM * TC_BK * 2)  // 8192
#define TC_GROUP_M 8

namespace bp_detail {  // named, not anonymous: anonymous namespaces mangle a path hash into the fatbin

__device__ __forceinline__ unsigned smem_u32(const void *p) {
    return (unsigned)__cvta_generic_to_shared(p);
}

__device__ __forceinline__ void cp_async16(unsigned dst, const void *src, int src_bytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(src_bytes) : "memory");
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
template <int N>
__device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory"); }

__device__ __forceinline__ void ldsm_x4(unsigned addr, unsigned &r0, unsigned &r1, unsigned &r2, unsigned &r3) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
                 : "r"(addr));
}
__device__ __forceinline__ void ldsm_x4_trans(unsigned addr, unsigned &r0, unsigned &r1, unsigned &r2, unsigned &r3) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
                 : "r"(addr));
}

template <typename T>
struct TcTraits;
template <>
struct TcTraits<__half> {
    static __device__ __forceinline__ void mma(float *d, const unsigned *a, const unsigned *b) {
        asm(
            "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
            "{%0,%1,%2,%3};\n"
            : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
    }
    static __device__ __forceinline__ unsigned pack2(float x, float y) {
        const __half2 h = __floats2half2_rn(x, y);
        return *reinterpret_cast<const unsigned *>(&h);
    }
    static __device__ __forceinline__ unsigned short one(float x) { return __half_as_ushort(__float2half_rn(x)); }
};
template <>
struct TcTraits<__nv_bfloat16> {
    static __device__ __forceinline__ void mma(float *d, const unsigned *a, const unsigned *b) {
        asm(
            "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
            "{%0,%1,%2,%3};\n"
            : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
    }
    static __device__ __forceinline__ unsigned pack2(float x, float y) {
        const __nv_bfloat162 h = __floats2bfloat162_rn(x, y);
        return *reinterpret_cast<const unsigned *>(&h);
    }
    static __device__ __forceinline__ unsigned short one(float x) {
        return __bfloat16_as_ushort(__float2bfloat16_rn(x));
    }
};

// Byte offset of 16-byte chunk c (0..3) of row r (0..127) in an A stage (rows of 64 bytes).
__device__ __forceinline__ unsigned a_off(int r, int c) { return r * 64 + ((c ^ ((r >> 1) & 3)) << 4); }
// Byte offset of chunk c (0..BN/8-1) of k-row r (0..31) in a B stage (rows of 2 BN bytes).
template <int BN>
__device__ __forceinline__ unsigned b_off(int r, int c) { return r * (2 * BN) + ((c ^ (r & 7)) << 4); }

// Fills stage buffers with the A tile (m0.., k0..) and the B tile (k0.., n0..).
template <int BN, bool VEC>
__device__ __forceinline__ void load_tiles(const unsigned short *__restrict__ A, const unsigned short *__restrict__ B,
                                           int M, int N, int K, long long m0, long long n0, int k0,
                                           unsigned char *sA, unsigned char *sB, int tid) {
#pragma unroll
    for (int i = 0; i < 2; i++) {
        const int id = tid + TC_THREADS * i;
        {  // A: 128 rows x 4 chunks
            const int r = id >> 2, c = id & 3;
            const long long gm = m0 + r;
            const int gk = k0 + c * 8;
            unsigned char *dst = sA + a_off(r, c);
            if (VEC) {
                const bool ok = gm < M && gk < K;
                cp_async16(smem_u32(dst), ok ? (const void *)(A + gm * K + gk) : (const void *)A, ok ? 16 : 0);
            } else {
                unsigned short v[8];
#pragma unroll
                for (int e = 0; e < 8; e++) v[e] = (gm < M && gk + e < K) ? A[gm * K + gk + e] : (unsigned short)0;
                *reinterpret_cast<uint4 *>(dst) = make_uint4(v[0] | (v[1] << 16), v[2] | (v[3] << 16),
                                                             v[4] | (v[5] << 16), v[6] | (v[7] << 16));
            }
        }
    }
#pragma unroll
    for (int i = 0; i < BN / 64; i++) {
        const int id = tid + TC_THREADS * i;
        {  // B: 32 k-rows x BN / 8 chunks
            const int r = id / (BN / 8), c = id % (BN / 8);
            const int gk = k0 + r;
            const long long gn = n0 + c * 8;
            unsigned char *dst = sB + b_off<BN>(r, c);
            if (VEC) {
                const bool ok = gk < K && gn < N;
                cp_async16(smem_u32(dst), ok ? (const void *)(B + (long long)gk * N + gn) : (const void *)B, ok ? 16 : 0);
            } else {
                unsigned short v[8];
#pragma unroll
                for (int e = 0; e < 8; e++) v[e] = (gk < K && gn + e < N) ? B[(long long)gk * N + gn + e] : (unsigned short)0;
                *reinterpret_cast<uint4 *>(dst) = make_uint4(v[0] | (v[1] << 16), v[2] | (v[3] << 16),
                                                             v[4] | (v[5] << 16), v[6] | (v[7] << 16));
            }
        }
    }
}

// BN = 128 (warp tile 64 x 32) or 256 (warp tile 64 x 64); NT = n8 tiles per warp.
template <typename T, int STAGES, int BN, bool VEC>
__device__ __forceinline__ void tc_gemm(const unsigned short *__restrict__ A, const unsigned short *__restrict__ B,
                                        unsigned short *__restrict__ C, int M, int N, int K,
                                        unsigned char *smem) {
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int wm = warp >> 2, wn = warp & 3;

    // Grouped rasterisation: consecutive block ids walk down a band of TC_GROUP_M tile-rows.
    constexpr int NT = BN / 32, B_STAGE = TC_BK * BN * 2;
    const int tiles_m = (M + TC_BM - 1) / TC_BM, tiles_n = (N + BN - 1) / BN;
    const int bid = blockIdx.x;
    const int per_group = TC_GROUP_M * tiles_n;
    const int first_m = (bid / per_group) * TC_GROUP_M;
    const int gsize = min(tiles_m - first_m, TC_GROUP_M);
    const int in_group = bid % per_group;
    const long long m0 = (long long)(first_m + in_group % gsize) * TC_BM;
    const long long n0 = (long long)(in_group / gsize) * BN;

    unsigned char *sA = smem;
    unsigned char *sB = smem + STAGES * TC_A_STAGE_BYTES;
    const unsigned sA32 = smem_u32(sA), sB32 = smem_u32(sB);

    float acc[4][NT][4];
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < NT; j++)
#pragma unroll
            for (int e = 0; e < 4; e++) acc[i][j][e] = 0.0f;

    const int ktiles = (K + TC_BK - 1) / TC_BK;
#pragma unroll
    for (int s = 0; s < STAGES - 1; s++) {
        if (s < ktiles)
            load_tiles<BN, VEC>(A, B, M, N, K, m0, n0, s * TC_BK, sA + s * TC_A_STAGE_BYTES, sB + s * B_STAGE, tid);
        cp_async_commit();
    }

    // Per-lane ldmatrix coordinates (see the file comment of docs/cuda-kernels.md for layouts).
    const int lrow = (lane & 7) + ((lane >> 3) & 1) * 8;  // row within a 16-row (or 16-k) block
    const int lhi = lane >> 4;                             // which 8-column half

    for (int kt = 0; kt < ktiles; kt++) {
        cp_async_wait<STAGES - 2>();
        __syncthreads();
        {  // refill the stage consumed in the previous iteration
            const int nk = kt + STAGES - 1;
            if (nk < ktiles) {
                const int s = nk % STAGES;
                load_tiles<BN, VEC>(A, B, M, N, K, m0, n0, nk * TC_BK, sA + s * TC_A_STAGE_BYTES,
                                    sB + s * B_STAGE, tid);
            }
            cp_async_commit();
        }
        const int s = kt % STAGES;
        const unsigned a_base = sA32 + s * TC_A_STAGE_BYTES;
        const unsigned b_base = sB32 + s * B_STAGE;
#pragma unroll
        for (int ks = 0; ks < TC_BK / 16; ks++) {
            unsigned af[4][4], bf[NT][2];
#pragma unroll
            for (int mt = 0; mt < 4; mt++) {
                const int r = wm * 64 + mt * 16 + lrow;
                ldsm_x4(a_base + a_off(r, ks * 2 + lhi), af[mt][0], af[mt][1], af[mt][2], af[mt][3]);
            }
#pragma unroll
            for (int np = 0; np < NT / 2; np++) {
                const int r = ks * 16 + lrow;
                const int c = (wn * (BN / 4) + np * 16) / 8 + lhi;
                ldsm_x4_trans(b_base + b_off<BN>(r, c), bf[2 * np][0], bf[2 * np][1], bf[2 * np + 1][0], bf[2 * np + 1][1]);
            }
#pragma unroll
            for (int mt = 0; mt < 4; mt++)
#pragma unroll
                for (int nt = 0; nt < NT; nt++) TcTraits<T>::mma(acc[mt][nt], af[mt], bf[nt]);
        }
    }
    cp_async_wait<0>();

    // Epilogue: thread holds rows g and g + 8, columns 2t, 2t + 1 of every 16 x 8 tile.
    const int g = lane >> 2, t = lane & 3;
    const bool pairs = (N % 2 == 0) && (((uintptr_t)C & 3) == 0);
#pragma unroll
    for (int mt = 0; mt < 4; mt++) {
#pragma unroll
        for (int h = 0; h < 2; h++) {
            const long long m = m0 + wm * 64 + mt * 16 + g + h * 8;
            if (m >= M) continue;
#pragma unroll
            for (int nt = 0; nt < NT; nt++) {
                const long long n = n0 + wn * (BN / 4) + nt * 8 + t * 2;
                const float x = acc[mt][nt][2 * h], y = acc[mt][nt][2 * h + 1];
                unsigned short *dst = C + m * N + n;
                if (pairs && n + 1 < N) {
                    *reinterpret_cast<unsigned *>(dst) = TcTraits<T>::pack2(x, y);
                } else {
                    if (n < N) dst[0] = TcTraits<T>::one(x);
                    if (n + 1 < N) dst[1] = TcTraits<T>::one(y);
                }
            }
        }
    }
}

template <typename T, int STAGES, int BN>
__device__ __forceinline__ void tc_entry(const unsigned short *A, const unsigned short *B, unsigned short *C,
                                         int M, int N, int K) {
    extern __shared__ __align__(128) unsigned char tc_smem[];
    const bool vec = (K % 8 == 0) && (N % 8 == 0) && bp_aligned16(A) && bp_aligned16(B);
    if (vec)
        tc_gemm<T, STAGES, BN, true>(A, B, C, M, N, K, tc_smem);
    else
        tc_gemm<T, STAGES, BN, false>(A, B, C, M, N, K, tc_smem);
}

}  // namespace bp_detail
using namespace bp_detail;

// 128 x 128 tiles (128 registers on sm_89/sm_90: two blocks per SM), 3 stages: 49152 bytes of dynamic shared
// memory (no opt-in needed).
extern "C" __global__ void __launch_bounds__(TC_THREADS)
bp_matmul_f16(const unsigned short *A, const unsigned short *B, unsigned short *C, int M, int N, int K) {
    tc_entry<__half, 3, 128>(A, B, C, M, N, K);
}
extern "C" __global__ void __launch_bounds__(TC_THREADS)
bp_matmul_bf16(const unsigned short *A, const unsigned short *B, unsigned short *C, int M, int N, int K) {
    tc_entry<__nv_bfloat16, 3, 128>(A, B, C, M, N, K);
}
// 128 x 128 tiles, 4 stages: 65536 bytes of dynamic shared memory; the host must first raise
// CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES to 65536 with cuFuncSetAttribute.
extern "C" __global__ void __launch_bounds__(TC_THREADS)
bp_matmul_f16_s4(const unsigned short *A, const unsigned short *B, unsigned short *C, int M, int N, int K) {
    tc_entry<__half, 4, 128>(A, B, C, M, N, K);
}
extern "C" __global__ void __launch_bounds__(TC_THREADS)
bp_matmul_bf16_s4(const unsigned short *A, const unsigned short *B, unsigned short *C, int M, int N, int K) {
    tc_entry<__nv_bfloat16, 4, 128>(A, B, C, M, N, K);
}
// 128 x 256 tiles (warp tile 64 x 64), 4 stages: 4 * (8192 + 16384) = 98304 bytes of dynamic
// shared memory, opt-in required as above (to 98304); one block per SM.
extern "C" __global__ void __launch_bounds__(TC_THREADS, 1)
bp_matmul_f16_wide(const unsigned short *A, const unsigned short *B, unsigned short *C, int M, int N, int K) {
    tc_entry<__half, 4, 256>(A, B, C, M, N, K);
}
extern "C" __global__ void __launch_bounds__(TC_THREADS, 1)
bp_matmul_bf16_wide(const unsigned short *A, const unsigned short *B, unsigned short *C, int M, int N, int K) {
    tc_entry<__nv_bfloat16, 4, 256>(A, B, C, M, N, K);
}
