// batchnorm (vnni dialect): inference batch norm, NHWC float32:
// Y[n, h, w, c] = (X[n, h, w, c] - mean[c]) / sqrt(var[c] + eps) * gamma[c] + beta[c].
// The per-channel affine form y = x * scale[c] + shift[c] is folded once into two C-length tables
// (scale = gamma / sqrt(var + eps), shift = beta - mean * scale); then every pixel's C contiguous channels
// are one FMA per 16-float vector (masked tail for C % 16).
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#define N 2
#define H 16
#define W 16
#define C 64

extern "C" void batchnorm_kernel(const float* X, const float* mean, const float* var, const float* gamma,
                                 const float* beta, float* Y, float eps) {
  // padded to whole vectors: the tail vector reads 64 bytes
  alignas(64) static float scale[(C + 15) / 16 * 16], shift[(C + 15) / 16 * 16];
  for (int c = 0; c < C; ++c) {
    scale[c] = gamma[c] / sqrtf(var[c] + eps);
    shift[c] = beta[c] - mean[c] * scale[c];
  }
  const int tail = C % 16;
  const __mmask16 tm = (__mmask16)((1u << tail) - 1u);
  for (int p = 0; p < N * H * W; ++p) {
    const float* x = X + (size_t)p * C;
    float* y = Y + (size_t)p * C;
    int c = 0;
    for (; c + 16 <= C; c += 16)
      _mm512_storeu_ps(y + c,
                       _mm512_fmadd_ps(_mm512_loadu_ps(x + c), _mm512_load_ps(scale + c), _mm512_load_ps(shift + c)));
    if (tail)
      _mm512_mask_storeu_ps(y + c, tm, _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tm, x + c), _mm512_load_ps(scale + c),
                                                       _mm512_load_ps(shift + c)));
  }
}
