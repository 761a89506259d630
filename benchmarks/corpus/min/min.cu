// min (CUDA): Y[m] = min_n X[m, n] for a row-major [M, N] float32 matrix.
// One block per row, two-level reduction: each thread takes the minimum of a strided slice of the row,
// every warp reduces its 32 values with __shfl_down_sync, lane 0 of each warp parks the warp's minimum in
// shared memory, and after one __syncthreads() the first warp reduces those BLOCK/32 values the same way.
#include <cuda_runtime.h>

#define M 64
#define N 512

#define BLOCK 256  // a multiple of 32, at most 1024
#define WARPS (BLOCK / 32)

__device__ __forceinline__ float warp_min(float v) {
  for (int off = 16; off > 0; off >>= 1) {
    v = fminf(v, __shfl_down_sync(0xffffffffu, v, off));
  }
  return v;
}

__global__ void __launch_bounds__(BLOCK)
min_device(const float* __restrict__ X, float* __restrict__ Y) {
  __shared__ float warp_partial[WARPS];
  const int tid = threadIdx.x;
  const int lane = tid % 32;
  const int warp = tid / 32;
  const float* row = X + (size_t)blockIdx.x * N;

  float v = INFINITY;
  for (int j = tid; j < N; j += BLOCK) {
    v = fminf(v, row[j]);
  }
  v = warp_min(v);
  if (lane == 0) {
    warp_partial[warp] = v;
  }
  __syncthreads();

  if (warp == 0) {
    v = lane < WARPS ? warp_partial[lane] : INFINITY;
    v = warp_min(v);
    if (lane == 0) {
      Y[blockIdx.x] = v;
    }
  }
}

extern "C" void min_kernel(const float* X, float* Y) {
  float *dX, *dY;
  cudaMalloc(&dX, M * N * sizeof(float));
  cudaMalloc(&dY, M * sizeof(float));
  cudaMemcpy(dX, X, M * N * sizeof(float), cudaMemcpyHostToDevice);
  min_device<<<M, BLOCK>>>(dX, dY);
  cudaMemcpy(Y, dY, M * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(dX);
  cudaFree(dY);
}
