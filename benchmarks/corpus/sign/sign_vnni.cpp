// sign (vnni dialect): Y[i] = -1, 0 or +1 for X[i] < 0, == 0, > 0 (float32; sign(0) = 0).
// Per 16-float vector: two compares give the > 0 and < 0 masks, which select +1 / -1 over a zero vector.
// The N % 16 tail uses masked loads/stores.
#include <immintrin.h>
#include <stdint.h>

#define N 4096

static inline __m512 sign16(__m512 x) {
  const __m512 zero = _mm512_setzero_ps();
  const __mmask16 pos = _mm512_cmp_ps_mask(x, zero, _CMP_GT_OQ);
  const __mmask16 neg = _mm512_cmp_ps_mask(x, zero, _CMP_LT_OQ);
  __m512 y = _mm512_mask_blend_ps(pos, zero, _mm512_set1_ps(1.0f));
  return _mm512_mask_blend_ps(neg, y, _mm512_set1_ps(-1.0f));
}

extern "C" void sign_kernel(const float* X, float* Y) {
  int i = 0;
  for (; i + 16 <= N; i += 16)
    _mm512_storeu_ps(Y + i, sign16(_mm512_loadu_ps(X + i)));
  if (i < N) {
    const __mmask16 m = (__mmask16)((1u << (N - i)) - 1u);
    _mm512_mask_storeu_ps(Y + i, m, sign16(_mm512_maskz_loadu_ps(m, X + i)));
  }
}
