// rmsnorm (HIP): Y[m, :] = X[m, :] * rsqrt(mean(X[m, :]^2) + eps) * gamma over the last axis of [M, N].
// One block per row. Each thread accumulates the squares of a strided slice of the row; a shared-memory
// tree reduction (a __syncthreads() per level) leaves the sum of squares in partial[0], which every
// thread reads after the last barrier; then the row is scaled in a second coalesced pass.
#include <hip/hip_runtime.h>

#define M 64
#define N 256

#define BLOCK 256  // a power of two

__global__ void __launch_bounds__(BLOCK)
rmsnorm_device(const float* __restrict__ X, const float* __restrict__ gamma, float* __restrict__ Y,
               float eps) {
  __shared__ float partial[BLOCK];
  const int tid = threadIdx.x;
  const float* x = X + (size_t)blockIdx.x * N;
  float* y = Y + (size_t)blockIdx.x * N;

  float sq = 0.0f;
  for (int j = tid; j < N; j += BLOCK) {
    sq += x[j] * x[j];
  }
  partial[tid] = sq;
  __syncthreads();

  for (int s = BLOCK / 2; s > 0; s >>= 1) {
    if (tid < s) {
      partial[tid] += partial[tid + s];
    }
    __syncthreads();
  }
  const float inv_rms = rsqrtf(partial[0] * (1.0f / N) + eps);

  for (int j = tid; j < N; j += BLOCK) {
    y[j] = x[j] * inv_rms * gamma[j];
  }
}

extern "C" void rmsnorm_kernel(const float* X, const float* gamma, float* Y, float eps) {
  float *dX, *dG, *dY;
  hipMalloc(&dX, M * N * sizeof(float));
  hipMalloc(&dG, N * sizeof(float));
  hipMalloc(&dY, M * N * sizeof(float));
  hipMemcpy(dX, X, M * N * sizeof(float), hipMemcpyHostToDevice);
  hipMemcpy(dG, gamma, N * sizeof(float), hipMemcpyHostToDevice);
  rmsnorm_device<<<M, BLOCK>>>(dX, dG, dY, eps);
  hipMemcpy(Y, dY, M * N * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(dX);
  hipFree(dG);
  hipFree(dY);
}
