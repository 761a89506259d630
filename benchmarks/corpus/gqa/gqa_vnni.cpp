// gqa (vnni dialect): grouped-query attention, no mask:
// O[b, h] = softmax(Q[b, h] @ K[b, g]^T / sqrt(D)) @ V[b, g], g = h / (HQ / HKV) (consecutive query heads
// share a kv head); Q, O [B, HQ, S, D], K, V [B, HKV, S, D]. Q u8 and K s8 (small integers: the scores are
// exact int32), V and O float32.
// Per (b, g), then for each of the HQ/HKV query heads of the group (they share the packed K):
//   1. K is packed into the VNNI layout Kp[D/4][S][4] (4 consecutive d of one key side by side), so one
//      64-byte load is 16 keys x 4 d. Scores for 4 query rows x (16*NV) keys accumulate in int32 with
//      _mm512_dpbusd_epi32(acc, q_u8 broadcast, k_s8), then become float scaled by 1/sqrt(D).
//   2. Per query row, softmax in float: AVX-512 max, scalar libm expf (no SVML) with the sum, and
//      O[i, :] = (sum_j p_j * V[j, :]) / sum with broadcast-FMAs over the D/16 vectors of a V row.
// Relies on the spec's constraints: HQ % HKV == 0, S % 16 == 0, D % 16 == 0.
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define B 1
#define HQ 8
#define HKV 2
#define S 64
#define D 64

static_assert(HQ % HKV == 0 && S % 16 == 0 && D % 16 == 0,
              "gqa_vnni: HQ must be a multiple of HKV, S and D multiples of 16");

constexpr int kVec = S / 16;              // 16-key vectors per score row
constexpr int kNB = kVec < 4 ? kVec : 4;  // key vectors per register tile
constexpr int kRows = 4;                  // query rows per register tile

alignas(64) static int8_t Kp[(D / 4) * S * 4];
alignas(64) static float P[kRows][S];  // scores, then probabilities, of the current query rows

static inline int32_t load4(const uint8_t* p) {  // 4 consecutive u8 as one int32 lane value
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

// Scaled scores P[r][j0 .. j0+16*NV-1] of query rows Qh[i0 .. i0+3].
template <int NV>
static inline void scores(const uint8_t* Qh, int i0, int j0) {
  __m512i acc[kRows][NV];
  for (int r = 0; r < kRows; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_si512();
  for (int d4 = 0; d4 < D / 4; ++d4) {
    __m512i k[NV];
    for (int v = 0; v < NV; ++v) k[v] = _mm512_load_si512(Kp + ((size_t)d4 * S + j0 + 16 * v) * 4);
    for (int r = 0; r < kRows; ++r) {
      const __m512i q = _mm512_set1_epi32(load4(Qh + (size_t)(i0 + r) * D + 4 * d4));
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], q, k[v]);
    }
  }
  const __m512 scale = _mm512_set1_ps(1.0f / sqrtf((float)D));
  for (int r = 0; r < kRows; ++r)
    for (int v = 0; v < NV; ++v)
      _mm512_store_ps(&P[r][j0 + 16 * v], _mm512_mul_ps(_mm512_cvtepi32_ps(acc[r][v]), scale));
}

// O_row = softmax(p) @ Vh, p = one row of P (overwritten with exp values).
static inline void softmax_pv(float* p, const float* Vh, float* O_row) {
  __m512 vmax = _mm512_load_ps(p);
  for (int j = 16; j < S; j += 16) vmax = _mm512_max_ps(vmax, _mm512_load_ps(p + j));
  const float mx = _mm512_reduce_max_ps(vmax);
  float sum = 0.0f;
  for (int j = 0; j < S; ++j) {
    p[j] = expf(p[j] - mx);
    sum += p[j];
  }
  __m512 acc[D / 16];
  for (int v = 0; v < D / 16; ++v) acc[v] = _mm512_setzero_ps();
  for (int j = 0; j < S; ++j) {
    const __m512 pj = _mm512_set1_ps(p[j]);
    for (int v = 0; v < D / 16; ++v) acc[v] = _mm512_fmadd_ps(pj, _mm512_loadu_ps(Vh + (size_t)j * D + 16 * v), acc[v]);
  }
  const __m512 inv = _mm512_set1_ps(1.0f / sum);
  for (int v = 0; v < D / 16; ++v) _mm512_storeu_ps(O_row + 16 * v, _mm512_mul_ps(acc[v], inv));
}

extern "C" void gqa_kernel(const uint8_t* Q, const int8_t* K, const float* V, float* O) {
  constexpr int group = HQ / HKV;
  for (int b = 0; b < B; ++b)
    for (int g = 0; g < HKV; ++g) {
      const size_t kv = ((size_t)b * HKV + g) * S * D;
      const int8_t* Kh = K + kv;
      for (int j = 0; j < S; ++j)
        for (int d = 0; d < D; ++d) Kp[((size_t)(d / 4) * S + j) * 4 + d % 4] = Kh[(size_t)j * D + d];

      for (int h = g * group; h < (g + 1) * group; ++h) {
        const size_t qo = ((size_t)b * HQ + h) * S * D;
        for (int i0 = 0; i0 < S; i0 += kRows) {
          int j0 = 0;
          for (; j0 + 16 * kNB <= S; j0 += 16 * kNB) scores<kNB>(Q + qo, i0, j0);
          if constexpr (kVec % kNB != 0) scores<kVec % kNB>(Q + qo, i0, j0);
          for (int r = 0; r < kRows; ++r) softmax_pv(P[r], V + kv, O + qo + (size_t)(i0 + r) * D);
        }
      }
    }
}
