// gemv: y[M] = A[M, K] @ x[K], row-major A, float32.
#define M 256
#define K 256

extern "C" void gemv_kernel(const float* A, const float* x, float* y) {
  for (int m = 0; m < M; ++m) {
    float acc = 0.0f;
    for (int k = 0; k < K; ++k) {
      acc += A[m * K + k] * x[k];
    }
    y[m] = acc;
  }
}
