// instancenorm, NCHW: every (n, c) plane is normalized over its H*W values (biased variance),
//   Y[n, c] = (X[n, c] - mean) / sqrt(var + eps) * gamma[c] + beta[c]; float32.
#define N 2
#define C 16
#define H 16
#define W 16

extern "C" void instancenorm_kernel(const float* X, const float* gamma, const float* beta, float* Y, float eps) {
  for (int n = 0; n < N; ++n) {
    for (int c = 0; c < C; ++c) {
      const float* x = X + (n * C + c) * H * W;
      float* y = Y + (n * C + c) * H * W;
      float mean = 0.0f;
      for (int i = 0; i < H * W; ++i) {
        mean += x[i];
      }
      mean /= H * W;
      float var = 0.0f;
      for (int i = 0; i < H * W; ++i) {
        float d = x[i] - mean;
        var += d * d;
      }
      var /= H * W;
      float scale = gamma[c] / sqrtf(var + eps);
      for (int i = 0; i < H * W; ++i) {
        y[i] = (x[i] - mean) * scale + beta[c];
      }
    }
  }
}
