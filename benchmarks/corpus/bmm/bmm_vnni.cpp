// bmm (vnni dialect): C[b] = A[b] @ B[b] for b < BATCH; A [BATCH, M, K] u8, B [BATCH, K, N] s8,
// C [BATCH, M, N] int32 (exact, wrapping int32).
// Per batch: B[b] is packed into the VNNI layout Bp[K/4][N][4] (4 consecutive k of one column side by side),
// so a 64-byte load gives 16 columns x 4 k's; then 4-row x (16*NV)-column register tiles: each row's 4 A
// bytes are broadcast and _mm512_dpbusd_epi32(acc, a_u8, b_s8) adds 4 products per int32 lane.
// Relies on the spec's constraints: M % 16 == 0, N % 16 == 0, K % 16 == 0.
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define BATCH 4
#define M 64
#define N 64
#define K 64

static_assert(M % 4 == 0 && N % 16 == 0 && K % 4 == 0, "bmm_vnni: tile sizes must divide M, N, K");

alignas(64) static int8_t Bp[(K / 4) * N * 4];

static inline int32_t load4(const uint8_t* p) {  // 4 consecutive u8 as one int32 lane value
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

template <int NV>
static inline void tile(const uint8_t* A, int32_t* C, int m0, int n0) {
  __m512i acc[4][NV];
  for (int r = 0; r < 4; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_si512();
  for (int kk = 0; kk < K / 4; ++kk) {
    __m512i b[NV];
    for (int v = 0; v < NV; ++v) b[v] = _mm512_load_si512(Bp + ((size_t)kk * N + n0 + 16 * v) * 4);
    for (int r = 0; r < 4; ++r) {
      const __m512i a = _mm512_set1_epi32(load4(A + (size_t)(m0 + r) * K + 4 * kk));
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], a, b[v]);
    }
  }
  for (int r = 0; r < 4; ++r)
    for (int v = 0; v < NV; ++v) _mm512_storeu_si512(C + (size_t)(m0 + r) * N + n0 + 16 * v, acc[r][v]);
}

extern "C" void bmm_kernel(const uint8_t* A, const int8_t* B, int32_t* C) {
  for (int bt = 0; bt < BATCH; ++bt) {
    const uint8_t* a = A + (size_t)bt * M * K;
    const int8_t* b = B + (size_t)bt * K * N;
    int32_t* c = C + (size_t)bt * M * N;
    for (int kk = 0; kk < K / 4; ++kk)
      for (int n = 0; n < N; ++n)
        for (int t = 0; t < 4; ++t) Bp[((size_t)kk * N + n) * 4 + t] = b[(size_t)(4 * kk + t) * N + n];

    for (int m0 = 0; m0 < M; m0 += 4) {
      int n0 = 0;
      for (; n0 + 64 <= N; n0 += 64) tile<4>(a, c, m0, n0);
      switch ((N - n0) / 16) {
        case 3: tile<3>(a, c, m0, n0); break;
        case 2: tile<2>(a, c, m0, n0); break;
        case 1: tile<1>(a, c, m0, n0); break;
        default: break;
      }
    }
  }
}
