// softmax (vnni dialect): Y[m, :] = exp(X[m, :] - max) / sum(exp(X[m, :] - max)), float32 row-major [M, N].
// Per row, three passes: (1) AVX-512 running max (masked tail keeps the running max in masked-off lanes),
// (2) scalar libm expf(x - max) written to Y while summing (no SVML), (3) AVX-512 scale by 1/sum
// (masked store for the N % 16 tail).
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#define M 64
#define N 512

extern "C" void softmax_kernel(const float* X, float* Y) {
  for (int m = 0; m < M; ++m) {
    const float* x = X + (size_t)m * N;
    float* y = Y + (size_t)m * N;
    __m512 vmax = _mm512_set1_ps(x[0]);
    int j = 0;
    for (; j + 16 <= N; j += 16)
      vmax = _mm512_max_ps(vmax, _mm512_loadu_ps(x + j));
    if (j < N)
      vmax = _mm512_max_ps(vmax, _mm512_mask_loadu_ps(vmax, (__mmask16)((1u << (N - j)) - 1u), x + j));
    const float mx = _mm512_reduce_max_ps(vmax);

    float s = 0.0f;
    for (int k = 0; k < N; ++k) {
      const float e = expf(x[k] - mx);
      y[k] = e;
      s += e;
    }

    const __m512 inv = _mm512_set1_ps(1.0f / s);
    j = 0;
    for (; j + 16 <= N; j += 16)
      _mm512_storeu_ps(y + j, _mm512_mul_ps(_mm512_loadu_ps(y + j), inv));
    if (j < N) {
      const __mmask16 t = (__mmask16)((1u << (N - j)) - 1u);
      _mm512_mask_storeu_ps(y + j, t, _mm512_mul_ps(_mm512_maskz_loadu_ps(t, y + j), inv));
    }
  }
}
