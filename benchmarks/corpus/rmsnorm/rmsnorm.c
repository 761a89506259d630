// rmsnorm over the last axis of X [M, N]: Y[m, :] = X[m, :] / sqrt(mean(X[m, :]^2) + eps) * gamma; float32.
#define M 64
#define N 256

extern "C" void rmsnorm_kernel(const float* X, const float* gamma, float* Y, float eps) {
  for (int m = 0; m < M; ++m) {
    const float* x = X + m * N;
    float* y = Y + m * N;
    float sq = 0.0f;
    for (int n = 0; n < N; ++n) {
      sq += x[n] * x[n];
    }
    float inv_rms = 1.0f / sqrtf(sq / N + eps);
    for (int n = 0; n < N; ++n) {
      y[n] = x[n] * inv_rms * gamma[n];
    }
  }
}
