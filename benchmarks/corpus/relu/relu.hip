// relu (HIP): Y[i] = max(X[i], 0), float32.
// Element-wise, one thread per element: a 1-D grid of 256-thread blocks covers N; the guard drops the
// threads of the last block that fall past the end.
#include <hip/hip_runtime.h>

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
  hipMalloc(&dX, N * sizeof(float));
  hipMalloc(&dY, N * sizeof(float));
  hipMemcpy(dX, X, N * sizeof(float), hipMemcpyHostToDevice);
  relu_device<<<(N + BLOCK - 1) / BLOCK, BLOCK>>>(dX, dY);
  hipMemcpy(Y, dY, N * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(dX);
  hipFree(dY);
}
