// dense: Y[M, N] = X[M, K] @ W[N, K]^T + bias[N] (a linear layer, weight [out, in]); half X and W,
// float bias and Y, float accumulation on Tensor Cores.
//
// Each block of 4 warps (2x2) computes one 32x32 tile of Y with wmma m16n16k16. Per K-step of 16 it stages
// a 32x16 tile of X and a 32x16 tile of W (both k-contiguous) in shared memory; W's tile is read as the
// col_major B operand, which is W^T without any transpose. The epilogue stores the accumulators to a shared
// float tile, and the whole block adds the bias and writes Y coalesced. M, N, K are multiples of 16; edge
// blocks zero-fill and warps whose sub-tile lies outside Y skip the MMA.
#include <cuda_runtime.h>
#include <mma.h>
#include <cuda_fp16.h>
using namespace nvcuda;

#define M 64
#define N 128
#define K 256

#define WM 16
#define WN 16
#define WK 16
#define BM 32
#define BN 32
#define BK 16
#define PAD 8   // halves of padding per staged row
#define CPAD 4  // floats of padding per row of the output tile
#define WARPS_N (BN / WN)
#define THREADS ((BM / WM) * WARPS_N * 32)

__global__ void __launch_bounds__(THREADS) dense_kernel(const half* __restrict__ X, const half* __restrict__ W,
                                                        const float* __restrict__ bias, float* __restrict__ Y) {
  __shared__ __align__(32) half Xs[BM][BK + PAD];
  __shared__ __align__(32) half Ws[BN][BK + PAD];  // Ws[n][k] = W[col0 + n][k0 + k]
  __shared__ __align__(32) float Cs[BM][BN + CPAD];

  const int tid = threadIdx.x;
  const int warp = tid / 32;
  const int wm = warp / WARPS_N, wn = warp % WARPS_N;
  const int row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;
  const bool active = (row0 + wm * WM < M) && (col0 + wn * WN < N);  // uniform within the warp

  wmma::fragment<wmma::matrix_a, WM, WN, WK, half, wmma::row_major> a;
  wmma::fragment<wmma::matrix_b, WM, WN, WK, half, wmma::col_major> b;
  wmma::fragment<wmma::accumulator, WM, WN, WK, float> acc;
  wmma::fill_fragment(acc, 0.0f);

  for (int k0 = 0; k0 < K; k0 += BK) {
    for (int i = tid; i < BM * BK; i += THREADS) {
      const int r = i / BK, c = i % BK;
      Xs[r][c] = (row0 + r < M) ? X[(row0 + r) * K + k0 + c] : __float2half(0.0f);
    }
    for (int i = tid; i < BN * BK; i += THREADS) {
      const int r = i / BK, c = i % BK;
      Ws[r][c] = (col0 + r < N) ? W[(col0 + r) * K + k0 + c] : __float2half(0.0f);
    }
    __syncthreads();
    if (active) {
      wmma::load_matrix_sync(a, &Xs[wm * WM][0], BK + PAD);
      wmma::load_matrix_sync(b, &Ws[wn * WN][0], BK + PAD);  // element (k, n) at Ws[n][k]
      wmma::mma_sync(acc, a, b, acc);
    }
    __syncthreads();
  }

  if (active) wmma::store_matrix_sync(&Cs[wm * WM][wn * WN], acc, BN + CPAD, wmma::mem_row_major);
  __syncthreads();
  for (int i = tid; i < BM * BN; i += THREADS) {
    const int r = i / BN, c = i % BN;
    if (row0 + r < M && col0 + c < N) Y[(row0 + r) * N + col0 + c] = Cs[r][c] + bias[col0 + c];
  }
}

extern "C" void dense(const half* X, const half* W, const float* bias, float* Y) {
  half *dX, *dW;
  float *dBias, *dY;
  cudaMalloc(&dX, M * K * sizeof(half));
  cudaMalloc(&dW, N * K * sizeof(half));
  cudaMalloc(&dBias, N * sizeof(float));
  cudaMalloc(&dY, M * N * sizeof(float));
  cudaMemcpy(dX, X, M * K * sizeof(half), cudaMemcpyHostToDevice);
  cudaMemcpy(dW, W, N * K * sizeof(half), cudaMemcpyHostToDevice);
  cudaMemcpy(dBias, bias, N * sizeof(float), cudaMemcpyHostToDevice);

  dim3 grid((N + BN - 1) / BN, (M + BM - 1) / BM);
  dense_kernel<<<grid, THREADS>>>(dX, dW, dBias, dY);

  cudaMemcpy(Y, dY, M * N * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(dX);
  cudaFree(dW);
  cudaFree(dBias);
  cudaFree(dY);
}
