// sum (CUDA): Y[m] = sum_n X[m, n] for a row-major [M, N] float32 matrix.
// One block per row: each of the 256 threads accumulates a strided slice of the row (coalesced loads),
// the partials are folded by a shared-memory tree (__syncthreads between levels) down to 64 values, and
// the first warp finishes with register shuffles (__shfl_down_sync), no barrier needed inside a warp.
#include <cuda_runtime.h>

#define M 64
#define N 512

#define BLOCK 256  // a power of two, at least 64

__global__ void __launch_bounds__(BLOCK)
sum_device(const float* __restrict__ X, float* __restrict__ Y) {
  __shared__ float partial[BLOCK];
  const int tid = threadIdx.x;
  const float* row = X + (size_t)blockIdx.x * N;

  float acc = 0.0f;
  for (int j = tid; j < N; j += BLOCK) {
    acc += row[j];
  }
  partial[tid] = acc;
  __syncthreads();

  for (int s = BLOCK / 2; s > 32; s >>= 1) {
    if (tid < s) {
      partial[tid] += partial[tid + s];
    }
    __syncthreads();
  }

  if (tid < 32) {
    float v = partial[tid] + partial[tid + 32];
    for (int off = 16; off > 0; off >>= 1) {
      v += __shfl_down_sync(0xffffffffu, v, off);
    }
    if (tid == 0) {
      Y[blockIdx.x] = v;
    }
  }
}

extern "C" void sum_kernel(const float* X, float* Y) {
  float *dX, *dY;
  cudaMalloc(&dX, M * N * sizeof(float));
  cudaMalloc(&dY, M * sizeof(float));
  cudaMemcpy(dX, X, M * N * sizeof(float), cudaMemcpyHostToDevice);
  sum_device<<<M, BLOCK>>>(dX, dY);
  cudaMemcpy(Y, dY, M * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(dX);
  cudaFree(dY);
}
