// gemm: C[M, N] = A[M, K] @ B[K, N], row-major, float32.
#define M 128
#define N 128
#define K 128

extern "C" void gemm_kernel(const float* A, const float* B, float* C) {
  for (int m = 0; m < M; ++m) {
    for (int n = 0; n < N; ++n) {
      float acc = 0.0f;
      for (int k = 0; k < K; ++k) {
        acc += A[m * K + k] * B[k * N + n];
      }
      C[m * N + n] = acc;
    }
  }
}
