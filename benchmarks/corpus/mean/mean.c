// mean: Y[m] = mean over n of X[m, n]; X is row-major [M, N], float32.
#define M 64
#define N 512

extern "C" void mean_kernel(const float* X, float* Y) {
  for (int m = 0; m < M; ++m) {
    float acc = 0.0f;
    for (int n = 0; n < N; ++n) {
      acc += X[m * N + n];
    }
    Y[m] = acc / N;
  }
}
