// gemm: C[M, N] = A[M, K] @ B[K, N], row-major; half inputs, float accumulation on Tensor Cores.
//
// Each block of 4 warps (a 2x2 grid of warps) computes one 32x32 tile of C with wmma m16n16k16.
// Per K-step of 16 the block stages a 32x16 tile of A and a 16x32 tile of B in shared memory (rows
// padded by 8 halves against bank conflicts; every fragment pointer stays 32-byte aligned), then each
// warp multiplies its 16x16 sub-tile and accumulates in a float fragment. M, N, K are multiples of 16;
// edge blocks zero-fill rows/columns past M/N and a warp whose sub-tile lies outside C skips the MMA.
#include <cuda_runtime.h>
#include <mma.h>
#include <cuda_fp16.h>
using namespace nvcuda;

#define M 128
#define N 128
#define K 128

#define WM 16  // wmma tile
#define WN 16
#define WK 16
#define BM 32  // block tile
#define BN 32
#define BK 16
#define PAD 8
#define WARPS_N (BN / WN)
#define THREADS ((BM / WM) * WARPS_N * 32)

__global__ void __launch_bounds__(THREADS) gemm_kernel(const half* __restrict__ A, const half* __restrict__ B,
                                                       float* __restrict__ C) {
  __shared__ __align__(32) half As[BM][BK + PAD];
  __shared__ __align__(32) half Bs[BK][BN + PAD];

  const int tid = threadIdx.x;
  const int warp = tid / 32;
  const int wm = warp / WARPS_N, wn = warp % WARPS_N;
  const int row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;
  const bool active = (row0 + wm * WM < M) && (col0 + wn * WN < N);  // uniform within the warp

  wmma::fragment<wmma::matrix_a, WM, WN, WK, half, wmma::row_major> a;
  wmma::fragment<wmma::matrix_b, WM, WN, WK, half, wmma::row_major> b;
  wmma::fragment<wmma::accumulator, WM, WN, WK, float> acc;
  wmma::fill_fragment(acc, 0.0f);

  for (int k0 = 0; k0 < K; k0 += BK) {
    for (int i = tid; i < BM * BK; i += THREADS) {
      const int r = i / BK, c = i % BK;
      As[r][c] = (row0 + r < M) ? A[(row0 + r) * K + k0 + c] : __float2half(0.0f);
    }
    for (int i = tid; i < BK * BN; i += THREADS) {
      const int r = i / BN, c = i % BN;
      Bs[r][c] = (col0 + c < N) ? B[(k0 + r) * N + col0 + c] : __float2half(0.0f);
    }
    __syncthreads();
    if (active) {
      wmma::load_matrix_sync(a, &As[wm * WM][0], BK + PAD);
      wmma::load_matrix_sync(b, &Bs[0][wn * WN], BN + PAD);
      wmma::mma_sync(acc, a, b, acc);
    }
    __syncthreads();
  }
  if (active) wmma::store_matrix_sync(C + (row0 + wm * WM) * N + col0 + wn * WN, acc, N, wmma::mem_row_major);
}

extern "C" void gemm(const half* A, const half* B, float* C) {
  half *dA, *dB;
  float* dC;
  cudaMalloc(&dA, M * K * sizeof(half));
  cudaMalloc(&dB, K * N * sizeof(half));
  cudaMalloc(&dC, M * N * sizeof(float));
  cudaMemcpy(dA, A, M * K * sizeof(half), cudaMemcpyHostToDevice);
  cudaMemcpy(dB, B, K * N * sizeof(half), cudaMemcpyHostToDevice);

  dim3 grid((N + BN - 1) / BN, (M + BM - 1) / BM);
  gemm_kernel<<<grid, THREADS>>>(dA, dB, dC);

  cudaMemcpy(C, dC, M * N * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(dA);
  cudaFree(dB);
  cudaFree(dC);
}
