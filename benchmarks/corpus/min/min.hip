// min (HIP): Y[m] = min_n X[m, n] for a row-major [M, N] float32 matrix.
// One block per row, two-level reduction: each thread takes the minimum of a strided slice of the row,
// every wavefront reduces its warpSize (64 on CDNA) values with __shfl_down, lane 0 of each wavefront
// parks the result in LDS, and after one __syncthreads() the first wavefront reduces those values.
#include <hip/hip_runtime.h>

#define M 64
#define N 512

#define BLOCK 256             // a multiple of warpSize, at most 1024
#define MAX_WAVES (BLOCK / 32)  // LDS slots: enough for wave64 and wave32 alike

__device__ __forceinline__ float wave_min(float v) {
  for (int off = warpSize / 2; off > 0; off >>= 1) {
    v = fminf(v, __shfl_down(v, off));
  }
  return v;  // the minimum is in lane 0
}

__global__ void __launch_bounds__(BLOCK)
min_device(const float* __restrict__ X, float* __restrict__ Y) {
  __shared__ float wave_partial[MAX_WAVES];
  const int tid = threadIdx.x;
  const int lane = tid % warpSize;
  const int wave = tid / warpSize;
  const int waves = BLOCK / warpSize;
  const float* row = X + (size_t)blockIdx.x * N;

  float v = INFINITY;
  for (int j = tid; j < N; j += BLOCK) {
    v = fminf(v, row[j]);
  }
  v = wave_min(v);
  if (lane == 0) {
    wave_partial[wave] = v;
  }
  __syncthreads();

  if (wave == 0) {
    v = lane < waves ? wave_partial[lane] : INFINITY;
    v = wave_min(v);
    if (lane == 0) {
      Y[blockIdx.x] = v;
    }
  }
}

extern "C" void min_kernel(const float* X, float* Y) {
  float *dX, *dY;
  hipMalloc(&dX, M * N * sizeof(float));
  hipMalloc(&dY, M * sizeof(float));
  hipMemcpy(dX, X, M * N * sizeof(float), hipMemcpyHostToDevice);
  min_device<<<M, BLOCK>>>(dX, dY);
  hipMemcpy(Y, dY, M * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(dX);
  hipFree(dY);
}
