// maxpool (vnni dialect): max pooling, NHWC float32, no padding:
// Y[n, oh, ow, c] = max over kh < KH, kw < KW of X[n, oh*SH + kh, ow*SW + kw, c].
// Channels are contiguous, so every output pixel is C/16 independent 16-float vectors: each vector
// accumulates the KH*KW window taps with _mm512_max_ps (C % 16 == 0 per the spec's constraints).
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#define N 1
#define H 16
#define W 16
#define C 64
#define KH 2
#define KW 2
#define SH 2
#define SW 2

#define HO ((H - KH) / SH + 1)
#define WO ((W - KW) / SW + 1)

extern "C" void maxpool_kernel(const float* X, float* Y) {
  for (int n = 0; n < N; ++n)
    for (int oh = 0; oh < HO; ++oh)
      for (int ow = 0; ow < WO; ++ow) {
        const float* win = X + (((size_t)n * H + oh * SH) * W + ow * SW) * C;  // top-left tap, channel 0
        float* y = Y + (((size_t)n * HO + oh) * WO + ow) * C;
        for (int c = 0; c < C; c += 16) {
          __m512 acc = _mm512_set1_ps(-INFINITY);
          for (int kh = 0; kh < KH; ++kh)
            for (int kw = 0; kw < KW; ++kw)
              acc = _mm512_max_ps(acc, _mm512_loadu_ps(win + ((size_t)kh * W + kw) * C + c));
          _mm512_storeu_ps(y + c, acc);
        }
      }
}
