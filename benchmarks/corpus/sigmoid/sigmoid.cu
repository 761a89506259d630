// sigmoid (CUDA): Y[i] = 1 / (1 + exp(-X[i])), float32.
// Element-wise, grid-stride loop: a 1-D grid of 256-thread blocks sized to cover N once; each thread
// strides by the whole grid, so any N (tails included) is handled.
#include <cuda_runtime.h>

#define N 4096

#define BLOCK 256

__global__ void __launch_bounds__(BLOCK)
sigmoid_device(const float* __restrict__ X, float* __restrict__ Y) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < N; i += gridDim.x * blockDim.x) {
    const float x = X[i];
    Y[i] = 1.0f / (1.0f + expf(-x));
  }
}

extern "C" void sigmoid_kernel(const float* X, float* Y) {
  float *dX, *dY;
  cudaMalloc(&dX, N * sizeof(float));
  cudaMalloc(&dY, N * sizeof(float));
  cudaMemcpy(dX, X, N * sizeof(float), cudaMemcpyHostToDevice);
  sigmoid_device<<<(N + BLOCK - 1) / BLOCK, BLOCK>>>(dX, dY);
  cudaMemcpy(Y, dY, N * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(dX);
  cudaFree(dY);
}
