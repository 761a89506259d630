// conv2d, NHWC input, OHWI filter, no padding, stride S:
//   Y[n, oh, ow, co] = sum over kh, kw, ci of X[n, oh*S + kh, ow*S + kw, ci] * Wt[co, kh, kw, ci]
// X [N, H, W, CI], Wt [CO, KH, KW, CI], Y [N, HO, WO, CO]; float32.
#define N 1
#define H 16
#define W 16
#define CI 32
#define CO 64
#define KH 3
#define KW 3
#define S 1
#define HO ((H - KH) / S + 1)
#define WO ((W - KW) / S + 1)

extern "C" void conv2d_nhwc_kernel(const float* X, const float* Wt, float* Y) {
  for (int n = 0; n < N; ++n) {
    for (int oh = 0; oh < HO; ++oh) {
      for (int ow = 0; ow < WO; ++ow) {
        for (int co = 0; co < CO; ++co) {
          float acc = 0.0f;
          for (int kh = 0; kh < KH; ++kh) {
            for (int kw = 0; kw < KW; ++kw) {
              const float* x = X + ((n * H + oh * S + kh) * W + ow * S + kw) * CI;
              const float* w = Wt + ((co * KH + kh) * KW + kw) * CI;
              for (int ci = 0; ci < CI; ++ci) {
                acc += x[ci] * w[ci];
              }
            }
          }
          Y[((n * HO + oh) * WO + ow) * CO + co] = acc;
        }
      }
    }
  }
}
