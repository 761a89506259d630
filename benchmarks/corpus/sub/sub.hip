// sub (HIP): C[i] = A[i] - B[i], float32.
// Element-wise, one thread per element: a 1-D grid of 256-thread blocks covers N; the guard drops the
// threads of the last block that fall past the end (N need not be a multiple of the block).
#include <hip/hip_runtime.h>

#define N 4096

#define BLOCK 256

__global__ void __launch_bounds__(BLOCK)
sub_device(const float* __restrict__ A, const float* __restrict__ B, float* __restrict__ C) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < N) {
    C[i] = A[i] - B[i];
  }
}

extern "C" void sub_kernel(const float* A, const float* B, float* C) {
  float *dA, *dB, *dC;
  hipMalloc(&dA, N * sizeof(float));
  hipMalloc(&dB, N * sizeof(float));
  hipMalloc(&dC, N * sizeof(float));
  hipMemcpy(dA, A, N * sizeof(float), hipMemcpyHostToDevice);
  hipMemcpy(dB, B, N * sizeof(float), hipMemcpyHostToDevice);
  sub_device<<<(N + BLOCK - 1) / BLOCK, BLOCK>>>(dA, dB, dC);
  hipMemcpy(C, dC, N * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(dA);
  hipFree(dB);
  hipFree(dC);
}
