// sub (CUDA): C[i] = A[i] - B[i], float32.
// Element-wise, one thread per element: a 1-D grid of 256-thread blocks covers N; the guard drops the
// threads of the last block that fall past the end (N need not be a multiple of the block).
#include <cuda_runtime.h>

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
  cudaMalloc(&dA, N * sizeof(float));
  cudaMalloc(&dB, N * sizeof(float));
  cudaMalloc(&dC, N * sizeof(float));
  cudaMemcpy(dA, A, N * sizeof(float), cudaMemcpyHostToDevice);
  cudaMemcpy(dB, B, N * sizeof(float), cudaMemcpyHostToDevice);
  sub_device<<<(N + BLOCK - 1) / BLOCK, BLOCK>>>(dA, dB, dC);
  cudaMemcpy(C, dC, N * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(dA);
  cudaFree(dB);
  cudaFree(dC);
}
