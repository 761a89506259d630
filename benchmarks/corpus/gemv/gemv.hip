// gemv: y[M] = A[M, K] @ x[K], row-major A, float32.
//
// One 64-lane wave per row: each block of 4 waves first stages x in LDS (shared by all its rows), then lane l
// accumulates A[row][k] * x[k] for k = l, l + 64, ... (coalesced reads of the row) and the wave reduces its
// 64 partial sums with __shfl_down over the full wavefront (offsets 32, 16, ..., 1); lane 0 writes y[row].
#include <hip/hip_runtime.h>

#define M 256
#define K 256

#define WAVE 64
#define ROWS_PER_BLOCK 4
#define THREADS (ROWS_PER_BLOCK * WAVE)

__global__ void __launch_bounds__(THREADS) gemv_kernel(const float* __restrict__ A, const float* __restrict__ x,
                                                       float* __restrict__ y) {
  __shared__ float xs[K];
  for (int k = threadIdx.x; k < K; k += THREADS) xs[k] = x[k];
  __syncthreads();

  const int lane = threadIdx.x % WAVE;
  const int row = blockIdx.x * ROWS_PER_BLOCK + threadIdx.x / WAVE;
  if (row >= M) return;  // whole waves leave together; no barrier follows

  const float* a = A + (size_t)row * K;
  float sum = 0.0f;
  for (int k = lane; k < K; k += WAVE) sum += a[k] * xs[k];
  for (int offset = WAVE / 2; offset > 0; offset /= 2) sum += __shfl_down(sum, offset, WAVE);
  if (lane == 0) y[row] = sum;
}

extern "C" void gemv(const float* A, const float* x, float* y) {
  float *dA, *dx, *dy;
  hipMalloc(&dA, (size_t)M * K * sizeof(float));
  hipMalloc(&dx, K * sizeof(float));
  hipMalloc(&dy, M * sizeof(float));
  hipMemcpy(dA, A, (size_t)M * K * sizeof(float), hipMemcpyHostToDevice);
  hipMemcpy(dx, x, K * sizeof(float), hipMemcpyHostToDevice);

  gemv_kernel<<<(M + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK, THREADS>>>(dA, dx, dy);

  hipMemcpy(y, dy, M * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(dA);
  hipFree(dx);
  hipFree(dy);
}
