// sin: Y[i] = sin(X[i]), float32.
#define N 4096

extern "C" void sin_kernel(const float* X, float* Y) {
  for (int i = 0; i < N; ++i) {
    Y[i] = sinf(X[i]);
  }
}
