// mean (vnni dialect): Y[m] = mean of X[m, :], float32 row-major [M, N].
// Per row: four independent 16-float accumulators (64 floats per step) hide the add latency, then one
// masked vector for the N % 16 tail, a horizontal _mm512_reduce_add_ps and a scale by 1/N.
#include <immintrin.h>
#include <stdint.h>

#define M 64
#define N 512

extern "C" void mean_kernel(const float* X, float* Y) {
  for (int m = 0; m < M; ++m) {
    const float* x = X + (size_t)m * N;
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
    int j = 0;
    for (; j + 64 <= N; j += 64) {
      a0 = _mm512_add_ps(a0, _mm512_loadu_ps(x + j));
      a1 = _mm512_add_ps(a1, _mm512_loadu_ps(x + j + 16));
      a2 = _mm512_add_ps(a2, _mm512_loadu_ps(x + j + 32));
      a3 = _mm512_add_ps(a3, _mm512_loadu_ps(x + j + 48));
    }
    for (; j + 16 <= N; j += 16)
      a0 = _mm512_add_ps(a0, _mm512_loadu_ps(x + j));
    if (j < N)
      a1 = _mm512_add_ps(a1, _mm512_maskz_loadu_ps((__mmask16)((1u << (N - j)) - 1u), x + j));
    Y[m] = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3))) * (1.0f / N);
  }
}
