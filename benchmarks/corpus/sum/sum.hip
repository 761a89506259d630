// sum (HIP): Y[m] = sum_n X[m, n] for a row-major [M, N] float32 matrix.
// One block per row: each of the 256 threads accumulates a strided slice of the row (coalesced loads),
// the partials are folded by an LDS tree (__syncthreads between levels) down to 2 * warpSize values, and
// the first wavefront (64 lanes on CDNA) finishes with __shfl_down, no barrier needed inside a wavefront.
#include <hip/hip_runtime.h>

#define M 64
#define N 512

#define BLOCK 256  // a power of two, at least 2 * warpSize

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

  for (int s = BLOCK / 2; s > warpSize; s >>= 1) {
    if (tid < s) {
      partial[tid] += partial[tid + s];
    }
    __syncthreads();
  }

  if (tid < warpSize) {
    float v = partial[tid] + partial[tid + warpSize];
    for (int off = warpSize / 2; off > 0; off >>= 1) {
      v += __shfl_down(v, off);
    }
    if (tid == 0) {
      Y[blockIdx.x] = v;
    }
  }
}

extern "C" void sum_kernel(const float* X, float* Y) {
  float *dX, *dY;
  hipMalloc(&dX, M * N * sizeof(float));
  hipMalloc(&dY, M * sizeof(float));
  hipMemcpy(dX, X, M * N * sizeof(float), hipMemcpyHostToDevice);
  sum_device<<<M, BLOCK>>>(dX, dY);
  hipMemcpy(Y, dY, M * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(dX);
  hipFree(dY);
}
