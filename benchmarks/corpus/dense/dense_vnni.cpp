// dense (vnni dialect): Y[M, N] = X[M, K] @ W[N, K]^T + bias[N]; X u8, W s8 (weight [out, in]), bias and Y
// int32 (exact, wrapping int32).
// W is packed into the VNNI layout Wp[K/4][N][4] (for each output column its 4 consecutive k side by side),
// so one 64-byte load gives 16 outputs x 4 k's. 4-row x (16*NV)-column register tiles start from the bias;
// per k-group each row's 4 X bytes are broadcast and _mm512_dpbusd_epi32(acc, x_u8, w_s8) adds 4 products
// per int32 lane. Relies on the spec's constraints: M % 16 == 0, N % 16 == 0, K % 16 == 0.
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define M 64
#define N 128
#define K 256

static_assert(M % 4 == 0 && N % 16 == 0 && K % 4 == 0, "dense_vnni: tile sizes must divide M, N, K");

alignas(64) static int8_t Wp[(K / 4) * N * 4];

static inline int32_t load4(const uint8_t* p) {  // 4 consecutive u8 as one int32 lane value
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

template <int NV>
static inline void tile(const uint8_t* X, const int32_t* bias, int32_t* Y, int m0, int n0) {
  __m512i acc[4][NV];
  for (int v = 0; v < NV; ++v) {
    const __m512i b = _mm512_loadu_si512(bias + n0 + 16 * v);
    for (int r = 0; r < 4; ++r) acc[r][v] = b;
  }
  for (int kk = 0; kk < K / 4; ++kk) {
    __m512i w[NV];
    for (int v = 0; v < NV; ++v) w[v] = _mm512_load_si512(Wp + ((size_t)kk * N + n0 + 16 * v) * 4);
    for (int r = 0; r < 4; ++r) {
      const __m512i x = _mm512_set1_epi32(load4(X + (size_t)(m0 + r) * K + 4 * kk));
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], x, w[v]);
    }
  }
  for (int r = 0; r < 4; ++r)
    for (int v = 0; v < NV; ++v) _mm512_storeu_si512(Y + (size_t)(m0 + r) * N + n0 + 16 * v, acc[r][v]);
}

extern "C" void dense_kernel(const uint8_t* X, const int8_t* W, const int32_t* bias, int32_t* Y) {
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < K; ++k) Wp[((size_t)(k / 4) * N + n) * 4 + k % 4] = W[(size_t)n * K + k];

  for (int m0 = 0; m0 < M; m0 += 4) {
    int n0 = 0;
    for (; n0 + 64 <= N; n0 += 64) tile<4>(X, bias, Y, m0, n0);
    switch ((N - n0) / 16) {
      case 3: tile<3>(X, bias, Y, m0, n0); break;
      case 2: tile<2>(X, bias, Y, m0, n0); break;
      case 1: tile<1>(X, bias, Y, m0, n0); break;
      default: break;
    }
  }
}
