// deformable_attention (vnni dialect): single-scale deformable attention, float32.
// out[b, q, h*DH + d] = sum_p attn[b, q, h, p] * bilinear sample of value[b, :, h, d] (an HV x WV map) at
// x = loc[b, q, h, p, 0]*WV - 0.5, y = loc[b, q, h, p, 1]*HV - 0.5; neighbours outside the map count as zero.
// Per (b, q, h): the index work is scalar - each of the P points gives up to four corner taps (pixel
// offset, attn * bilinear weight), out-of-map corners are dropped. Then the DH channels (contiguous in value
// and out) are accumulated 16 at a time with one broadcast-FMA per tap; the DH % 16 remainder is masked.
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#define B 1
#define HV 16
#define WV 16
#define NH 4
#define DH 32
#define LQ 64
#define P 4

extern "C" void deformable_attention_kernel(const float* value, const float* loc, const float* attn, float* out) {
  const int tail = DH % 16;
  const __mmask16 tm = (__mmask16)((1u << tail) - 1u);
  for (int b = 0; b < B; ++b)
    for (int q = 0; q < LQ; ++q)
      for (int h = 0; h < NH; ++h) {
        const size_t bqh = ((size_t)b * LQ + q) * NH + h;
        // 1. taps: value row offsets and weights
        const float* base = value + (size_t)b * HV * WV * NH * DH + (size_t)h * DH;
        size_t off[4 * P];
        float wt[4 * P];
        int nt = 0;
        for (int p = 0; p < P; ++p) {
          const float x = loc[(bqh * P + p) * 2 + 0] * WV - 0.5f;
          const float y = loc[(bqh * P + p) * 2 + 1] * HV - 0.5f;
          const float a = attn[bqh * P + p];
          const float xf = floorf(x), yf = floorf(y);
          const int x0 = (int)xf, y0 = (int)yf;
          const float fx = x - xf, fy = y - yf;
          for (int dy = 0; dy < 2; ++dy)
            for (int dx = 0; dx < 2; ++dx) {
              const int cx = x0 + dx, cy = y0 + dy;
              if (cx < 0 || cx >= WV || cy < 0 || cy >= HV) continue;
              off[nt] = ((size_t)cy * WV + cx) * NH * DH;
              wt[nt] = a * (dx ? fx : 1.0f - fx) * (dy ? fy : 1.0f - fy);
              ++nt;
            }
        }
        // 2. weighted sum of the value rows, 16 channels per vector
        float* o = out + bqh * DH;
        int d = 0;
        for (; d + 16 <= DH; d += 16) {
          __m512 acc = _mm512_setzero_ps();
          for (int t = 0; t < nt; ++t)
            acc = _mm512_fmadd_ps(_mm512_set1_ps(wt[t]), _mm512_loadu_ps(base + off[t] + d), acc);
          _mm512_storeu_ps(o + d, acc);
        }
        if (tail) {
          __m512 acc = _mm512_setzero_ps();
          for (int t = 0; t < nt; ++t)
            acc = _mm512_fmadd_ps(_mm512_set1_ps(wt[t]), _mm512_maskz_loadu_ps(tm, base + off[t] + d), acc);
          _mm512_mask_storeu_ps(o + d, tm, acc);
        }
      }
}
