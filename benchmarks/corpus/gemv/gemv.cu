// gemv: y[M] = A[M, K] @ x[K], row-major A; half A and x, float accumulation and output.
//
// One warp per row: each block of 8 warps first stages x in shared memory (as float, shared by all its
// rows), then lane l of a warp accumulates A[row][k] * x[k] for k = l, l + 32, ... (coalesced reads of
// the row), and the warp reduces its 32 partial sums with __shfl_down_sync; lane 0 writes y[row].
#include <cuda_runtime.h>
#include <cuda_fp16.h>

#define M 256
#define K 256

#define WARP 32
#define ROWS_PER_BLOCK 8
#define THREADS (ROWS_PER_BLOCK * WARP)

__global__ void __launch_bounds__(THREADS) gemv_kernel(const half* __restrict__ A, const half* __restrict__ x,
                                                       float* __restrict__ y) {
  __shared__ float xs[K];
  for (int k = threadIdx.x; k < K; k += THREADS) xs[k] = __half2float(x[k]);
  __syncthreads();

  const int lane = threadIdx.x % WARP;
  const int row = blockIdx.x * ROWS_PER_BLOCK + threadIdx.x / WARP;
  if (row >= M) return;  // whole warps leave together; no barrier follows

  const half* a = A + (size_t)row * K;
  float sum = 0.0f;
  for (int k = lane; k < K; k += WARP) sum += __half2float(a[k]) * xs[k];
  for (int offset = WARP / 2; offset > 0; offset /= 2) sum += __shfl_down_sync(0xffffffffu, sum, offset);
  if (lane == 0) y[row] = sum;
}

extern "C" void gemv(const half* A, const half* x, float* y) {
  half *dA, *dx;
  float* dy;
  cudaMalloc(&dA, (size_t)M * K * sizeof(half));
  cudaMalloc(&dx, K * sizeof(half));
  cudaMalloc(&dy, M * sizeof(float));
  cudaMemcpy(dA, A, (size_t)M * K * sizeof(half), cudaMemcpyHostToDevice);
  cudaMemcpy(dx, x, K * sizeof(half), cudaMemcpyHostToDevice);

  gemv_kernel<<<(M + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK, THREADS>>>(dA, dx, dy);

  cudaMemcpy(y, dy, M * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(dA);
  cudaFree(dx);
  cudaFree(dy);
}
