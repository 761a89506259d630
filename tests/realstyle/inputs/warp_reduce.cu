#include <cuda_runtime.h>
#include <cstdio>

#define BLOCK 256

__inline__ __device__ float warpReduceSum(float val) {
  for (int offset = 16; offset > 0; offset /= 2)
    val += __shfl_down_sync(0xffffffff, val, offset);
  return val;
}

__global__ void block_sum(const float* in, float* out, int n) {
  __shared__ float partial[BLOCK / 32];
  int tid = threadIdx.x;
  int i = blockIdx.x * BLOCK + tid;
  float v = (i < n) ? in[i] : 0.0f;
  v = warpReduceSum(v);
  if ((tid & 31) == 0) partial[tid >> 5] = v;
  __syncthreads();
  if (tid < 32) {
    v = (tid < BLOCK / 32) ? partial[tid] : 0.0f;
    v = warpReduceSum(v);
    if (tid == 0) atomicAdd(out, v);
  }
}

void sum_all(const float* x, float* result, int n) {
  float *dx, *dr;
  cudaStream_t stream;
  cudaStreamCreate(&stream);
  cudaMalloc(&dx, n * sizeof(float));
  cudaMalloc(&dr, sizeof(float));
  cudaMemsetAsync(dr, 0, sizeof(float), stream);
  cudaMemcpyAsync(dx, x, n * sizeof(float), cudaMemcpyHostToDevice, stream);
  block_sum<<<(n + BLOCK - 1) / BLOCK, BLOCK, 0, stream>>>(dx, dr, n);
  cudaMemcpyAsync(result, dr, sizeof(float), cudaMemcpyDeviceToHost, stream);
  cudaStreamSynchronize(stream);
  cudaStreamDestroy(stream);
  cudaFree(dx);
  cudaFree(dr);
}
