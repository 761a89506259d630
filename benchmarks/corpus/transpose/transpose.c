// transpose: Y[n, m] = X[m, n]; X [M, N], Y [N, M], row-major, float32.
#define M 128
#define N 64

extern "C" void transpose_kernel(const float* X, float* Y) {
  for (int m = 0; m < M; ++m) {
    for (int n = 0; n < N; ++n) {
      Y[n * M + m] = X[m * N + n];
    }
  }
}
