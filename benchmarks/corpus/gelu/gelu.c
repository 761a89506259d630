// gelu (tanh approximation): Y[i] = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), x = X[i], float32.
#define N 4096

extern "C" void gelu_kernel(const float* X, float* Y) {
  const float k = 0.7978845608028654f;  // sqrt(2 / pi)
  for (int i = 0; i < N; ++i) {
    float x = X[i];
    Y[i] = 0.5f * x * (1.0f + tanhf(k * (x + 0.044715f * x * x * x)));
  }
}
