// mean (CUDA): Y[m] = (1/N) sum_n X[m, n] for a row-major [M, N] float32 matrix.
// One warp per row (the rows are short): a block of 8 warps handles 8 rows; the 32 lanes of a warp read
// the row in coalesced strides, then reduce their partial sums with a __shfl_xor_sync butterfly (every
// lane ends with the total), and lane 0 writes the mean. No shared memory, no block barrier.
#include <cuda_runtime.h>

#define M 64
#define N 512

#define BLOCK 256
#define ROWS_PER_BLOCK (BLOCK / 32)

__global__ void __launch_bounds__(BLOCK)
mean_device(const float* __restrict__ X, float* __restrict__ Y) {
  const int lane = threadIdx.x % 32;
  const int r = blockIdx.x * ROWS_PER_BLOCK + threadIdx.x / 32;
  if (r >= M) {
    return;  // whole warps leave together: the shuffles below stay warp-uniform
  }
  const float* row = X + (size_t)r * N;

  float acc = 0.0f;
  for (int j = lane; j < N; j += 32) {
    acc += row[j];
  }
  for (int mask = 16; mask > 0; mask >>= 1) {
    acc += __shfl_xor_sync(0xffffffffu, acc, mask);
  }
  if (lane == 0) {
    Y[r] = acc * (1.0f / N);
  }
}

extern "C" void mean_kernel(const float* X, float* Y) {
  float *dX, *dY;
  cudaMalloc(&dX, M * N * sizeof(float));
  cudaMalloc(&dY, M * sizeof(float));
  cudaMemcpy(dX, X, M * N * sizeof(float), cudaMemcpyHostToDevice);
  mean_device<<<(M + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK, BLOCK>>>(dX, dY);
  cudaMemcpy(Y, dY, M * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(dX);
  cudaFree(dY);
}
