// bmm: C[b] = A[b] @ B[b] for every batch b; A[BATCH, M, K], B[BATCH, K, N], C[BATCH, M, N], row-major.
// Half inputs, float accumulation on Tensor Cores.
//
// blockIdx.z is the batch. Each block of 4 warps (2x2) computes one 32x32 tile of C[b] with wmma m16n16k16;
// per K-step of 16 it stages a 32x16 tile of A[b] and a 16x32 tile of B[b] in shared memory (rows padded
// by 8 halves), then every warp multiplies its 16x16 sub-tile. M, N, K are multiples of 16; edge blocks
// zero-fill rows/columns past M/N and warps whose sub-tile lies outside C skip the MMA.
#include <cuda_runtime.h>
#include <mma.h>
#include <cuda_fp16.h>
using namespace nvcuda;

#define BATCH 4
#define M 64
#define N 64
#define K 64

#define WM 16
#define WN 16
#define WK 16
#define BM 32
#define BN 32
#define BK 16
#define PAD 8
#define WARPS_N (BN / WN)
#define THREADS ((BM / WM) * WARPS_N * 32)

__global__ void __launch_bounds__(THREADS) bmm_kernel(const half* __restrict__ A, const half* __restrict__ B,
                                                      float* __restrict__ C) {
  __shared__ __align__(32) half As[BM][BK + PAD];
  __shared__ __align__(32) half Bs[BK][BN + PAD];

  const int batch = blockIdx.z;
  const half* Ab = A + (size_t)batch * M * K;
  const half* Bb = B + (size_t)batch * K * N;
  float* Cb = C + (size_t)batch * M * N;

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
      As[r][c] = (row0 + r < M) ? Ab[(row0 + r) * K + k0 + c] : __float2half(0.0f);
    }
    for (int i = tid; i < BK * BN; i += THREADS) {
      const int r = i / BN, c = i % BN;
      Bs[r][c] = (col0 + c < N) ? Bb[(k0 + r) * N + col0 + c] : __float2half(0.0f);
    }
    __syncthreads();
    if (active) {
      wmma::load_matrix_sync(a, &As[wm * WM][0], BK + PAD);
      wmma::load_matrix_sync(b, &Bs[0][wn * WN], BN + PAD);
      wmma::mma_sync(acc, a, b, acc);
    }
    __syncthreads();
  }
  if (active) wmma::store_matrix_sync(Cb + (row0 + wm * WM) * N + col0 + wn * WN, acc, N, wmma::mem_row_major);
}

extern "C" void bmm(const half* A, const half* B, float* C) {
  half *dA, *dB;
  float* dC;
  cudaMalloc(&dA, (size_t)BATCH * M * K * sizeof(half));
  cudaMalloc(&dB, (size_t)BATCH * K * N * sizeof(half));
  cudaMalloc(&dC, (size_t)BATCH * M * N * sizeof(float));
  cudaMemcpy(dA, A, (size_t)BATCH * M * K * sizeof(half), cudaMemcpyHostToDevice);
  cudaMemcpy(dB, B, (size_t)BATCH * K * N * sizeof(half), cudaMemcpyHostToDevice);

  dim3 grid((N + BN - 1) / BN, (M + BM - 1) / BM, BATCH);
  bmm_kernel<<<grid, THREADS>>>(dA, dB, dC);

  cudaMemcpy(C, dC, (size_t)BATCH * M * N * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(dA);
  cudaFree(dB);
  cudaFree(dC);
}
