// conv2d_nchw (vnni dialect): Y[n, co, oh, ow] = sum_{ci, kh, kw} X[n, ci, oh*S + kh, ow*S + kw] * Wt[co, ci, kh, kw];
// NCHW input (u8), OIHW filter (s8), int32 output (exact), no padding, stride S.
// Implicit GEMM with the output pixels p = oh*WO + ow in the vector lanes (each output plane is contiguous):
//   * the filter is packed once into Wp[co][kh][kw][ci] so the 4 consecutive ci of one (co, kh, kw) are one
//     int32, broadcast to all lanes;
//   * per image, the input is packed (im2col) into the VNNI layout Xp[kh][kw][CI/4][PP][4]
//     = X[n, 4*c4 + t, oh*S + kh, ow*S + kw] (PP = HO*WO rounded up to 16, zero padded), so one 64-byte load
//     is 16 output pixels x 4 ci.
// Register tiles of RB output channels x NV vectors of 16 pixels accumulate with
// _mm512_dpbusd_epi32(acc, x_u8, w_s8); the last vector of a plane is stored masked when HO*WO % 16 != 0.
// Relies on the spec's constraint CI % 4 == 0.
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define N 1
#define H 16
#define W 16
#define CI 32
#define CO 64
#define KH 3
#define KW 3
#define S 1

#define HO ((H - KH) / S + 1)
#define WO ((W - KW) / S + 1)
#define NP (HO * WO)                  // output pixels per plane
#define PP ((NP + 15) / 16 * 16)
#define R4 (KH * KW * CI / 4)         // reduction length in groups of 4 ci

static_assert(CI % 4 == 0, "conv2d_nchw_vnni: CI must be a multiple of 4");

constexpr int kVec = PP / 16;             // 16-pixel vectors per output plane
constexpr int kNB = kVec < 4 ? kVec : 4;  // vectors per register tile
constexpr int kRB = 4;                    // output channels per register tile

alignas(64) static uint8_t Xp[(size_t)R4 * PP * 4];
alignas(64) static int8_t Wp[CO * KH * KW * CI];

static inline int32_t load4(const int8_t* p) {  // 4 consecutive s8 as one int32 lane value
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

// Output channels co0 .. co0+RB-1, pixels p0 .. p0 + 16*NV - 1 of image n.
template <int RB, int NV>
static inline void tile(int32_t* Yn, int co0, int p0) {
  __m512i acc[RB][NV];
  for (int r = 0; r < RB; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_si512();
  for (int g = 0; g < R4; ++g) {  // g = (kh*KW + kw) * CI/4 + c4, the same order in Xp and Wp
    __m512i x[NV];
    for (int v = 0; v < NV; ++v) x[v] = _mm512_load_si512(Xp + ((size_t)g * PP + p0 + 16 * v) * 4);
    for (int r = 0; r < RB; ++r) {
      const __m512i w = _mm512_set1_epi32(load4(Wp + (size_t)(co0 + r) * KH * KW * CI + 4 * g));
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], x[v], w);
    }
  }
  for (int r = 0; r < RB; ++r) {
    int32_t* y = Yn + (size_t)(co0 + r) * NP + p0;
    for (int v = 0; v < NV; ++v) {
      const int left = NP - p0 - 16 * v;
      if (left >= 16)
        _mm512_storeu_si512(y + 16 * v, acc[r][v]);
      else
        _mm512_mask_storeu_epi32(y + 16 * v, (__mmask16)((1u << left) - 1u), acc[r][v]);
    }
  }
}

template <int RB>
static inline void channels(int32_t* Yn, int co0) {
  int p0 = 0;
  for (; p0 + 16 * kNB <= PP; p0 += 16 * kNB) tile<RB, kNB>(Yn, co0, p0);
  if constexpr (kVec % kNB != 0) tile<RB, kVec % kNB>(Yn, co0, p0);
}

extern "C" void conv2d_nchw_kernel(const uint8_t* X, const int8_t* Wt, int32_t* Y) {
  for (int co = 0; co < CO; ++co)
    for (int ci = 0; ci < CI; ++ci)
      for (int kh = 0; kh < KH; ++kh)
        for (int kw = 0; kw < KW; ++kw)
          Wp[(((size_t)co * KH + kh) * KW + kw) * CI + ci] = Wt[(((size_t)co * CI + ci) * KH + kh) * KW + kw];

  memset(Xp, 0, sizeof(Xp));  // the padded pixels NP .. PP-1 stay zero
  for (int n = 0; n < N; ++n) {
    const uint8_t* Xn = X + (size_t)n * CI * H * W;
    for (int kh = 0; kh < KH; ++kh)
      for (int kw = 0; kw < KW; ++kw)
        for (int ci = 0; ci < CI; ++ci) {
          uint8_t* dst = Xp + ((size_t)(kh * KW + kw) * (CI / 4) + ci / 4) * PP * 4 + ci % 4;
          const uint8_t* src = Xn + ((size_t)ci * H + kh) * W + kw;
          for (int oh = 0; oh < HO; ++oh)
            for (int ow = 0; ow < WO; ++ow) dst[(size_t)(oh * WO + ow) * 4] = src[(size_t)oh * S * W + ow * S];
        }

    int32_t* Yn = Y + (size_t)n * CO * NP;
    int co0 = 0;
    for (; co0 + kRB <= CO; co0 += kRB) channels<kRB>(Yn, co0);
    for (; co0 < CO; ++co0) channels<1>(Yn, co0);
  }
}
