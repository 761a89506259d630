// rmsnorm (vnni dialect): Y[m, :] = X[m, :] / sqrt(mean(X[m, :]^2) + eps) * gamma, float32 [M, N].
// Per row, two AVX-512 passes: (1) sum of squares with FMAs into a 16-float accumulator (masked tail);
// (2) y = x * rstd * gamma. Masked loads/stores for N % 16.
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#define M 64
#define N 256

extern "C" void rmsnorm_kernel(const float* X, const float* gamma, float* Y, float eps) {
  const int tail = N % 16;
  const __mmask16 tm = (__mmask16)((1u << tail) - 1u);
  for (int m = 0; m < M; ++m) {
    const float* x = X + (size_t)m * N;
    float* y = Y + (size_t)m * N;
    __m512 ss = _mm512_setzero_ps();
    int j = 0;
    for (; j + 16 <= N; j += 16) {
      const __m512 v = _mm512_loadu_ps(x + j);
      ss = _mm512_fmadd_ps(v, v, ss);
    }
    if (tail) {
      const __m512 v = _mm512_maskz_loadu_ps(tm, x + j);
      ss = _mm512_fmadd_ps(v, v, ss);
    }
    const __m512 vrstd = _mm512_set1_ps(1.0f / sqrtf(_mm512_reduce_add_ps(ss) / N + eps));
    for (j = 0; j + 16 <= N; j += 16)
      _mm512_storeu_ps(y + j, _mm512_mul_ps(_mm512_mul_ps(_mm512_loadu_ps(x + j), vrstd), _mm512_loadu_ps(gamma + j)));
    if (tail)
      _mm512_mask_storeu_ps(y + j, tm,
                            _mm512_mul_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(tm, x + j), vrstd),
                                          _mm512_maskz_loadu_ps(tm, gamma + j)));
  }
}
