// conv1d (vnni dialect): Y[n, co, l] = sum_{ci, k} X[n, ci, l*S + k] * W[co, ci, k]; NCL input (u8),
// [CO, CI, KW] filter (s8), int32 output (exact), no padding, stride S.
// Implicit GEMM with the output positions l in the vector lanes (they are contiguous in Y):
//   * the filter is packed once into Wp[co][k][ci] so the 4 consecutive ci of one (co, k) are one int32,
//     broadcast to all lanes;
//   * per image, the input is packed into the VNNI layout Xp[k][CI/4][LOP][4] = X[n, 4*c4 + t, l*S + k]
//     (LOP = LO rounded up to 16, zero padded), so one 64-byte load is 16 output positions x 4 ci.
// Register tiles of RB output channels x NV vectors of 16 positions accumulate with
// _mm512_dpbusd_epi32(acc, x_u8, w_s8); the last vector of a row is stored masked when LO % 16 != 0.
// Relies on the spec's constraint CI % 4 == 0.
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define N 2
#define CI 32
#define L 128
#define CO 64
#define KW 3
#define S 1

#define LO ((L - KW) / S + 1)
#define LOP ((LO + 15) / 16 * 16)
#define R4 (KW * CI / 4)  // reduction length in groups of 4 ci

static_assert(CI % 4 == 0, "conv1d_vnni: CI must be a multiple of 4");

constexpr int kVec = LOP / 16;            // 16-position vectors per output row
constexpr int kNB = kVec < 4 ? kVec : 4;  // vectors per register tile
constexpr int kRB = 4;                    // output channels per register tile

alignas(64) static uint8_t Xp[R4 * LOP * 4];
alignas(64) static int8_t Wp[CO * KW * CI];

static inline int32_t load4(const int8_t* p) {  // 4 consecutive s8 as one int32 lane value
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

// Output channels co0 .. co0+RB-1, positions l0 .. l0 + 16*NV - 1 of image n.
template <int RB, int NV>
static inline void tile(int32_t* Yn, int co0, int l0) {
  __m512i acc[RB][NV];
  for (int r = 0; r < RB; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_si512();
  for (int g = 0; g < R4; ++g) {  // g = k * CI/4 + c4, the same order in Xp and Wp
    __m512i x[NV];
    for (int v = 0; v < NV; ++v) x[v] = _mm512_load_si512(Xp + ((size_t)g * LOP + l0 + 16 * v) * 4);
    for (int r = 0; r < RB; ++r) {
      const __m512i w = _mm512_set1_epi32(load4(Wp + (size_t)(co0 + r) * KW * CI + 4 * g));
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], x[v], w);
    }
  }
  for (int r = 0; r < RB; ++r) {
    int32_t* y = Yn + (size_t)(co0 + r) * LO + l0;
    for (int v = 0; v < NV; ++v) {
      const int left = LO - l0 - 16 * v;
      if (left >= 16)
        _mm512_storeu_si512(y + 16 * v, acc[r][v]);
      else
        _mm512_mask_storeu_epi32(y + 16 * v, (__mmask16)((1u << left) - 1u), acc[r][v]);
    }
  }
}

template <int RB>
static inline void channels(int32_t* Yn, int co0) {
  int l0 = 0;
  for (; l0 + 16 * kNB <= LOP; l0 += 16 * kNB) tile<RB, kNB>(Yn, co0, l0);
  if constexpr (kVec % kNB != 0) tile<RB, kVec % kNB>(Yn, co0, l0);
}

extern "C" void conv1d_kernel(const uint8_t* X, const int8_t* W, int32_t* Y) {
  for (int co = 0; co < CO; ++co)
    for (int ci = 0; ci < CI; ++ci)
      for (int k = 0; k < KW; ++k) Wp[((size_t)co * KW + k) * CI + ci] = W[((size_t)co * CI + ci) * KW + k];

  memset(Xp, 0, sizeof(Xp));  // the padded positions LO .. LOP-1 stay zero
  for (int n = 0; n < N; ++n) {
    const uint8_t* Xn = X + (size_t)n * CI * L;
    for (int k = 0; k < KW; ++k)
      for (int ci = 0; ci < CI; ++ci)
        for (int l = 0; l < LO; ++l)
          Xp[(((size_t)k * (CI / 4) + ci / 4) * LOP + l) * 4 + ci % 4] = Xn[(size_t)ci * L + l * S + k];

    int32_t* Yn = Y + (size_t)n * CO * LO;
    int co0 = 0;
    for (; co0 + kRB <= CO; co0 += kRB) channels<kRB>(Yn, co0);
    for (; co0 < CO; ++co0) channels<1>(Yn, co0);
  }
}
