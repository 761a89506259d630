// instancenorm (HIP): NCHW, Y[n, c] = (X[n, c] - mean) * rsqrt(var + eps) * gamma[c] + beta[c], where
// mean and the biased var run over the H*W plane of each (n, c).
// One block per (n, c) plane. The plane is read once into registers (PER_THREAD strided values per
// thread); the mean and then the variance of the centered values are block-wide sums: a __shfl_down
// tree over the wavefront (64 lanes on CDNA), lane 0 of each wavefront parks its partial in LDS, the
// first wavefront folds those, and the total is broadcast through LDS.
#include <hip/hip_runtime.h>

#define N 2
#define C 16
#define H 16
#define W 16

#define HW (H * W)
#define BLOCK 128               // a multiple of warpSize, at most 1024
#define MAX_WAVES (BLOCK / 32)  // LDS slots: enough for wave64 and wave32 alike
#define PER_THREAD ((HW + BLOCK - 1) / BLOCK)

__device__ __forceinline__ float wave_sum(float v) {
  for (int off = warpSize / 2; off > 0; off >>= 1) {
    v += __shfl_down(v, off);
  }
  return v;  // the total is in lane 0
}

// Sum over the block, returned to every thread. `scratch` holds MAX_WAVES + 1 floats.
__device__ float block_sum(float v, float* scratch) {
  const int lane = threadIdx.x % warpSize;
  const int wave = threadIdx.x / warpSize;
  const int waves = BLOCK / warpSize;
  v = wave_sum(v);
  if (lane == 0) {
    scratch[wave] = v;
  }
  __syncthreads();
  if (wave == 0) {
    v = wave_sum(lane < waves ? scratch[lane] : 0.0f);
    if (lane == 0) {
      scratch[MAX_WAVES] = v;
    }
  }
  __syncthreads();
  const float total = scratch[MAX_WAVES];
  __syncthreads();  // scratch is reused by the next reduction
  return total;
}

__global__ void __launch_bounds__(BLOCK)
instancenorm_device(const float* __restrict__ X, const float* __restrict__ gamma,
                    const float* __restrict__ beta, float* __restrict__ Y, float eps) {
  __shared__ float scratch[MAX_WAVES + 1];
  const int tid = threadIdx.x;
  const int c = blockIdx.x % C;
  const float* x = X + (size_t)blockIdx.x * HW;
  float* y = Y + (size_t)blockIdx.x * HW;

  float v[PER_THREAD];
  float s = 0.0f;
#pragma unroll
  for (int k = 0; k < PER_THREAD; ++k) {
    const int j = tid + k * BLOCK;
    v[k] = j < HW ? x[j] : 0.0f;
    s += v[k];
  }
  const float mean = block_sum(s, scratch) * (1.0f / HW);

  float sq = 0.0f;
#pragma unroll
  for (int k = 0; k < PER_THREAD; ++k) {
    const int j = tid + k * BLOCK;
    const float d = v[k] - mean;
    sq += j < HW ? d * d : 0.0f;
  }
  const float rstd = rsqrtf(block_sum(sq, scratch) * (1.0f / HW) + eps);

  const float scale = rstd * gamma[c];
  const float shift = beta[c] - mean * scale;
#pragma unroll
  for (int k = 0; k < PER_THREAD; ++k) {
    const int j = tid + k * BLOCK;
    if (j < HW) {
      y[j] = v[k] * scale + shift;
    }
  }
}

extern "C" void instancenorm_kernel(const float* X, const float* gamma, const float* beta, float* Y,
                                    float eps) {
  float *dX, *dG, *dB, *dY;
  hipMalloc(&dX, N * C * HW * sizeof(float));
  hipMalloc(&dG, C * sizeof(float));
  hipMalloc(&dB, C * sizeof(float));
  hipMalloc(&dY, N * C * HW * sizeof(float));
  hipMemcpy(dX, X, N * C * HW * sizeof(float), hipMemcpyHostToDevice);
  hipMemcpy(dG, gamma, C * sizeof(float), hipMemcpyHostToDevice);
  hipMemcpy(dB, beta, C * sizeof(float), hipMemcpyHostToDevice);
  instancenorm_device<<<N * C, BLOCK>>>(dX, dG, dB, dY, eps);
  hipMemcpy(Y, dY, N * C * HW * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(dX);
  hipFree(dG);
  hipFree(dB);
  hipFree(dY);
}
