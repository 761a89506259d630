#include <cstdio>
#include <cuda_runtime.h>
#include <cuda_fp16.h>
#include "local_helpers.h"

#define THREADS 256

__global__ void vecAddKernel(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ c, int n) {
  int i = (int)blockIdx.x * blockDim.x + (int)threadIdx.x;
  if (i < n) c[i] = a[i] + b[i];
}

void vecAddLauncher(const float* a, const float* b, float* c, int n) {
  float *da, *db, *dc;
  cudaMalloc((void**)&da, n * sizeof(float));
  cudaMalloc((void**)&db, n * sizeof(float));
  cudaMalloc((void**)&dc, n * sizeof(float));
  cudaMemcpy(da, a, n * sizeof(float), cudaMemcpyHostToDevice);
  cudaMemcpy(db, b, n * sizeof(float), cudaMemcpyHostToDevice);
  vecAddKernel<<<(n + THREADS - 1) / THREADS, THREADS>>>(da, db, dc, n);
  cudaDeviceSynchronize();
  cudaMemcpy(c, dc, n * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(da);
  cudaFree(db);
  cudaFree(dc);
}
