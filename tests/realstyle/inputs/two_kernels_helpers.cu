#include <cuda_runtime.h>
#include <algorithm>
#include <vector>

__device__ __forceinline__ float square(float x) { return x * x; }
__device__ float scale_by(float x, float s) { return x * s; }

__global__ void square_kernel(float* y, const float* x, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = square(x[i]);
}

__global__ void scale_kernel(float* y, float s, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = scale_by(y[i], s);
}

void square_then_scale(float* out, const float* in, float s) {
  int dim1 = 1000;
  float *dx, *dy;
  cudaMalloc(&dx, dim1 * sizeof(float));
  cudaMalloc(&dy, dim1 * sizeof(float));
  cudaMemcpy(dx, in, dim1 * sizeof(float), cudaMemcpyHostToDevice);
  square_kernel<<<(dim1 + 127) / 128, 128>>>(dy, dx, dim1);
  scale_kernel<<<(dim1 + 127) / 128, 128>>>(dy, s, dim1);
  cudaThreadSynchronize();
  cudaMemcpy(out, dy, dim1 * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(dx);
  cudaFree(dy);
}
