// depthwise conv2d, NHWC, no padding, stride S:
//   Y[n, oh, ow, c] = sum over kh, kw of X[n, oh*S + kh, ow*S + kw, c] * Wt[kh, kw, c]
// X [N, H, W, C], Wt [KH, KW, C], Y [N, HO, WO, C]; float32.
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
  for (int n = 0; n < N; ++n) {
    for (int oh = 0; oh < HO; ++oh) {
      for (int ow = 0; ow < WO; ++ow) {
        float* y = Y + ((n * HO + oh) * WO + ow) * C;
        for (int c = 0; c < C; ++c) {
          y[c] = 0.0f;
        }
        for (int kh = 0; kh < KH; ++kh) {
          for (int kw = 0; kw < KW; ++kw) {
            const float* x = X + ((n * H + oh * S + kh) * W + ow * S + kw) * C;
            const float* w = Wt + (kh * KW + kw) * C;
            for (int c = 0; c < C; ++c) {
              y[c] += x[c] * w[c];
            }
          }
        }
      }
    }
  }
}
