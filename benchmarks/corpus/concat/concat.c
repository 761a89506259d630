// concat along the last axis: C[m, :] = [A[m, :], B[m, :]]; A [M, N1], B [M, N2], C [M, N1 + N2], float32.
#define M 64
#define N1 128
#define N2 64

extern "C" void concat_kernel(const float* A, const float* B, float* C) {
  for (int m = 0; m < M; ++m) {
    float* c = C + m * (N1 + N2);
    for (int n = 0; n < N1; ++n) {
      c[n] = A[m * N1 + n];
    }
    for (int n = 0; n < N2; ++n) {
      c[N1 + n] = B[m * N2 + n];
    }
  }
}
