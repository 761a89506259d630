#include <cuda_runtime.h>
#include <cuda_fp16.h>
#include <cstdio>

#define CHECK(call) do { cudaError_t e = (call); if (e != cudaSuccess) { printf("%s\n", cudaGetErrorString(e)); } } while (0)

__global__ void hist_and_scale(const int* keys, int* bins, half* h, float* total, int* maxv, int n) {
  __shared__ float tile[128];
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  float v = 0.0f;
  if (i < n) {
    atomicAdd(&bins[keys[i] & 15], 1);
    atomicMax(maxv, keys[i]);
    h[i] = __hmul(h[i], __float2half(2.0f));
    v = (float)keys[i];
  }
  tile[threadIdx.x] = v;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) tile[threadIdx.x] += tile[threadIdx.x + s];
    __syncthreads();
  }
  if (threadIdx.x == 0) atomicAdd(total, tile[0]);
}

void run_hist(const int* keys, int* bins, half* h, float* total, int* maxv, int n) {
  int *dk, *db, *dm;
  half* dh;
  float* dt;
  float* pinned;
  CHECK(cudaMallocHost((void**)&pinned, sizeof(float)));
  CHECK(cudaMalloc(&dk, n * sizeof(int)));
  CHECK(cudaMalloc(&db, 16 * sizeof(int)));
  CHECK(cudaMalloc(&dm, sizeof(int)));
  CHECK(cudaMalloc(&dh, n * sizeof(half)));
  CHECK(cudaMalloc(&dt, sizeof(float)));
  cudaMemcpy(dk, keys, n * sizeof(int), cudaMemcpyHostToDevice);
  cudaMemcpy(dh, h, n * sizeof(half), cudaMemcpyHostToDevice);
  cudaMemset(db, 0, 16 * sizeof(int));
  cudaMemset(dm, 0, sizeof(int));
  cudaMemset(dt, 0, sizeof(float));
  hist_and_scale<<<(n + 127) / 128, 128>>>(dk, db, dh, dt, dm, n);
  CHECK(cudaGetLastError());
  cudaDeviceSynchronize();
  cudaMemcpy(bins, db, 16 * sizeof(int), cudaMemcpyDeviceToHost);
  cudaMemcpy(h, dh, n * sizeof(half), cudaMemcpyDeviceToHost);
  cudaMemcpy(pinned, dt, sizeof(float), cudaMemcpyDeviceToHost);
  total[0] = pinned[0];
  cudaMemcpy(maxv, dm, sizeof(int), cudaMemcpyDeviceToHost);
  cudaFreeHost(pinned);
  cudaFree(dk);
  cudaFree(db);
  cudaFree(dm);
  cudaFree(dh);
  cudaFree(dt);
}
