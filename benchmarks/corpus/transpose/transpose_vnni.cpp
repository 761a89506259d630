// transpose (vnni dialect): Y[n, m] = X[m, n], float32, X [M, N] row-major, Y [N, M].
// The output is written in contiguous 16-float rows: Y[n, m0 .. m0+15] is a strided column of X, fetched
// with one AVX-512 gather (_mm512_i32gather_ps, stride N floats) and stored with one vector store.
// Work goes in 16-row blocks of X so the gathered cache lines are reused across consecutive n;
// the M % 16 remainder uses a masked gather and a masked store.
#include <immintrin.h>
#include <stdint.h>

#define M 128
#define N 64

extern "C" void transpose_kernel(const float* X, float* Y) {
  const __m512i rows = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                          _mm512_set1_epi32(N));  // element offsets of 16 consecutive rows
  for (int m0 = 0; m0 < M; m0 += 16) {
    const int rem = M - m0 < 16 ? M - m0 : 16;
    const __mmask16 mk = (__mmask16)((1u << rem) - 1u);
    const float* col = X + (size_t)m0 * N;
    for (int n = 0; n < N; ++n) {
      const __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mk, rows, col + n, 4);
      _mm512_mask_storeu_ps(Y + (size_t)n * M + m0, mk, v);
    }
  }
}
