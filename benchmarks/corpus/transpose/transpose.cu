// transpose (CUDA): Y[n, m] = X[m, n]; X is [M, N], Y is [N, M], float32.
// Tiled through shared memory: a 32x8 block moves one 32x32 tile, each thread 4 rows of it. Reads of X
// and writes of Y are both coalesced along rows; the tile is padded to 33 columns so the column-wise
// reads from shared memory hit 32 different banks. Edge tiles are guarded (M, N need not be multiples
// of 32).
#include <cuda_runtime.h>

#define M 128
#define N 64

#define TILE 32
#define ROWS 8  // blockDim.y; each thread copies TILE / ROWS rows

__global__ void __launch_bounds__(TILE * ROWS)
transpose_device(const float* __restrict__ X, float* __restrict__ Y) {
  __shared__ float tile[TILE][TILE + 1];
  const int tx = threadIdx.x;
  const int ty = threadIdx.y;

  int col = blockIdx.x * TILE + tx;  // n
  int row = blockIdx.y * TILE + ty;  // m
  for (int k = 0; k < TILE; k += ROWS) {
    if (row + k < M && col < N) {
      tile[ty + k][tx] = X[(size_t)(row + k) * N + col];
    }
  }
  __syncthreads();

  col = blockIdx.y * TILE + tx;  // m
  row = blockIdx.x * TILE + ty;  // n
  for (int k = 0; k < TILE; k += ROWS) {
    if (row + k < N && col < M) {
      Y[(size_t)(row + k) * M + col] = tile[tx][ty + k];
    }
  }
}

extern "C" void transpose_kernel(const float* X, float* Y) {
  float *dX, *dY;
  cudaMalloc(&dX, M * N * sizeof(float));
  cudaMalloc(&dY, M * N * sizeof(float));
  cudaMemcpy(dX, X, M * N * sizeof(float), cudaMemcpyHostToDevice);
  const dim3 block(TILE, ROWS);
  const dim3 grid((N + TILE - 1) / TILE, (M + TILE - 1) / TILE);
  transpose_device<<<grid, block>>>(dX, dY);
  cudaMemcpy(Y, dY, M * N * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(dX);
  cudaFree(dY);
}
