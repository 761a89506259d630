#include <cuda_fp16.h>
#include <cuda_runtime.h>

__global__ void half_scale_kernel(half* y, const half* x, float a, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = __float2half(a * __half2float(x[i]));
}

void half_scale(half* y, const half* x, float a, int n) {
  half *dx, *dy;
  cudaMalloc(&dx, n * sizeof(half));
  cudaMalloc(&dy, n * sizeof(half));
  cudaMemcpy(dx, x, n * sizeof(half), cudaMemcpyHostToDevice);
  half_scale_kernel<<<(n + 63) / 64, 64>>>(dy, dx, a, n);
  cudaMemcpy(y, dy, n * sizeof(half), cudaMemcpyDeviceToHost);
  cudaFree(dx);
  cudaFree(dy);
}
