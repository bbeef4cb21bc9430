// Host-side emulation of bp_matmul_f16/bf16's data movement (cuda/matmul_tc.cu): tile loads into
// the swizzled shared stages, the STAGES-deep ring's indices, ldmatrix / ldmatrix.trans
// fragments (PTX ISA semantics), mma.m16n8k16 fragment layouts, block rasterisation and the
// epilogue's index math. Values are small integers, so the result must equal an exact integer
// GEMM. No GPU needed:
//   c++ -O2 -Wall -std=c++17 cuda/test/mma_layout_test.cpp -o /tmp/mlt; /tmp/mlt
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

static const int BM = 128, BK = 32, THREADS = 256, GROUP_M = 8;
static const int A_STAGE = BM * BK * 2;

// Copied from matmul_tc.cu.
static unsigned a_off(int r, int c) { return r * 64 + ((c ^ ((r >> 1) & 3)) << 4); }
template <int BN>
static unsigned b_off(int r, int c) { return r * (2 * BN) + ((c ^ (r & 7)) << 4); }

static uint16_t ld16(const uint8_t *s, unsigned off) { uint16_t v; memcpy(&v, s + off, 2); return v; }

// ldmatrix.x4 (trans = false / true): lanes 8j..8j+7 give the row addresses of matrix j.
static void ldsm(const uint8_t *s, const unsigned addr[32], bool trans, uint16_t out[32][4][2]) {
    for (int lane = 0; lane < 32; lane++)
        for (int j = 0; j < 4; j++)
            for (int e = 0; e < 2; e++) {
                int r, c;
                if (!trans) { r = lane >> 2; c = 2 * (lane & 3) + e; }
                else { r = 2 * (lane & 3) + e; c = lane >> 2; }
                out[lane][j][e] = ld16(s, addr[8 * j + r] + 2 * c);
            }
}

// mma.m16n8k16.row.col: D += A . B with the PTX fragment layouts.
static void mma(double acc[32][4], const uint16_t a[32][4][2], const uint16_t b[32][2][2]) {
    double A[16][16], B[16][8];
    for (int lane = 0; lane < 32; lane++) {
        const int g = lane >> 2, t = lane & 3;
        for (int e = 0; e < 2; e++) {
            A[g][2 * t + e] = a[lane][0][e];
            A[g + 8][2 * t + e] = a[lane][1][e];
            A[g][2 * t + 8 + e] = a[lane][2][e];
            A[g + 8][2 * t + 8 + e] = a[lane][3][e];
            B[2 * t + e][g] = b[lane][0][e];
            B[2 * t + 8 + e][g] = b[lane][1][e];
        }
    }
    for (int lane = 0; lane < 32; lane++) {
        const int g = lane >> 2, t = lane & 3;
        for (int q = 0; q < 4; q++) {
            const int r = g + (q >= 2 ? 8 : 0), c = 2 * t + (q & 1);
            for (int k = 0; k < 16; k++) acc[lane][q] += A[r][k] * B[k][c];
        }
    }
}

template <int STAGES, int BN>
static int run(int M, int N, int K) {
    const int B_STAGE = BK * BN * 2, NT = BN / 32;
    std::vector<uint16_t> A((size_t)M * K), B((size_t)K * N);
    for (auto &v : A) v = (uint16_t)(rand() % 7);
    for (auto &v : B) v = (uint16_t)(rand() % 7);
    std::vector<double> C((size_t)M * N, -1.0);
    const int tiles_m = (M + BM - 1) / BM, tiles_n = (N + BN - 1) / BN;
    std::vector<uint8_t> sA(STAGES * A_STAGE), sB(STAGES * B_STAGE);
    for (int bid = 0; bid < tiles_m * tiles_n; bid++) {
        const int per_group = GROUP_M * tiles_n;
        const int first_m = (bid / per_group) * GROUP_M;
        const int gsize = std::min(tiles_m - first_m, GROUP_M);
        const int in_group = bid % per_group;
        const long long m0 = (long long)(first_m + in_group % gsize) * BM;
        const long long n0 = (long long)(in_group / gsize) * BN;
        auto load = [&](int k0, int s) {
            for (int tid = 0; tid < THREADS; tid++)
                for (int i = 0; i < 4; i++) {
                    const int id = tid + THREADS * i;
                    if (i < 2) { const int r = id >> 2, c = id & 3; const long long gm = m0 + r; const int gk = k0 + c * 8;
                      for (int e = 0; e < 8; e++) { uint16_t v = (gm < M && gk + e < K) ? A[gm * K + gk + e] : 0;
                          memcpy(&sA[s * A_STAGE + a_off(r, c) + 2 * e], &v, 2); } }
                    if (i < BN / 64) { const int r = id / (BN / 8), c = id % (BN / 8); const int gk = k0 + r; const long long gn = n0 + c * 8;
                      for (int e = 0; e < 8; e++) { uint16_t v = (gk < K && gn + e < N) ? B[(long long)gk * N + gn + e] : 0;
                          memcpy(&sB[s * B_STAGE + b_off<BN>(r, c) + 2 * e], &v, 2); } }
                }
        };
        // Poison the stages so a missed load is visible.
        memset(sA.data(), 0x7f, sA.size()); memset(sB.data(), 0x7f, sB.size());
        static double acc[8][4][8][32][4];
        memset(acc, 0, sizeof acc);
        const int ktiles = (K + BK - 1) / BK;
        for (int s = 0; s < STAGES - 1; s++) if (s < ktiles) load(s * BK, s);
        for (int kt = 0; kt < ktiles; kt++) {
            const int s = kt % STAGES;
            // (the kernel refills stage (kt + STAGES - 1) % STAGES before computing on s; they differ)
            if ((kt + STAGES - 1) % STAGES == s) { printf("ring overlap\n"); return 1; }
            std::vector<uint8_t> keepA(sA.begin() + s * A_STAGE, sA.begin() + (s + 1) * A_STAGE);
            std::vector<uint8_t> keepB(sB.begin() + s * B_STAGE, sB.begin() + (s + 1) * B_STAGE);
            if (kt + STAGES - 1 < ktiles) load((kt + STAGES - 1) * BK, (kt + STAGES - 1) % STAGES);
            for (int warp = 0; warp < 8; warp++) {
                const int wm = warp >> 2, wn = warp & 3;
                for (int ks = 0; ks < BK / 16; ks++) {
                    uint16_t af[4][32][4][2], bfr[4][32][4][2];
                    for (int mt = 0; mt < 4; mt++) {
                        unsigned addr[32];
                        for (int lane = 0; lane < 32; lane++) {
                            const int lrow = (lane & 7) + ((lane >> 3) & 1) * 8, lhi = lane >> 4;
                            addr[lane] = a_off(wm * 64 + mt * 16 + lrow, ks * 2 + lhi);
                        }
                        ldsm(keepA.data(), addr, false, af[mt]);
                    }
                    for (int np = 0; np < NT / 2; np++) {
                        unsigned addr[32];
                        for (int lane = 0; lane < 32; lane++) {
                            const int lrow = (lane & 7) + ((lane >> 3) & 1) * 8, lhi = lane >> 4;
                            addr[lane] = b_off<BN>(ks * 16 + lrow, (wn * (BN / 4) + np * 16) / 8 + lhi);
                        }
                        ldsm(keepB.data(), addr, true, bfr[np]);
                    }
                    for (int mt = 0; mt < 4; mt++)
                        for (int nt = 0; nt < NT; nt++) {
                            uint16_t b[32][2][2];
                            for (int lane = 0; lane < 32; lane++)
                                for (int e = 0; e < 2; e++) {
                                    b[lane][0][e] = bfr[nt / 2][lane][(nt & 1) * 2][e];
                                    b[lane][1][e] = bfr[nt / 2][lane][(nt & 1) * 2 + 1][e];
                                }
                            mma(acc[warp][mt][nt], af[mt], b);
                        }
                }
            }
        }
        for (int warp = 0; warp < 8; warp++) {
            const int wm = warp >> 2, wn = warp & 3;
            for (int lane = 0; lane < 32; lane++) {
                const int g = lane >> 2, t = lane & 3;
                for (int mt = 0; mt < 4; mt++)
                    for (int h = 0; h < 2; h++) {
                        const long long m = m0 + wm * 64 + mt * 16 + g + h * 8;
                        if (m >= M) continue;
                        for (int nt = 0; nt < NT; nt++) {
                            const long long n = n0 + wn * (BN / 4) + nt * 8 + t * 2;
                            if (n < N) C[m * N + n] = acc[warp][mt][nt][lane][2 * h];
                            if (n + 1 < N) C[m * N + n + 1] = acc[warp][mt][nt][lane][2 * h + 1];
                        }
                    }
            }
        }
    }
    int bad = 0;
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            double want = 0;
            for (int k = 0; k < K; k++) want += (double)A[(size_t)m * K + k] * B[(size_t)k * N + n];
            if (C[(size_t)m * N + n] != want) {
                if (bad < 3) printf("  M=%d N=%d K=%d stages=%d BN=%d: C[%d][%d] = %g, want %g\n", M, N, K, STAGES, BN, m, n, C[(size_t)m * N + n], want);
                bad++;
            }
        }
    return bad != 0;
}

int main() {
    const int shapes[][3] = {{128, 128, 32}, {1, 1, 1}, {17, 9, 33}, {130, 260, 70}, {256, 384, 96},
                             {1100, 136, 8}, {64, 1030, 160}, {300, 200, 19}};
    int fails = 0, cases = 0;
    for (auto &s : shapes) {
        fails += run<3, 128>(s[0], s[1], s[2]);
        fails += run<4, 128>(s[0], s[1], s[2]);
        fails += run<4, 256>(s[0], s[1], s[2]);
        cases += 3;
    }
    printf("%d cases, %d failures\n", cases, fails);
    return fails != 0;
}
