// bmm: C[b] = A[b] @ B[b]; A [BATCH, M, K], B [BATCH, K, N], C [BATCH, M, N], row-major, float32.
#define BATCH 4
#define M 64
#define N 64
#define K 64

extern "C" void bmm_kernel(const float* A, const float* B, float* C) {
  for (int b = 0; b < BATCH; ++b) {
    const float* a = A + b * M * K;
    const float* bt = B + b * K * N;
    float* c = C + b * M * N;
    for (int m = 0; m < M; ++m) {
      for (int n = 0; n < N; ++n) {
        float acc = 0.0f;
        for (int k = 0; k < K; ++k) {
          acc += a[m * K + k] * bt[k * N + n];
        }
        c[m * N + n] = acc;
      }
    }
  }
}
