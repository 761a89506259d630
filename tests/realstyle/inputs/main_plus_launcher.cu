#include <cstdio>
#include <cuda_runtime.h>
#include "timer_utils.h"

__global__ void axpy_kernel(float a, const float* x, float* y, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = a * x[i] + y[i];
}

void axpy(float a, const float* x, float* y, int n) {
  float *dx, *dy;
  cudaMalloc(&dx, n * sizeof(float));
  cudaMalloc(&dy, n * sizeof(float));
  cudaMemcpy(dx, x, n * sizeof(float), cudaMemcpyHostToDevice);
  cudaMemcpy(dy, y, n * sizeof(float), cudaMemcpyHostToDevice);
  axpy_kernel<<<(n + 255) / 256, 256>>>(a, dx, dy, n);
  cudaMemcpy(y, dy, n * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(dx);
  cudaFree(dy);
}

int main(int argc, char** argv) {
  float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  float y[8] = {0};
  axpy(2.0f, x, y, 8);
  printf("%f\n", y[7]);
  return 0;
}
