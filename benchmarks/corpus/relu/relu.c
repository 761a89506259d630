// relu: Y[i] = max(X[i], 0), float32.
#define N 4096

extern "C" void relu_kernel(const float* X, float* Y) {
  for (int i = 0; i < N; ++i) {
    Y[i] = X[i] > 0.0f ? X[i] : 0.0f;
  }
}
