// gatemlp (vnni dialect): Y[M, E] = (silu(X @ Wg) * (X @ Wu)) @ Wd, silu(z) = z / (1 + exp(-z));
// X [M, E] u8, Wg and Wu [E, F] s8 (small integers: both up-projections are exact int32), Wd [F, E] and
// Y float32.
// 1. Wg and Wu are packed into the VNNI layout [E/4][F][4] (4 consecutive e of one column side by side), so
//    one 64-byte load is 16 hidden units x 4 e. Register tiles of 4 rows x (16*NV) hidden units accumulate
//    both projections with _mm512_dpbusd_epi32(acc, x_u8 broadcast, w_s8); the gate is converted to float
//    and hidden = silu(g) * u goes to a float buffer Hb[M][F] (exp by scalar libm expf, no SVML).
// 2. Y = Hb @ Wd in float: 4 rows x (16*NV) output columns, broadcast Hb[m][f] times Wd row f with FMAs.
// Relies on the spec's constraints: M % 16 == 0, E % 16 == 0, F % 16 == 0.
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define M 64
#define E 128
#define F 256

static_assert(M % 4 == 0 && E % 16 == 0 && F % 16 == 0, "gatemlp_vnni: M % 4, E % 16 and F % 16 must be 0");

constexpr int kRows = 4;  // rows of X per register tile

alignas(64) static int8_t Wgp[(E / 4) * F * 4];
alignas(64) static int8_t Wup[(E / 4) * F * 4];
alignas(64) static float Hb[M * F];

static inline int32_t load4(const uint8_t* p) {  // 4 consecutive u8 as one int32 lane value
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

// Hb[m0 .. m0+3][f0 .. f0 + 16*NV - 1] = silu(X @ Wg) * (X @ Wu)
template <int NV>
static inline void up_tile(const uint8_t* X, int m0, int f0) {
  __m512i g[kRows][NV], u[kRows][NV];
  for (int r = 0; r < kRows; ++r)
    for (int v = 0; v < NV; ++v) g[r][v] = u[r][v] = _mm512_setzero_si512();
  for (int e4 = 0; e4 < E / 4; ++e4) {
    __m512i wg[NV], wu[NV];
    for (int v = 0; v < NV; ++v) {
      wg[v] = _mm512_load_si512(Wgp + ((size_t)e4 * F + f0 + 16 * v) * 4);
      wu[v] = _mm512_load_si512(Wup + ((size_t)e4 * F + f0 + 16 * v) * 4);
    }
    for (int r = 0; r < kRows; ++r) {
      const __m512i x = _mm512_set1_epi32(load4(X + (size_t)(m0 + r) * E + 4 * e4));
      for (int v = 0; v < NV; ++v) {
        g[r][v] = _mm512_dpbusd_epi32(g[r][v], x, wg[v]);
        u[r][v] = _mm512_dpbusd_epi32(u[r][v], x, wu[v]);
      }
    }
  }
  for (int r = 0; r < kRows; ++r)
    for (int v = 0; v < NV; ++v) {
      alignas(64) float gf[16];
      _mm512_store_ps(gf, _mm512_cvtepi32_ps(g[r][v]));
      for (int t = 0; t < 16; ++t) gf[t] = gf[t] / (1.0f + expf(-gf[t]));  // silu
      float* h = Hb + (size_t)(m0 + r) * F + f0 + 16 * v;
      _mm512_store_ps(h, _mm512_mul_ps(_mm512_load_ps(gf), _mm512_cvtepi32_ps(u[r][v])));
    }
}

// Y[m0 .. m0+3][e0 .. e0 + 16*NV - 1] = Hb @ Wd
template <int NV>
static inline void down_tile(const float* Wd, float* Y, int m0, int e0) {
  __m512 acc[kRows][NV];
  for (int r = 0; r < kRows; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  for (int f = 0; f < F; ++f) {
    __m512 w[NV];
    for (int v = 0; v < NV; ++v) w[v] = _mm512_loadu_ps(Wd + (size_t)f * E + e0 + 16 * v);
    for (int r = 0; r < kRows; ++r) {
      const __m512 h = _mm512_set1_ps(Hb[(size_t)(m0 + r) * F + f]);
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(h, w[v], acc[r][v]);
    }
  }
  for (int r = 0; r < kRows; ++r)
    for (int v = 0; v < NV; ++v) _mm512_storeu_ps(Y + (size_t)(m0 + r) * E + e0 + 16 * v, acc[r][v]);
}

extern "C" void gatemlp_kernel(const uint8_t* X, const int8_t* Wg, const int8_t* Wu, const float* Wd, float* Y) {
  for (int e = 0; e < E; ++e)
    for (int f = 0; f < F; ++f) {
      const size_t at = ((size_t)(e / 4) * F + f) * 4 + e % 4;
      Wgp[at] = Wg[(size_t)e * F + f];
      Wup[at] = Wu[(size_t)e * F + f];
    }

  for (int m0 = 0; m0 < M; m0 += kRows) {
    int f0 = 0;  // 2 vectors per tile: 2 projections x 4 rows x 2 = 16 int32 accumulators
    for (; f0 + 32 <= F; f0 += 32) up_tile<2>(X, m0, f0);
    if (f0 < F) up_tile<1>(X, m0, f0);
  }
  for (int m0 = 0; m0 < M; m0 += kRows) {
    int e0 = 0;
    for (; e0 + 64 <= E; e0 += 64) down_tile<4>(Wd, Y, m0, e0);
    switch ((E - e0) / 16) {
      case 3: down_tile<3>(Wd, Y, m0, e0); break;
      case 2: down_tile<2>(Wd, Y, m0, e0); break;
      case 1: down_tile<1>(Wd, Y, m0, e0); break;
      default: break;
    }
  }
}
