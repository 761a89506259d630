// max (HIP): Y[m] = max_n X[m, n] for a row-major [M, N] float32 matrix.
// One block per row: each thread takes the maximum of a strided slice of the row (coalesced loads), then
// a classic shared-memory tree reduction halves the active threads per level, with a __syncthreads()
// between levels, until partial[0] holds the row maximum.
#include <hip/hip_runtime.h>

#define M 64
#define N 512

#define BLOCK 256  // a power of two

__global__ void __launch_bounds__(BLOCK)
max_device(const float* __restrict__ X, float* __restrict__ Y) {
  __shared__ float partial[BLOCK];
  const int tid = threadIdx.x;
  const float* row = X + (size_t)blockIdx.x * N;

  float best = -INFINITY;
  for (int j = tid; j < N; j += BLOCK) {
    best = fmaxf(best, row[j]);
  }
  partial[tid] = best;
  __syncthreads();

  for (int s = BLOCK / 2; s > 0; s >>= 1) {
    if (tid < s) {
      partial[tid] = fmaxf(partial[tid], partial[tid + s]);
    }
    __syncthreads();
  }

  if (tid == 0) {
    Y[blockIdx.x] = partial[0];
  }
}

extern "C" void max_kernel(const float* X, float* Y) {
  float *dX, *dY;
  hipMalloc(&dX, M * N * sizeof(float));
  hipMalloc(&dY, M * sizeof(float));
  hipMemcpy(dX, X, M * N * sizeof(float), hipMemcpyHostToDevice);
  max_device<<<M, BLOCK>>>(dX, dY);
  hipMemcpy(Y, dY, M * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(dX);
  hipFree(dY);
}
