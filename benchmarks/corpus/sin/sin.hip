// sin (HIP): Y[i] = sin(X[i]), float32.
// Element-wise, grid-stride loop: a 1-D grid of 256-thread blocks sized to cover N once; each thread
// strides by the whole grid, so any N (tails included) is handled.
#include <hip/hip_runtime.h>

#define N 4096

#define BLOCK 256

__global__ void __launch_bounds__(BLOCK)
sin_device(const float* __restrict__ X, float* __restrict__ Y) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < N; i += gridDim.x * blockDim.x) {
    const float x = X[i];
    Y[i] = sinf(x);
  }
}

extern "C" void sin_kernel(const float* X, float* Y) {
  float *dX, *dY;
  hipMalloc(&dX, N * sizeof(float));
  hipMalloc(&dY, N * sizeof(float));
  hipMemcpy(dX, X, N * sizeof(float), hipMemcpyHostToDevice);
  sin_device<<<(N + BLOCK - 1) / BLOCK, BLOCK>>>(dX, dY);
  hipMemcpy(Y, dY, N * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(dX);
  hipFree(dY);
}
