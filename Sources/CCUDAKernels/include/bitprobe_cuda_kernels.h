// bitprobe CUDA kernels: the fatbin and the launch contract of every kernel in it.
//
// The fatbin (SASS for sm_80, sm_89, sm_90, PTX for compute_80, compressed) is generated from
// cuda/*.cu by scripts/gen-cuda-kernels into bitprobe_cuda_fatbin.c. Load it with
// cuModuleLoadData(bp_cuda_fatbin_data()) and look kernels up by the names below with
// cuModuleGetFunction. Full documentation: docs/cuda-kernels.md.
//
// Conventions
// - Matrices are dense row-major; all pointers are device pointers (CUdeviceptr).
// - Parameters are listed in order with the C type each `void *` in cuLaunchKernel's
//   kernelParams must point to: `int` is 32-bit, `u64` is unsigned long long (64-bit), `float`
//   is 32-bit, pointers are 64-bit CUdeviceptr values.
// - f16 / bf16 are IEEE binary16 / bfloat16 bit patterns (uint16_t); every rounding is to nearest
//   even, as on the CPU (docs/probes.md).
// - "grid" and "block" are (x, y, z); "smem" is sharedMemBytes for cuLaunchKernel (dynamic
//   shared memory). Static shared memory needs nothing from the host.
// - Kernels with a fixed block size fail to launch (CUDA_ERROR_INVALID_VALUE or wrong results)
//   with another one: use the BP_CUDA_*_BLOCK constants.
#ifndef BITPROBE_CUDA_KERNELS_H
#define BITPROBE_CUDA_KERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

// ---- The fatbin ------------------------------------------------------------------------------

extern const unsigned char bp_cuda_fatbin[];
extern const unsigned long long bp_cuda_fatbin_size;
/// Same as bp_cuda_fatbin / bp_cuda_fatbin_size, as functions (Swift does not import
/// incomplete-array globals).
const void *bp_cuda_fatbin_data(void);
unsigned long long bp_cuda_fatbin_bytes(void);

// ---- Elementwise: add / multiply --------------------------------------------------------------
// c[i] = a[i] + b[i] or a[i] * b[i] for i < n. f16 is computed in f32 and rounded once to f16.
// params: (const T *a, const T *b, T *c, u64 n), T = float (f32) or uint16_t (f16)
// block: (BP_CUDA_EW_BLOCK, 1, 1); grid: (any >= 1, 1, 1), grid-stride. Recommended:
//   min(ceil(n / (BP_CUDA_EW_VEC_* * BP_CUDA_EW_BLOCK)), SM count * 16). smem: 0.
// Any n and alignment; 16-byte vectors when a, b, c are all 16-byte aligned.
#define BP_CUDA_KERNEL_ADD_F32 "bp_add_f32"
#define BP_CUDA_KERNEL_MUL_F32 "bp_mul_f32"
#define BP_CUDA_KERNEL_ADD_F16 "bp_add_f16"
#define BP_CUDA_KERNEL_MUL_F16 "bp_mul_f16"
#define BP_CUDA_EW_BLOCK 256
#define BP_CUDA_EW_VEC_F32 4
#define BP_CUDA_EW_VEC_F16 8

// ---- matmul f32 -------------------------------------------------------------------------------
// C[M][N] = A[M][K] . B[K][N], f32 (FMA, f32 accumulation).
// params: (const float *A, const float *B, float *C, int M, int N, int K)
// block: (256, 1, 1); grid: (ceil(N / 128), ceil(M / 128), 1) (grid.y <= 65535, so M <= 8388480);
// smem: 0 (16 KiB static). Any M, N, K >= 1, any alignment.
#define BP_CUDA_KERNEL_MATMUL_F32 "bp_matmul_f32"
#define BP_CUDA_MATMUL_F32_BLOCK 256
#define BP_CUDA_MATMUL_F32_TILE_M 128
#define BP_CUDA_MATMUL_F32_TILE_N 128

// ---- matmul f16 / bf16 on tensor cores ---------------------------------------------------------
// C[M][N] = A[M][K] . B[K][N]; f16 (or bf16) inputs, f32 accumulation (mma.sync m16n8k16), C
// rounded once to f16 (bf16), nearest even.
// params: (const uint16_t *A, const uint16_t *B, uint16_t *C, int M, int N, int K)
// block: (256, 1, 1); grid: (ceil(M / 128) * ceil(N / 128), 1, 1) -- one dimension, the kernel
//   rasterises tiles itself;
// smem: BP_CUDA_MATMUL_TC_SMEM (49152) for the 3-stage kernels, BP_CUDA_MATMUL_TC_SMEM_S4 (65536)
//   for the "_s4" 4-stage kernels, which need cuFuncSetAttribute(f,
//   CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES (= 8), 65536) once per loaded function first.
//   The 3-stage kernels need no opt-in.
// "_wide" kernels: block tile 128 x 256 (warp tile 64 x 64, 255 registers, one block per SM),
//   4 stages: grid (ceil(M / 128) * ceil(N / 256), 1, 1), smem BP_CUDA_MATMUL_TC_SMEM_WIDE (98304),
//   opt-in to 98304 required as for "_s4".
// Any M, N, K >= 1. The fast path (cp.async 16-byte tiles) needs K % 8 == 0, N % 8 == 0 and A, B
// 16-byte aligned; otherwise the kernel falls back to guarded element loads by itself.
#define BP_CUDA_KERNEL_MATMUL_F16 "bp_matmul_f16"
#define BP_CUDA_KERNEL_MATMUL_BF16 "bp_matmul_bf16"
#define BP_CUDA_KERNEL_MATMUL_F16_S4 "bp_matmul_f16_s4"
#define BP_CUDA_KERNEL_MATMUL_BF16_S4 "bp_matmul_bf16_s4"
#define BP_CUDA_KERNEL_MATMUL_F16_WIDE "bp_matmul_f16_wide"
#define BP_CUDA_KERNEL_MATMUL_BF16_WIDE "bp_matmul_bf16_wide"
#define BP_CUDA_MATMUL_TC_BLOCK 256
#define BP_CUDA_MATMUL_TC_TILE_M 128
#define BP_CUDA_MATMUL_TC_TILE_N 128
#define BP_CUDA_MATMUL_TC_SMEM 49152
#define BP_CUDA_MATMUL_TC_SMEM_S4 65536
#define BP_CUDA_MATMUL_TC_TILE_N_WIDE 256
#define BP_CUDA_MATMUL_TC_SMEM_WIDE 98304
#define BP_CUDA_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES 8  // CUfunction_attribute value

// ---- ternary_matmul (W1.58A8) ------------------------------------------------------------------
// Y[M][N] = (sum_k Xq[m][k] * W[n][k]) * gamma / x_scales[m], computed as ((float)acc * gamma) /
// x_scales[m] with acc the exact int32 sum; W packed bp-i2-g128 (row n at byte
// n * ceil(K / 128) * 32; must be 16-byte aligned). If acc is not NULL it receives the int32 sums.
// params: (const int8_t *xq, const float *x_scales, const uint8_t *w, float gamma, float *y,
//          int32_t *acc, int M, int N, int K)   (acc may be 0)
// GEMV path (bandwidth-bound, best for M <= 4; correct for any M):
//   "bp_ternary_gemv": block (256, 1, 1); grid (ceil(N / 16), M, 1) (M <= 65535); smem 0
//   (16 KiB + 32 B static).
// GEMM path (M > 4):
//   "bp_ternary_gemm": block (256, 1, 1); grid (ceil(N / 64), ceil(M / 64), 1); smem 0
//   (18.3 KiB static).
// Any M, N >= 1, 1 <= K <= 2^23, any alignment of xq.
#define BP_CUDA_KERNEL_TERNARY_GEMV "bp_ternary_gemv"
#define BP_CUDA_KERNEL_TERNARY_GEMM "bp_ternary_gemm"
#define BP_CUDA_TERNARY_BLOCK 256
#define BP_CUDA_TERNARY_GEMV_ROWS 16
#define BP_CUDA_TERNARY_GEMM_TILE 64
#define BP_CUDA_TERNARY_GEMV_MAX_M 4  // the host's GEMV/GEMM switch point (a tuning choice)

// ---- quantize_weights (absmean, 3 launches in one stream) --------------------------------------
// 1. "bp_quantize_weights_absum_{f32,f16}": partial[b] = sum |w| (double) over elements
//    [b * 65536, min(n, (b + 1) * 65536)).
//    params: (const T *w, u64 n, double *partial)   n = rows * cols
//    block (256, 1, 1); grid (P, 1, 1) with P = ceil(n / 65536); smem 0. partial: P doubles.
// 2. "bp_quantize_weights_gamma": *gamma = (float)max(sum(partial) / n, 1e-5), fixed order.
//    params: (const double *partial, u64 P, u64 n, float *gamma)
//    block (256, 1, 1); grid (1, 1, 1); smem 0.
// 3. "bp_quantize_weights_pack_{f32,f16}": codes clamp(rint(w / gamma), -1, 1) + 1 packed
//    bp-i2-g128, gamma read from device memory; padding code 01.
//    params: (const T *w, int rows, int cols, const float *gamma, uint8_t *packed)
//    block (256, 1, 1); grid (any >= 1; recommended min(ceil(rows * ceil(cols / 128) / 8),
//    SM count * 32), 1, 1), one warp per 128-weight group, grid-stride; smem 0.
// Deterministic: the same input gives the same gamma bit for bit. No buffer needs zeroing.
#define BP_CUDA_KERNEL_QW_ABSUM_F32 "bp_quantize_weights_absum_f32"
#define BP_CUDA_KERNEL_QW_ABSUM_F16 "bp_quantize_weights_absum_f16"
#define BP_CUDA_KERNEL_QW_GAMMA "bp_quantize_weights_gamma"
#define BP_CUDA_KERNEL_QW_PACK_F32 "bp_quantize_weights_pack_f32"
#define BP_CUDA_KERNEL_QW_PACK_F16 "bp_quantize_weights_pack_f16"
#define BP_CUDA_QW_BLOCK 256
#define BP_CUDA_QW_CHUNK 65536

// ---- quantize_activations -----------------------------------------------------------------------
// Per row r: s = 127 / max|x[r]| (1 for an all-zero row), scales[r] = s,
// q[r][c] = clamp(rint(x[r][c] * s), -128, 127) (a NaN product gives -128, as on the CPU).
// params: (const T *x, int rows, int cols, int8_t *q, float *scales)
// block (B, 1, 1) with B a multiple of 32, <= 1024 (256 recommended); grid (rows, 1, 1); smem 0.
#define BP_CUDA_KERNEL_QA_F32 "bp_quantize_activations_f32"
#define BP_CUDA_KERNEL_QA_F16 "bp_quantize_activations_f16"
#define BP_CUDA_QA_BLOCK 256

#ifdef __cplusplus
}
#endif

#endif
