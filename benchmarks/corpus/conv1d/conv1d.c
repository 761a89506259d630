// conv1d, NCL layout, no padding, stride S:
//   Y[n, co, l] = sum over ci < CI, k < KW of X[n, ci, l*S + k] * W[co, ci, k]
// X [N, CI, L], W [CO, CI, KW], Y [N, CO, LO] with LO = (L - KW) / S + 1; float32.
#define N 2
#define CI 32
#define L 128
#define CO 64
#define KW 3
#define S 1
#define LO ((L - KW) / S + 1)

extern "C" void conv1d_kernel(const float* X, const float* W, float* Y) {
  for (int n = 0; n < N; ++n) {
    for (int co = 0; co < CO; ++co) {
      for (int l = 0; l < LO; ++l) {
        float acc = 0.0f;
        for (int ci = 0; ci < CI; ++ci) {
          const float* x = X + (n * CI + ci) * L + l * S;
          const float* w = W + (co * CI + ci) * KW;
          for (int k = 0; k < KW; ++k) {
            acc += x[k] * w[k];
          }
        }
        Y[(n * CO + co) * LO + l] = acc;
      }
    }
  }
}
