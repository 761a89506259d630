// concat (HIP): C[m, :] = [A[m, :], B[m, :]] along the last axis; A is [M, N1], B is [M, N2].
// A 2-D grid: blockIdx.y = row m, blockIdx.x * BLOCK + threadIdx.x = output column j. Each thread copies
// one element from A (j < N1) or B (j >= N1); writes to C and reads of A and B stay coalesced.
#include <hip/hip_runtime.h>

#define M 64
#define N1 128
#define N2 64

#define NC (N1 + N2)
#define BLOCK 128

__global__ void __launch_bounds__(BLOCK)
concat_device(const float* __restrict__ A, const float* __restrict__ B, float* __restrict__ C) {
  const int m = blockIdx.y;
  const int j = blockIdx.x * BLOCK + threadIdx.x;
  if (j < N1) {
    C[(size_t)m * NC + j] = A[(size_t)m * N1 + j];
  } else if (j < NC) {
    C[(size_t)m * NC + j] = B[(size_t)m * N2 + (j - N1)];
  }
}

extern "C" void concat_kernel(const float* A, const float* B, float* C) {
  float *dA, *dB, *dC;
  hipMalloc(&dA, M * N1 * sizeof(float));
  hipMalloc(&dB, M * N2 * sizeof(float));
  hipMalloc(&dC, M * NC * sizeof(float));
  hipMemcpy(dA, A, M * N1 * sizeof(float), hipMemcpyHostToDevice);
  hipMemcpy(dB, B, M * N2 * sizeof(float), hipMemcpyHostToDevice);
  const dim3 grid((NC + BLOCK - 1) / BLOCK, M);
  hipLaunchKernelGGL(concat_device, grid, dim3(BLOCK), 0, 0, dA, dB, dC);
  hipMemcpy(C, dC, M * NC * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(dA);
  hipFree(dB);
  hipFree(dC);
}
