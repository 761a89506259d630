// max (vnni dialect): Y[m] = maximum of X[m, :], float32 row-major [M, N].
// Per row: two 16-float running maxima (32 floats per step); the N % 16 tail is a masked load whose
// masked-off lanes hold the row's first element (neutral for max); then _mm512_reduce_max_ps.
#include <immintrin.h>
#include <stdint.h>

#define M 64
#define N 512

extern "C" void max_kernel(const float* X, float* Y) {
  for (int m = 0; m < M; ++m) {
    const float* x = X + (size_t)m * N;
    __m512 a0 = _mm512_set1_ps(x[0]), a1 = a0;
    int j = 0;
    for (; j + 32 <= N; j += 32) {
      a0 = _mm512_max_ps(a0, _mm512_loadu_ps(x + j));
      a1 = _mm512_max_ps(a1, _mm512_loadu_ps(x + j + 16));
    }
    for (; j + 16 <= N; j += 16)
      a0 = _mm512_max_ps(a0, _mm512_loadu_ps(x + j));
    if (j < N)
      a1 = _mm512_max_ps(a1, _mm512_mask_loadu_ps(a1, (__mmask16)((1u << (N - j)) - 1u), x + j));
    Y[m] = _mm512_reduce_max_ps(_mm512_max_ps(a0, a1));
  }
}
