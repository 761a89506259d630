// sigmoid (vnni dialect): Y[i] = 1 / (1 + exp(-X[i])), float32.
// The exponential has no AVX-512 instruction (no SVML), so exp(-x) is scalar libm, written into Y; a second
// pass with 16-float vectors forms 1 / (1 + e) (masked tail for N % 16).
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#define N 4096

extern "C" void sigmoid_kernel(const float* X, float* Y) {
  for (int i = 0; i < N; ++i)
    Y[i] = expf(-X[i]);
  const __m512 one = _mm512_set1_ps(1.0f);
  int i = 0;
  for (; i + 16 <= N; i += 16)
    _mm512_storeu_ps(Y + i, _mm512_div_ps(one, _mm512_add_ps(one, _mm512_loadu_ps(Y + i))));
  if (i < N) {
    const __mmask16 m = (__mmask16)((1u << (N - i)) - 1u);
    _mm512_mask_storeu_ps(Y + i, m, _mm512_div_ps(one, _mm512_add_ps(one, _mm512_maskz_loadu_ps(m, Y + i))));
  }
}
