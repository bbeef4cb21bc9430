// Ternary (bp-i2-g128) decode helpers shared by the CUDA kernels and the host-side test
// (cuda/test/decode_test.c). Plain C with a BP_HD qualifier so the same code compiles as
// __host__ __device__ under nvcc and as ordinary C under cc.
//
// Layout (docs/probes.md): row n of W[N][K] takes ceil(K/128)*32 bytes; in group g, byte j
// (0..31) holds in bits 2i..2i+1 the code c = w + 1 of the weight at k = 128g + 32i + j;
// 0b11 is never written and decodes as weight 0; padding past K is 0b01.
#ifndef BP_TERNARY_DECODE_H
#define BP_TERNARY_DECODE_H

#ifdef __CUDACC__
#define BP_HD __host__ __device__ __forceinline__
#else
#define BP_HD static inline
#endif

// 16 codes in a 32-bit word -> the same word with every 0b11 turned into 0b01 (weight 0), so
// that afterwards each 2-bit field holds c' = w + 1 in {0, 1, 2}. Clears bit 1 of a field
// wherever its bit 0 is set (code 0b01 has bit 1 clear already; 0b10 has bit 0 clear).
BP_HD unsigned int bp_tern_fix_word(unsigned int w) {
    return w & ~((w << 1) & 0xAAAAAAAAu);
}

// Byte b (0..3) of the result is the code (0, 1, 2) in bits 2i..2i+1 of byte b of a fixed
// word: the codes of the weights at k = 128g + 32i + j .. j+3 when `fixed` holds bytes
// j .. j+3 of group g. As a signed-byte vector it lines up with the int8 activations
// x[128g + 32i + j .. j+3], so __dp4a(codes, x, acc) adds sum (w + 1) x.
BP_HD unsigned int bp_tern_codes(unsigned int fixed, int i) {
    return (fixed >> (2 * i)) & 0x03030303u;
}

// Host-side emulation of __dp4a(int, int, int) (signed bytes), for the test.
BP_HD int bp_dp4a_emul(unsigned int a, unsigned int b, int c) {
    for (int q = 0; q < 4; q++)
        c += (int)(signed char)(a >> (8 * q)) * (int)(signed char)(b >> (8 * q));
    return c;
}

#endif
