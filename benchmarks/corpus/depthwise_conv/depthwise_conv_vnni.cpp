// depthwise_conv (vnni dialect): NHWC float32, filter [KH, KW, C], no padding, stride S:
// Y[n, oh, ow, c] = sum_{kh, kw} X[n, oh*S + kh, ow*S + kw, c] * Wt[kh, kw, c].
// Channels are contiguous in X, Wt and Y, so each output pixel is computed 16 channels at a time with one
// FMA per filter tap; the C % 16 remainder uses masked loads/stores.
#include <immintrin.h>
#include <stdint.h>

#define N 1
#define H 16
#define W 16
#define C 64
#define KH 3
#define KW 3
#define S 1

#define HO ((H - KH) / S + 1)
#define WO ((W - KW) / S + 1)

extern "C" void depthwise_conv_kernel(const float* X, const float* Wt, float* Y) {
  const int tail = C % 16;
  const __mmask16 tm = (__mmask16)((1u << tail) - 1u);
  for (int n = 0; n < N; ++n)
    for (int oh = 0; oh < HO; ++oh)
      for (int ow = 0; ow < WO; ++ow) {
        const float* win = X + (((size_t)n * H + oh * S) * W + ow * S) * C;
        float* y = Y + (((size_t)n * HO + oh) * WO + ow) * C;
        int c = 0;
        for (; c + 16 <= C; c += 16) {
          __m512 acc = _mm512_setzero_ps();
          for (int kh = 0; kh < KH; ++kh)
            for (int kw = 0; kw < KW; ++kw)
              acc = _mm512_fmadd_ps(_mm512_loadu_ps(win + ((size_t)kh * W + kw) * C + c),
                                    _mm512_loadu_ps(Wt + (kh * KW + kw) * C + c), acc);
          _mm512_storeu_ps(y + c, acc);
        }
        if (tail) {
          __m512 acc = _mm512_setzero_ps();
          for (int kh = 0; kh < KH; ++kh)
            for (int kw = 0; kw < KW; ++kw)
              acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tm, win + ((size_t)kh * W + kw) * C + c),
                                    _mm512_maskz_loadu_ps(tm, Wt + (kh * KW + kw) * C + c), acc);
          _mm512_mask_storeu_ps(y + c, tm, acc);
        }
      }
}
