#include <cstdio>
#include <cstdlib>
#include <cuda_runtime.h>

__global__ void fill(float* x, float v, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] = v;
}

int main() {
  int n = 1024;
  float* d;
  cudaMalloc(&d, n * sizeof(float));
  fill<<<4, 256>>>(d, 1.0f, n);
  float* h = (float*)malloc(n * sizeof(float));
  cudaMemcpy(h, d, n * sizeof(float), cudaMemcpyDeviceToHost);
  printf("%f\n", h[0]);
  cudaFree(d);
  free(h);
  return 0;
}
