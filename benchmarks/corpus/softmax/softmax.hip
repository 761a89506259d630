// softmax (HIP): Y[m, :] = exp(X[m, :] - max) / sum(exp(X[m, :] - max)), over the last axis of [M, N].
// One block per row. The row is read once into registers (PER_THREAD strided values per thread), then two
// block-wide reductions (max, then the sum of exponentials) each run as a __shfl_xor butterfly over
// the wavefront (64 lanes on CDNA), a hop through LDS (one value per wavefront) and a second butterfly, so every thread gets the
// result. The normalized values are written from the registers.
#include <hip/hip_runtime.h>

#define M 64
#define N 512

#define BLOCK 256               // a multiple of warpSize, at most 1024
#define MAX_WAVES (BLOCK / 32)  // LDS slots: enough for wave64 and wave32 alike
#define PER_THREAD ((N + BLOCK - 1) / BLOCK)

__device__ __forceinline__ float wave_max(float v) {
  for (int mask = warpSize / 2; mask > 0; mask >>= 1) {
    v = fmaxf(v, __shfl_xor(v, mask));
  }
  return v;
}

__device__ __forceinline__ float wave_sum(float v) {
  for (int mask = warpSize / 2; mask > 0; mask >>= 1) {
    v += __shfl_xor(v, mask);
  }
  return v;
}

// Block-wide reductions; every thread of the block receives the result. `scratch` holds MAX_WAVES floats.
__device__ float block_max(float v, float* scratch) {
  const int lane = threadIdx.x % warpSize;
  const int wave = threadIdx.x / warpSize;
  const int waves = BLOCK / warpSize;
  v = wave_max(v);
  if (lane == 0) {
    scratch[wave] = v;
  }
  __syncthreads();
  v = wave_max(lane < waves ? scratch[lane] : -INFINITY);
  __syncthreads();  // scratch is reused by the next reduction
  return v;
}

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
  __syncthreads();
  return v;
}

__global__ void __launch_bounds__(BLOCK)
softmax_device(const float* __restrict__ X, float* __restrict__ Y) {
  __shared__ float scratch[MAX_WAVES];
  const int tid = threadIdx.x;
  const float* x = X + (size_t)blockIdx.x * N;
  float* y = Y + (size_t)blockIdx.x * N;

  float v[PER_THREAD];
  float local_max = -INFINITY;
#pragma unroll
  for (int k = 0; k < PER_THREAD; ++k) {
    const int j = tid + k * BLOCK;
    v[k] = j < N ? x[j] : -INFINITY;
    local_max = fmaxf(local_max, v[k]);
  }
  const float row_max = block_max(local_max, scratch);

  float local_sum = 0.0f;
#pragma unroll
  for (int k = 0; k < PER_THREAD; ++k) {
    v[k] = expf(v[k] - row_max);  // exp(-inf) = 0 for the padding slots
    local_sum += v[k];
  }
  const float inv_sum = 1.0f / block_sum(local_sum, scratch);

#pragma unroll
  for (int k = 0; k < PER_THREAD; ++k) {
    const int j = tid + k * BLOCK;
    if (j < N) {
      y[j] = v[k] * inv_sum;
    }
  }
}

extern "C" void softmax_kernel(const float* X, float* Y) {
  float *dX, *dY;
  hipMalloc(&dX, M * N * sizeof(float));
  hipMalloc(&dY, M * N * sizeof(float));
  hipMemcpy(dX, X, M * N * sizeof(float), hipMemcpyHostToDevice);
  softmax_device<<<M, BLOCK>>>(dX, dY);
  hipMemcpy(Y, dY, M * N * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(dX);
  hipFree(dY);
}
