// layernorm over the last axis of X [M, N]:
//   Y[m, :] = (X[m, :] - mean) / sqrt(var + eps) * gamma + beta   (biased variance); float32.
#define M 64
#define N 256

extern "C" void layernorm_kernel(const float* X, const float* gamma, const float* beta, float* Y, float eps) {
  for (int m = 0; m < M; ++m) {
    const float* x = X + m * N;
    float* y = Y + m * N;
    float mean = 0.0f;
    for (int n = 0; n < N; ++n) {
      mean += x[n];
    }
    mean /= N;
    float var = 0.0f;
    for (int n = 0; n < N; ++n) {
      float d = x[n] - mean;
      var += d * d;
    }
    var /= N;
    float inv_std = 1.0f / sqrtf(var + eps);
    for (int n = 0; n < N; ++n) {
      y[n] = (x[n] - mean) * inv_std * gamma[n] + beta[n];
    }
  }
}
