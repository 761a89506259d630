// layernorm (HIP): Y[m, :] = (X[m, :] - mean) * rsqrt(var + eps) * gamma + beta over the last axis of
// [M, N], with the biased variance.
// One block per row. The row is read once into registers (PER_THREAD strided values per thread); the mean
// and then the variance of the centered values (two passes, numerically safe) are block-wide sums done as
// a __shfl_xor butterfly over the wavefront (64 lanes on CDNA), one LDS slot per wavefront, and a
// second butterfly.
#include <hip/hip_runtime.h>

#define M 64
#define N 256

#define BLOCK 256               // a multiple of warpSize, at most 1024
#define MAX_WAVES (BLOCK / 32)  // LDS slots: enough for wave64 and wave32 alike
#define PER_THREAD ((N + BLOCK - 1) / BLOCK)

__device__ __forceinline__ float wave_sum(float v) {
  for (int mask = warpSize / 2; mask > 0; mask >>= 1) {
    v += __shfl_xor(v, mask);
  }
  return v;
}

// Sum over the block; every thread receives the total. `scratch` holds MAX_WAVES floats.
__device__ float block_sum(float v, float* scratch) {
  const int lane = threadIdx.x % warpSize;
  const int wave = threadIdx.x / warpSize;
  const int waves = BLOCK / warpSize;
  v = wave_sum(v);
  if (lane == 0) {
    scratch[wave] = v;
  }
  __syncthreads();
  v = wave_sum(lane < waves ? scratch[lane] : 0.0f);
  __syncthreads();  // scratch is reused by the next reduction
  return v;
}

__global__ void __launch_bounds__(BLOCK)
layernorm_device(const float* __restrict__ X, const float* __restrict__ gamma,
                 const float* __restrict__ beta, float* __restrict__ Y, float eps) {
  __shared__ float scratch[MAX_WAVES];
  const int tid = threadIdx.x;
  const float* x = X + (size_t)blockIdx.x * N;
  float* y = Y + (size_t)blockIdx.x * N;

  float v[PER_THREAD];
  float s = 0.0f;
#pragma unroll
  for (int k = 0; k < PER_THREAD; ++k) {
    const int j = tid + k * BLOCK;
    v[k] = j < N ? x[j] : 0.0f;
    s += v[k];
  }
  const float mean = block_sum(s, scratch) * (1.0f / N);

  float sq = 0.0f;
#pragma unroll
  for (int k = 0; k < PER_THREAD; ++k) {
    const int j = tid + k * BLOCK;
    const float d = v[k] - mean;
    sq += j < N ? d * d : 0.0f;
  }
  const float rstd = rsqrtf(block_sum(sq, scratch) * (1.0f / N) + eps);

#pragma unroll
  for (int k = 0; k < PER_THREAD; ++k) {
    const int j = tid + k * BLOCK;
    if (j < N) {
      y[j] = (v[k] - mean) * rstd * gamma[j] + beta[j];
    }
  }
}

extern "C" void layernorm_kernel(const float* X, const float* gamma, const float* beta, float* Y,
                                 float eps) {
  float *dX, *dG, *dB, *dY;
  hipMalloc(&dX, M * N * sizeof(float));
  hipMalloc(&dG, N * sizeof(float));
  hipMalloc(&dB, N * sizeof(float));
  hipMalloc(&dY, M * N * sizeof(float));
  hipMemcpy(dX, X, M * N * sizeof(float), hipMemcpyHostToDevice);
  hipMemcpy(dG, gamma, N * sizeof(float), hipMemcpyHostToDevice);
  hipMemcpy(dB, beta, N * sizeof(float), hipMemcpyHostToDevice);
  layernorm_device<<<M, BLOCK>>>(dX, dG, dB, dY, eps);
  hipMemcpy(Y, dY, M * N * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(dX);
  hipFree(dG);
  hipFree(dB);
  hipFree(dY);
}
