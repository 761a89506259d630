// relu (vnni dialect): Y[i] = max(X[i], 0), float32.
// 16-float AVX-512 vectors (_mm512_max_ps against zero); masked load/store for the N % 16 tail.
#include <immintrin.h>
#include <stdint.h>

#define N 4096

extern "C" void relu_kernel(const float* X, float* Y) {
  const __m512 zero = _mm512_setzero_ps();
  int i = 0;
  for (; i + 16 <= N; i += 16)
    _mm512_storeu_ps(Y + i, _mm512_max_ps(_mm512_loadu_ps(X + i), zero));
  if (i < N) {
    const __mmask16 m = (__mmask16)((1u << (N - i)) - 1u);
    _mm512_mask_storeu_ps(Y + i, m, _mm512_max_ps(_mm512_maskz_loadu_ps(m, X + i), zero));
  }
}
