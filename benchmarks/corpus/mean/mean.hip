// mean (HIP): Y[m] = (1/N) sum_n X[m, n] for a row-major [M, N] float32 matrix.
// One wavefront per row (the rows are short): a 256-thread block holds BLOCK / warpSize wavefronts (4 on
// CDNA), each owning one row; its lanes read the row in coalesced strides and reduce their partial sums
// with a __shfl_xor butterfly over the whole wavefront, and lane 0 writes the mean. The host asks the
// device for its wavefront size to size the grid. No LDS, no block barrier.
#include <hip/hip_runtime.h>

#define M 64
#define N 512

#define BLOCK 256  // a multiple of the wavefront size

__global__ void __launch_bounds__(BLOCK)
mean_device(const float* __restrict__ X, float* __restrict__ Y) {
  const int lane = threadIdx.x % warpSize;
  const int r = blockIdx.x * (BLOCK / warpSize) + threadIdx.x / warpSize;
  if (r >= M) {
    return;  // whole wavefronts leave together: the shuffles below stay wave-uniform
  }
  const float* row = X + (size_t)r * N;

  float acc = 0.0f;
  for (int j = lane; j < N; j += warpSize) {
    acc += row[j];
  }
  for (int mask = warpSize / 2; mask > 0; mask >>= 1) {
    acc += __shfl_xor(acc, mask);
  }
  if (lane == 0) {
    Y[r] = acc * (1.0f / N);
  }
}

extern "C" void mean_kernel(const float* X, float* Y) {
  int wave_size = 64;
  hipDeviceGetAttribute(&wave_size, hipDeviceAttributeWarpSize, 0);
  const int rows_per_block = BLOCK / wave_size;

  float *dX, *dY;
  hipMalloc(&dX, M * N * sizeof(float));
  hipMalloc(&dY, M * sizeof(float));
  hipMemcpy(dX, X, M * N * sizeof(float), hipMemcpyHostToDevice);
  mean_device<<<(M + rows_per_block - 1) / rows_per_block, BLOCK>>>(dX, dY);
  hipMemcpy(Y, dY, M * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(dX);
  hipFree(dY);
}
