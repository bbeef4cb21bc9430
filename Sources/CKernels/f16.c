#include "kernels_internal.h"

#include <string.h>

// NaNs come out quiet with the payload's top bits kept, which is what F16C does, so the
// portable and x86 paths agree bit for bit on every input.
uint16_t bp_f32_to_f16(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    const uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
    uint32_t a = u & 0x7fffffff;
    if (a >= 0x7f800000) {
        if (a == 0x7f800000) return sign | 0x7c00;
        return (uint16_t)(sign | 0x7e00 | ((a >> 13) & 0x3ff));
    }
    if (a >= 0x477ff000) return sign | 0x7c00;  // >= 65520 rounds to infinity
    if (a >= 0x38800000) {                      // normal in f16 (>= 2^-14)
        a += 0xfff + ((a >> 13) & 1);           // round half to even; carries are correct
        return (uint16_t)(sign | ((a - 0x38000000) >> 13));
    }
    const int e = (int)(a >> 23) - 127;
    if (e < -25) return sign;
    // Subnormal: the value is h * 2^-24 with h = mant * 2^(e + 1), rounded half to even.
    const uint32_t mant = (a & 0x7fffff) | 0x800000;
    const int s = -e - 1;  // 14..24
    uint32_t h = mant >> s;
    const uint32_t rem = mant & ((1u << s) - 1), half = 1u << (s - 1);
    if (rem > half || (rem == half && (h & 1))) h++;
    return (uint16_t)(sign | h);
}

float bp_f16_to_f32(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    const uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    uint32_t u;
    if (exp == 0) {
        float f = (float)mant * 0x1p-24f;  // exact
        memcpy(&u, &f, sizeof u);
        u |= sign;
    } else if (exp == 31) {
        u = sign | 0x7f800000 | (mant << 13) | (mant ? 0x400000u : 0);
    } else {
        u = sign | ((exp + 112) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

#if defined(__x86_64__)
BP_TARGET_AVX2 static void f16_to_f32_avx2(const uint16_t *src, float *dst, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, bp_load8_f16_avx2(src + i));
    for (; i < n; i++) dst[i] = _cvtsh_ss(src[i]);
}

BP_TARGET_AVX2 static void f32_to_f16_avx2(const float *src, uint16_t *dst, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) bp_store8_f16_avx2(dst + i, _mm256_loadu_ps(src + i));
    for (; i < n; i++) dst[i] = _cvtss_sh(src[i], _MM_FROUND_TO_NEAREST_INT);
}

BP_TARGET_AVX512 static void f16_to_f32_avx512(const uint16_t *src, float *dst, int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(dst + i, bp_load16_f16_avx512(src + i));
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(dst + i, m, _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, src + i)));
    }
}

BP_TARGET_AVX512 static void f32_to_f16_avx512(const float *src, uint16_t *dst, int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) bp_store16_f16_avx512(dst + i, _mm512_loadu_ps(src + i));
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm256_mask_storeu_epi16(
            dst + i, m,
            _mm512_cvtps_ph(_mm512_maskz_loadu_ps(m, src + i), _MM_FROUND_TO_NEAREST_INT));
    }
}
#endif

void bp_f16_to_f32_row(bp_isa isa, const uint16_t *src, float *dst, int64_t n) {
    switch (isa) {
#if defined(__x86_64__)
    case BP_ISA_AVX512: f16_to_f32_avx512(src, dst, n); return;
    case BP_ISA_AVX2: f16_to_f32_avx2(src, dst, n); return;
#endif
    default:
        for (int64_t i = 0; i < n; i++) dst[i] = bp_f16_to_f32(src[i]);
    }
}

void bp_f32_to_f16_row(bp_isa isa, const float *src, uint16_t *dst, int64_t n) {
    switch (isa) {
#if defined(__x86_64__)
    case BP_ISA_AVX512: f32_to_f16_avx512(src, dst, n); return;
    case BP_ISA_AVX2: f32_to_f16_avx2(src, dst, n); return;
#endif
    default:
        for (int64_t i = 0; i < n; i++) dst[i] = bp_f32_to_f16(src[i]);
    }
}
