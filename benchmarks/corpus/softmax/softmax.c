// softmax over the last axis: Y[m, :] = exp(X[m, :] - max) / sum(exp(X[m, :] - max)); [M, N] row-major, float32.
#define M 64
#define N 512

extern "C" void softmax_kernel(const float* X, float* Y) {
  for (int m = 0; m < M; ++m) {
    const float* x = X + m * N;
    float* y = Y + m * N;
    float row_max = x[0];
    for (int n = 1; n < N; ++n) {
      if (x[n] > row_max) row_max = x[n];
    }
    float total = 0.0f;
    for (int n = 0; n < N; ++n) {
      y[n] = expf(x[n] - row_max);
      total += y[n];
    }
    float inv = 1.0f / total;
    for (int n = 0; n < N; ++n) {
      y[n] *= inv;
    }
  }
}
