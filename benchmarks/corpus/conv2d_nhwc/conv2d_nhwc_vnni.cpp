// conv2d_nhwc (vnni dialect): Y[n, oh, ow, co] = sum_{kh, kw, ci} X[n, oh*S + kh, ow*S + kw, ci] * Wt[co, kh, kw, ci];
// NHWC input (u8), OHWI filter (s8), int32 output (exact), no padding, stride S.
// Input channels are contiguous in X, so 4 consecutive ci of one input pixel are one int32 and need no
// packing: they are broadcast to all lanes. The filter is packed once into the VNNI layout
// Wp[kh][kw][CI/4][COP][4] (COP = CO rounded up to 16, zero padded) so one 64-byte load is 16 output channels
// x 4 ci. Register tiles of PX output pixels (along ow) x NV vectors of 16 output channels accumulate with
// _mm512_dpbusd_epi32(acc, x_u8, w_s8); the last channel vector is stored masked when CO % 16 != 0.
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
#define COP ((CO + 15) / 16 * 16)

static_assert(CI % 4 == 0, "conv2d_nhwc_vnni: CI must be a multiple of 4");

constexpr int kVec = COP / 16;               // 16-channel vectors per output pixel
constexpr int kNB = kVec < 4 ? kVec : 4;     // vectors per register tile
constexpr int kPX = 4;                       // output pixels per register tile

alignas(64) static int8_t Wp[KH * KW * (CI / 4) * COP * 4];

static inline int32_t load4(const uint8_t* p) {  // 4 consecutive u8 as one int32 lane value
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

// Output pixels (n, oh, ow0 .. ow0+PX-1), channels co0 .. co0 + 16*NV - 1.
template <int PX, int NV>
static inline void tile(const uint8_t* X, int32_t* Y, int n, int oh, int ow0, int co0) {
  __m512i acc[PX][NV];
  for (int p = 0; p < PX; ++p)
    for (int v = 0; v < NV; ++v) acc[p][v] = _mm512_setzero_si512();
  for (int kh = 0; kh < KH; ++kh)
    for (int kw = 0; kw < KW; ++kw) {
      const uint8_t* xrow = X + (((size_t)n * H + oh * S + kh) * W + ow0 * S + kw) * CI;
      const int8_t* wtap = Wp + (size_t)(kh * KW + kw) * (CI / 4) * COP * 4;
      for (int c4 = 0; c4 < CI / 4; ++c4) {
        __m512i w[NV];
        for (int v = 0; v < NV; ++v) w[v] = _mm512_load_si512(wtap + ((size_t)c4 * COP + co0 + 16 * v) * 4);
        for (int p = 0; p < PX; ++p) {
          const __m512i x = _mm512_set1_epi32(load4(xrow + (size_t)p * S * CI + 4 * c4));
          for (int v = 0; v < NV; ++v) acc[p][v] = _mm512_dpbusd_epi32(acc[p][v], x, w[v]);
        }
      }
    }
  for (int p = 0; p < PX; ++p) {
    int32_t* y = Y + (((size_t)n * HO + oh) * WO + ow0 + p) * CO + co0;
    for (int v = 0; v < NV; ++v) {
      const int left = CO - co0 - 16 * v;
      if (left >= 16)
        _mm512_storeu_si512(y + 16 * v, acc[p][v]);
      else
        _mm512_mask_storeu_epi32(y + 16 * v, (__mmask16)((1u << left) - 1u), acc[p][v]);
    }
  }
}

template <int PX>
static inline void pixels(const uint8_t* X, int32_t* Y, int n, int oh, int ow0) {
  int co0 = 0;
  for (; co0 + 16 * kNB <= COP; co0 += 16 * kNB) tile<PX, kNB>(X, Y, n, oh, ow0, co0);
  if constexpr (kVec % kNB != 0) tile<PX, kVec % kNB>(X, Y, n, oh, ow0, co0);
}

extern "C" void conv2d_nhwc_kernel(const uint8_t* X, const int8_t* Wt, int32_t* Y) {
  memset(Wp, 0, sizeof(Wp));
  for (int co = 0; co < CO; ++co)
    for (int kh = 0; kh < KH; ++kh)
      for (int kw = 0; kw < KW; ++kw)
        for (int ci = 0; ci < CI; ++ci)
          Wp[(((size_t)(kh * KW + kw) * (CI / 4) + ci / 4) * COP + co) * 4 + ci % 4] =
              Wt[(((size_t)co * KH + kh) * KW + kw) * CI + ci];

  for (int n = 0; n < N; ++n)
    for (int oh = 0; oh < HO; ++oh) {
      int ow = 0;
      for (; ow + kPX <= WO; ow += kPX) pixels<kPX>(X, Y, n, oh, ow);
      for (; ow < WO; ++ow) pixels<1>(X, Y, n, oh, ow);
    }
}
