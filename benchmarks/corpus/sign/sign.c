// sign: Y[i] = -1, 0 or +1 by the sign of X[i] (sign(0) = 0), float32.
#define N 4096

extern "C" void sign_kernel(const float* X, float* Y) {
  for (int i = 0; i < N; ++i) {
    float x = X[i];
    Y[i] = (x > 0.0f) ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);
  }
}
