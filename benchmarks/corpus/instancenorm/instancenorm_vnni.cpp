// instancenorm (vnni dialect): NCHW float32; for each (n, c) plane of H*W contiguous values,
// Y = (X - mean) / sqrt(var + eps) * gamma[c] + beta[c] with mean and biased variance over the plane.
// Per plane, three AVX-512 passes (masked tails for H*W % 16): (1) the sum -> mean, (2) the centered sum of
// squares -> var, (3) y = x * scale + shift with scale = gamma * rstd, shift = beta - mean * scale
// (one FMA per vector).
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#define N 2
#define C 16
#define H 16
#define W 16

extern "C" void instancenorm_kernel(const float* X, const float* gamma, const float* beta, float* Y, float eps) {
  const int plane = H * W;
  const int tail = plane % 16;
  const __mmask16 tm = (__mmask16)((1u << tail) - 1u);
  for (int nc = 0; nc < N * C; ++nc) {
    const int c = nc % C;
    const float* x = X + (size_t)nc * plane;
    float* y = Y + (size_t)nc * plane;
    __m512 s = _mm512_setzero_ps();
    int j = 0;
    for (; j + 16 <= plane; j += 16)
      s = _mm512_add_ps(s, _mm512_loadu_ps(x + j));
    if (tail)
      s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(tm, x + j));
    const float mean = _mm512_reduce_add_ps(s) / plane;
    const __m512 vmean = _mm512_set1_ps(mean);
    __m512 ss = _mm512_setzero_ps();
    for (j = 0; j + 16 <= plane; j += 16) {
      const __m512 d = _mm512_sub_ps(_mm512_loadu_ps(x + j), vmean);
      ss = _mm512_fmadd_ps(d, d, ss);
    }
    if (tail) {  // masked-off lanes must contribute 0, not mean^2
      const __m512 d = _mm512_maskz_sub_ps(tm, _mm512_maskz_loadu_ps(tm, x + j), vmean);
      ss = _mm512_fmadd_ps(d, d, ss);
    }
    const float var = _mm512_reduce_add_ps(ss) / plane;
    const float scale = gamma[c] / sqrtf(var + eps);
    const __m512 vscale = _mm512_set1_ps(scale);
    const __m512 vshift = _mm512_set1_ps(beta[c] - mean * scale);
    for (j = 0; j + 16 <= plane; j += 16)
      _mm512_storeu_ps(y + j, _mm512_fmadd_ps(_mm512_loadu_ps(x + j), vscale, vshift));
    if (tail)
      _mm512_mask_storeu_ps(y + j, tm, _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tm, x + j), vscale, vshift));
  }
}
