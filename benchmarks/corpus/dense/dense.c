// dense (linear layer): Y[M, N] = X[M, K] @ W[N, K]^T + bias[N], row-major, float32.
#define M 64
#define N 128
#define K 256

extern "C" void dense_kernel(const float* X, const float* W, const float* bias, float* Y) {
  for (int m = 0; m < M; ++m) {
    for (int n = 0; n < N; ++n) {
      float acc = bias[n];
      for (int k = 0; k < K; ++k) {
        acc += X[m * K + k] * W[n * K + k];
      }
      Y[m * N + n] = acc;
    }
  }
}
