// layernorm (vnni dialect): Y[m, :] = (X[m, :] - mean) / sqrt(var + eps) * gamma + beta, float32 [M, N];
// mean and biased variance over the last axis.
// Per row, three AVX-512 passes (masked tails for N % 16): (1) the sum -> mean, (2) the centered sum of
// squares -> var, (3) y = (x - mean) * rstd * gamma + beta with FMAs.
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#define M 64
#define N 256

extern "C" void layernorm_kernel(const float* X, const float* gamma, const float* beta, float* Y, float eps) {
  const int tail = N % 16;
  const __mmask16 tm = (__mmask16)((1u << tail) - 1u);
  for (int m = 0; m < M; ++m) {
    const float* x = X + (size_t)m * N;
    float* y = Y + (size_t)m * N;
    __m512 s = _mm512_setzero_ps();
    int j = 0;
    for (; j + 16 <= N; j += 16)
      s = _mm512_add_ps(s, _mm512_loadu_ps(x + j));
    if (tail)
      s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(tm, x + j));
    const float mean = _mm512_reduce_add_ps(s) / N;
    const __m512 vmean = _mm512_set1_ps(mean);
    __m512 ss = _mm512_setzero_ps();
    for (j = 0; j + 16 <= N; j += 16) {
      const __m512 d = _mm512_sub_ps(_mm512_loadu_ps(x + j), vmean);
      ss = _mm512_fmadd_ps(d, d, ss);
    }
    if (tail) {  // masked-off lanes must contribute 0, not mean^2
      const __m512 d = _mm512_maskz_sub_ps(tm, _mm512_maskz_loadu_ps(tm, x + j), vmean);
      ss = _mm512_fmadd_ps(d, d, ss);
    }
    const float var = _mm512_reduce_add_ps(ss) / N;
    const __m512 vrstd = _mm512_set1_ps(1.0f / sqrtf(var + eps));
    for (j = 0; j + 16 <= N; j += 16) {
      const __m512 xn = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(x + j), vmean), vrstd);
      _mm512_storeu_ps(y + j, _mm512_fmadd_ps(xn, _mm512_loadu_ps(gamma + j), _mm512_loadu_ps(beta + j)));
    }
    if (tail) {
      const __m512 xn = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(tm, x + j), vmean), vrstd);
      const __m512 g = _mm512_maskz_loadu_ps(tm, gamma + j), b = _mm512_maskz_loadu_ps(tm, beta + j);
      _mm512_mask_storeu_ps(y + j, tm, _mm512_fmadd_ps(xn, g, b));
    }
  }
}
