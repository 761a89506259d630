// batchnorm (inference), NHWC:
//   Y[n, h, w, c] = (X[n, h, w, c] - mean[c]) / sqrt(var[c] + eps) * gamma[c] + beta[c]; float32.
#define N 2
#define H 16
#define W 16
#define C 64

extern "C" void batchnorm_kernel(const float* X, const float* mean, const float* var, const float* gamma,
                                 const float* beta, float* Y, float eps) {
  float scale[C];
  float shift[C];
  for (int c = 0; c < C; ++c) {
    scale[c] = gamma[c] / sqrtf(var[c] + eps);
    shift[c] = beta[c] - mean[c] * scale[c];
  }
  for (int p = 0; p < N * H * W; ++p) {
    for (int c = 0; c < C; ++c) {
      Y[p * C + c] = X[p * C + c] * scale[c] + shift[c];
    }
  }
}
