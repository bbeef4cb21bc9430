#include "kernels_internal.h"

#include <stdatomic.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

enum {
    FEAT_AVX2 = 1 << 0,    // AVX2 + FMA + F16C, with YMM state enabled by the OS
    FEAT_AVX512 = 1 << 1,  // F/BW/DQ/VL, with opmask and ZMM state enabled by the OS
    FEAT_VNNI = 1 << 2,    // AVX512_VNNI (only set together with FEAT_AVX512)
    FEAT_DONE = 1 << 30,
};

static atomic_int g_features;

#if defined(__x86_64__)
// Read with inline asm rather than _xgetbv so this file needs no -mxsave.
static uint64_t read_xcr0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static int detect_features(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1,
              f16c = (c >> 29) & 1;
    if (!osxsave || !avx) return 0;
    const uint64_t xcr0 = read_xcr0();
    if ((xcr0 & 0x6) != 0x6) return 0;  // XMM and YMM state
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    int f = 0;
    const int avx2 = (b >> 5) & 1;
    if (avx2 && fma && f16c) f |= FEAT_AVX2;
    const int avx512 = ((b >> 16) & 1) && ((b >> 17) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1);
    // Opmask, upper halves of ZMM0-15, and ZMM16-31 state.
    if ((f & FEAT_AVX2) && avx512 && (xcr0 & 0xe6) == 0xe6) {
        f |= FEAT_AVX512;
        if ((c >> 11) & 1) f |= FEAT_VNNI;
    }
    return f;
}
#else
static int detect_features(void) { return 0; }
#endif

// Detection is idempotent, so concurrent first calls may both run it and store the same value.
static int features(void) {
    int f = atomic_load_explicit(&g_features, memory_order_relaxed);
    if (!(f & FEAT_DONE)) {
        f = detect_features() | FEAT_DONE;
        atomic_store_explicit(&g_features, f, memory_order_relaxed);
    }
    return f;
}

int bp_isa_supported(bp_isa isa) {
    switch (isa) {
    case BP_ISA_PORTABLE: return 1;
    case BP_ISA_AVX2: return (features() & FEAT_AVX2) != 0;
    case BP_ISA_AVX512: return (features() & FEAT_AVX512) != 0;
    // Advanced SIMD is part of the AArch64 baseline; the NEON path is the portable C code,
    // which the compiler vectorises for it.
    case BP_ISA_NEON:
#if defined(__aarch64__)
        return 1;
#else
        return 0;
#endif
    }
    return 0;
}

bp_isa bp_isa_detect(void) {
    if (bp_isa_supported(BP_ISA_AVX512)) return BP_ISA_AVX512;
    if (bp_isa_supported(BP_ISA_AVX2)) return BP_ISA_AVX2;
    if (bp_isa_supported(BP_ISA_NEON)) return BP_ISA_NEON;
    return BP_ISA_PORTABLE;
}

const char *bp_isa_name(bp_isa isa) {
    switch (isa) {
    case BP_ISA_PORTABLE: return "portable";
    case BP_ISA_AVX2: return "avx2";
    case BP_ISA_AVX512: return "avx512";
    case BP_ISA_NEON: return "neon";
    }
    return "unknown";
}

int bp_cpu_has_avx512vnni(void) { return (features() & FEAT_VNNI) != 0; }
