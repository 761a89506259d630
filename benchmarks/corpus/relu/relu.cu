// relu (CUDA): Y[i] = max(X[i], 0), float32.
// Element-wise, one thread per element: a 1-D grid of 256-thread blocks covers N; the guard drops the
// threads of the last block that fall past the end.
#include <cuda_runtime.h>

#define N 4096

#define BLOCK 256

__global__ void __launch_bounds__(BLOCK)
relu_device(const float* __restrict__ X, float* __restrict__ Y) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < N) {
    const float x = X[i];
    Y[i] = fmaxf(x, 0.0f);
  }
}

extern "C" void relu_kernel(const float* X, float* Y) {
  float *dX, *dY;
  cudaMalloc(&dX, N * sizeof(float));
  cudaMalloc(&dY, N * sizeof(float));
  cudaMemcpy(dX, X, N * sizeof(float), cudaMemcpyHostToDevice);
  relu_device<<<(N + BLOCK - 1) / BLOCK, BLOCK>>>(dX, dY);
  cudaMemcpy(Y, dY, N * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(dX);
  cudaFree(dY);
}
