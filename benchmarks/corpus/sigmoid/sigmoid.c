// sigmoid: Y[i] = 1 / (1 + exp(-X[i])), float32.
#define N 4096

extern "C" void sigmoid_kernel(const float* X, float* Y) {
  for (int i = 0; i < N; ++i) {
    Y[i] = 1.0f / (1.0f + expf(-X[i]));
  }
}
