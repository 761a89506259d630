// gelu (vnni dialect): Y[i] = 0.5*x*(1 + tanh(sqrt(2/pi)*(x + 0.044715*x^3))), x = X[i] (tanh approximation).
// Pass 1 (AVX-512, 16 floats per step): the tanh argument u = sqrt(2/pi)*x*(1 + 0.044715*x^2), stored in Y.
// Pass 2 (scalar libm, no SVML): Y[i] = 0.5*x*(1 + tanhf(u)). Masked tail for N % 16.
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#define N 4096

static inline __m512 gelu_arg16(__m512 x) {
  const __m512 c = _mm512_set1_ps(0.7978845608028654f);  // sqrt(2/pi)
  const __m512 a = _mm512_set1_ps(0.044715f);
  const __m512 x2 = _mm512_mul_ps(x, x);
  return _mm512_mul_ps(_mm512_mul_ps(c, x), _mm512_fmadd_ps(a, x2, _mm512_set1_ps(1.0f)));
}

extern "C" void gelu_kernel(const float* X, float* Y) {
  int i = 0;
  for (; i + 16 <= N; i += 16)
    _mm512_storeu_ps(Y + i, gelu_arg16(_mm512_loadu_ps(X + i)));
  if (i < N) {
    const __mmask16 m = (__mmask16)((1u << (N - i)) - 1u);
    _mm512_mask_storeu_ps(Y + i, m, gelu_arg16(_mm512_maskz_loadu_ps(m, X + i)));
  }
  for (int j = 0; j < N; ++j)
    Y[j] = 0.5f * X[j] * (1.0f + tanhf(Y[j]));
}
