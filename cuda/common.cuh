// Shared device helpers for the bitprobe CUDA kernels. Included by every cuda/*.cu; the
// generator (scripts/gen-cuda-kernels) compiles all of them as one translation unit, so every
// helper here is static or inline and every kernel is extern "C" with a bp_ prefix.
#pragma once

#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <stdint.h>

#include "bp_ternary_decode.h"

#define BP_FULL_MASK 0xffffffffu

static __device__ __forceinline__ int bp_warp_sum_i32(int v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(BP_FULL_MASK, v, o);
    return v;
}

static __device__ __forceinline__ double bp_warp_sum_f64(double v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(BP_FULL_MASK, v, o);
    return v;
}

static __device__ __forceinline__ float bp_warp_max_f32(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(BP_FULL_MASK, v, o));
    return v;
}

static __device__ __forceinline__ bool bp_aligned16(const void *p) {
    return ((uintptr_t)p & 15u) == 0;
}
