// max: Y[m] = maximum over n of X[m, n]; X is row-major [M, N], float32.
#define M 64
#define N 512

extern "C" void max_kernel(const float* X, float* Y) {
  for (int m = 0; m < M; ++m) {
    float best = X[m * N];
    for (int n = 1; n < N; ++n) {
      float x = X[m * N + n];
      if (x > best) best = x;
    }
    Y[m] = best;
  }
}
