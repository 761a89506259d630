// avgpool, NHWC, no padding: Y[n, oh, ow, c] = mean over kh < KH, kw < KW of X[n, oh*SH + kh, ow*SW + kw, c]
// X [N, H, W, C], Y [N, HO, WO, C]; float32.
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

extern "C" void avgpool_kernel(const float* X, float* Y) {
  for (int n = 0; n < N; ++n) {
    for (int oh = 0; oh < HO; ++oh) {
      for (int ow = 0; ow < WO; ++ow) {
        for (int c = 0; c < C; ++c) {
          float acc = 0.0f;
          for (int kh = 0; kh < KH; ++kh) {
            for (int kw = 0; kw < KW; ++kw) {
              acc += X[((n * H + oh * SH + kh) * W + ow * SW + kw) * C + c];
            }
          }
          Y[((n * HO + oh) * WO + ow) * C + c] = acc / (KH * KW);
        }
      }
    }
  }
}
