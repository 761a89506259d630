// conv2d, NCHW input, OIHW filter, no padding, stride S:
//   Y[n, co, oh, ow] = sum over ci, kh, kw of X[n, ci, oh*S + kh, ow*S + kw] * Wt[co, ci, kh, kw]
// X [N, CI, H, W], Wt [CO, CI, KH, KW], Y [N, CO, HO, WO]; float32.
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

extern "C" void conv2d_nchw_kernel(const float* X, const float* Wt, float* Y) {
  for (int n = 0; n < N; ++n) {
    for (int co = 0; co < CO; ++co) {
      for (int oh = 0; oh < HO; ++oh) {
        for (int ow = 0; ow < WO; ++ow) {
          float acc = 0.0f;
          for (int ci = 0; ci < CI; ++ci) {
            for (int kh = 0; kh < KH; ++kh) {
              const float* x = X + ((n * CI + ci) * H + oh * S + kh) * W + ow * S;
              const float* w = Wt + ((co * CI + ci) * KH + kh) * KW;
              for (int kw = 0; kw < KW; ++kw) {
                acc += x[kw] * w[kw];
              }
            }
          }
          Y[((n * CO + co) * HO + oh) * WO + ow] = acc;
        }
      }
    }
  }
}
