// add: C[i] = A[i] + B[i], float32.
#define N 4096

extern "C" void add_kernel(const float* A, const float* B, float* C) {
  for (int i = 0; i < N; ++i) {
    C[i] = A[i] + B[i];
  }
}
