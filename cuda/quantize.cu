// Absmean ternary weight quantization (3 kernels) and per-row absmax int8 activation
// quantization, f32 and f16 inputs. Rounding is half to even throughout; the arithmetic mirrors
// Sources/CKernels/quantize.c so codes and scales match the CPU bit for bit (gamma up to the
// order of a double-precision sum).
#include "common.cuh"

#define QW_BLOCK 256
#define QW_CHUNK 65536  // elements per partial sum (per block of the absum kernel)

namespace bp_detail {  // named, not anonymous: anonymous namespaces mangle a path hash into the fatbin

__device__ __forceinline__ float ld_f(const float *p, unsigned long long i) { return __ldg(p + i); }
__device__ __forceinline__ float ld_f(const __half *p, unsigned long long i) { return __half2float(p[i]); }
// Element j of a vector already in registers.
__device__ __forceinline__ float el(const float *p, int j) { return p[j]; }
__device__ __forceinline__ float el(const __half *p, int j) { return __half2float(p[j]); }

// Deterministic block sum of one double per thread (fixed tree; blockDim.x == QW_BLOCK).
__device__ __forceinline__ double block_sum_f64(double v, double *red) {
    v = bp_warp_sum_f64(v);
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) red[warp] = v;
    __syncthreads();
    double s = 0;
    if (threadIdx.x == 0)
        for (int i = 0; i < QW_BLOCK / 32; i++) s += red[i];
    return s;  // valid in thread 0
}

template <typename T>
__device__ __forceinline__ void absum(const T *__restrict__ w, unsigned long long n, double *__restrict__ partial) {
    __shared__ double red[QW_BLOCK / 32];
    const unsigned long long lo = (unsigned long long)blockIdx.x * QW_CHUNK;
    const unsigned long long hi = lo + QW_CHUNK < n ? lo + QW_CHUNK : n;
    double s = 0;
    // Full chunks of an aligned tensor: 16-byte loads; the order of the sum is fixed either way.
    if (hi - lo == QW_CHUNK && bp_aligned16(w)) {
        const int per = 16 / sizeof(T);
        const uint4 *v = reinterpret_cast<const uint4 *>(w + lo);
        for (int i = threadIdx.x; i < QW_CHUNK / per; i += QW_BLOCK) {
            uint4 u = __ldg(v + i);
            const T *e = reinterpret_cast<const T *>(&u);
#pragma unroll
            for (int q = 0; q < per; q++) s += fabs((double)el(e, q));
        }
    } else {
        for (unsigned long long i = lo + threadIdx.x; i < hi; i += QW_BLOCK) s += fabs((double)ld_f(w, i));
    }
    s = block_sum_f64(s, red);
    if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

// Code c = w + 1 for v with threshold t = gamma / 2 (see quantize.c: no division needed, and
// exactly what clamp(rint(v / gamma), -1, 1) gives, NaN -> 0 included).
__device__ __forceinline__ unsigned tcode(float v, float t) { return v > t ? 2u : (v < -t ? 0u : 1u); }

template <typename T>
__device__ __forceinline__ void pack(const T *__restrict__ w, int rows, int cols, const float *__restrict__ gamma,
                                     unsigned char *__restrict__ packed) {
    const float t = *gamma * 0.5f;
    const int lane = threadIdx.x & 31;
    const long long groups = ((long long)cols + 127) / 128;
    const long long total = (long long)rows * groups;
    const long long warps = (long long)gridDim.x * (blockDim.x / 32);
    for (long long wi = ((long long)blockIdx.x * blockDim.x + threadIdx.x) / 32; wi < total; wi += warps) {
        const long long r = wi / groups, g = wi % groups;
        const T *src = w + r * cols;
        unsigned byte = 0;
#pragma unroll
        for (int i = 0; i < 4; i++) {
            const long long k = g * 128 + 32 * i + lane;
            const unsigned c = k < cols ? tcode(ld_f(src, k), t) : 1u;
            byte |= c << (2 * i);
        }
        packed[wi * 32 + lane] = (unsigned char)byte;  // row r, group g: byte (r * groups + g) * 32 + lane
    }
}

// q = clamp(rint(v * s), -128, 127) with a NaN product going to -128, as quant_act does.
__device__ __forceinline__ int qact(float v, float s) {
    float p = v * s;
    p = !(p > -128.0f) ? -128.0f : p;
    p = p < 127.0f ? p : 127.0f;
    return (int)rintf(p);
}

template <typename T>
__device__ __forceinline__ void quant_act(const T *__restrict__ x, int cols, signed char *__restrict__ q,
                                          float *__restrict__ scales) {
    __shared__ float red[32];
    __shared__ float s_shared;
    const long long r = blockIdx.x;
    const T *row = x + r * cols;
    signed char *out = q + r * cols;
    const int per = 16 / sizeof(T);  // elements per 16-byte vector
    const bool vec = (cols % 8 == 0) && bp_aligned16(x) && ((uintptr_t)q & 7) == 0;

    float m = 0.0f;  // fmaxf ignores NaN, as the CPU's `v > m ? v : m` does
    if (vec) {
        const uint4 *v = reinterpret_cast<const uint4 *>(row);
        for (int i = threadIdx.x; i < cols / per; i += blockDim.x) {
            uint4 u = __ldg(v + i);
            const T *e = reinterpret_cast<const T *>(&u);
#pragma unroll
            for (int j = 0; j < per; j++) m = fmaxf(m, fabsf(el(e, j)));
        }
    } else {
        for (int i = threadIdx.x; i < cols; i += blockDim.x) m = fmaxf(m, fabsf(ld_f(row, i)));
    }
    m = bp_warp_max_f32(m);
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) red[warp] = m;
    __syncthreads();
    if (threadIdx.x == 0) {
        float mm = 0.0f;
        for (int i = 0; i < (int)(blockDim.x + 31) / 32; i++) mm = fmaxf(mm, red[i]);
        const float s = mm > 0.0f ? 127.0f / mm : 1.0f;
        s_shared = s;
        scales[r] = s;
    }
    __syncthreads();
    const float s = s_shared;

    if (vec) {
        const uint4 *v = reinterpret_cast<const uint4 *>(row);
        for (int i = threadIdx.x; i < cols / per; i += blockDim.x) {
            uint4 u = __ldg(v + i);
            const T *e = reinterpret_cast<const T *>(&u);
            unsigned b[2] = {0, 0};
#pragma unroll
            for (int j = 0; j < per; j++) b[j / 4] |= (unsigned)(qact(el(e, j), s) & 0xff) << (8 * (j % 4));
            if (per == 8)
                *reinterpret_cast<uint2 *>(out + 8 * i) = make_uint2(b[0], b[1]);
            else
                *reinterpret_cast<unsigned *>(out + 4 * i) = b[0];
        }
    } else {
        for (int i = threadIdx.x; i < cols; i += blockDim.x) out[i] = (signed char)qact(ld_f(row, i), s);
    }
}

}  // namespace bp_detail
using namespace bp_detail;

// Pass 1: partial[b] = sum of |w| over elements [b * 65536, min(n, (b + 1) * 65536)), in double.
extern "C" __global__ void __launch_bounds__(QW_BLOCK)
bp_quantize_weights_absum_f32(const float *w, unsigned long long n, double *partial) {
    absum(w, n, partial);
}
extern "C" __global__ void __launch_bounds__(QW_BLOCK)
bp_quantize_weights_absum_f16(const __half *w, unsigned long long n, double *partial) {
    absum(w, n, partial);
}

// Pass 2 (one block): *gamma = (float)max(sum(partial) / n, 1e-5), summed in a fixed order.
extern "C" __global__ void __launch_bounds__(QW_BLOCK)
bp_quantize_weights_gamma(const double *partial, unsigned long long nparts, unsigned long long n, float *gamma) {
    __shared__ double red[QW_BLOCK / 32];
    double s = 0;
    for (unsigned long long i = threadIdx.x; i < nparts; i += QW_BLOCK) s += partial[i];
    s = block_sum_f64(s, red);
    if (threadIdx.x == 0) {
        const double mean = s / (double)n;
        *gamma = (float)(mean > 1e-5 ? mean : 1e-5);
    }
}

// Pass 3: pack W[rows][cols] into bp-i2-g128 with gamma read from device memory.
extern "C" __global__ void __launch_bounds__(256)
bp_quantize_weights_pack_f32(const float *w, int rows, int cols, const float *gamma, unsigned char *packed) {
    pack(w, rows, cols, gamma, packed);
}
extern "C" __global__ void __launch_bounds__(256)
bp_quantize_weights_pack_f16(const __half *w, int rows, int cols, const float *gamma, unsigned char *packed) {
    pack(w, rows, cols, gamma, packed);
}

// One block per row: scales[r] = s = 127 / max|x[r]| (1 for an all-zero row);
// q[r][c] = clamp(rint(x[r][c] * s), -128, 127).
extern "C" __global__ void __launch_bounds__(1024)
bp_quantize_activations_f32(const float *x, int rows, int cols, signed char *q, float *scales) {
    (void)rows;
    quant_act(x, cols, q, scales);
}
extern "C" __global__ void __launch_bounds__(1024)
bp_quantize_activations_f16(const __half *x, int rows, int cols, signed char *q, float *scales) {
    (void)rows;
    quant_act(x, cols, q, scales);
}
