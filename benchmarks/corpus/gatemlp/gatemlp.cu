// gatemlp: Y[M, E] = (silu(X @ Wg) * (X @ Wu)) @ Wd, silu(z) = z / (1 + exp(-z)); X [M, E], Wg, Wu [E, F],
// Wd [F, E]; half inputs, float accumulation on Tensor Cores (wmma m16n16k16), float Y.
//
// Two kernels, each a block of 4 warps (2x2) per 32x32 output tile with shared-memory staging per K-step of 16:
//   1. gate_up_kernel: Hid[M, F] = silu(X @ Wg) * (X @ Wu). The block stages one 32x16 tile of X and the
//      16x32 tiles of Wg and Wu; each warp keeps two accumulators (gate, up) for its 16x16 sub-tile. The
//      epilogue stores both to shared float tiles and the block applies silu(g) * u element-wise, writing the
//      gated hidden activations as half (they are the A operand of the next product).
//   2. down_kernel: Y = Hid @ Wd, a staged wmma GEMM.
// M, E, F are multiples of 16; edge blocks zero-fill and warps whose sub-tile lies outside skip the MMA.
#include <cuda_runtime.h>
#include <mma.h>
#include <cuda_fp16.h>
using namespace nvcuda;

#define M 64
#define E 128
#define F 256

#define WT 16  // wmma tile (16x16x16)
#define BM 32
#define BN 32
#define BK 16
#define PAD 8   // halves per staged row
#define CPAD 4  // floats per epilogue row
#define WARPS_N (BN / WT)
#define THREADS ((BM / WT) * WARPS_N * 32)

__global__ void __launch_bounds__(THREADS) gate_up_kernel(const half* __restrict__ X, const half* __restrict__ Wg,
                                                          const half* __restrict__ Wu, half* __restrict__ Hid) {
  __shared__ __align__(32) half Xs[BM][BK + PAD];
  __shared__ __align__(32) half Gs[BK][BN + PAD];
  __shared__ __align__(32) half Us[BK][BN + PAD];
  __shared__ __align__(32) float Gt[BM][BN + CPAD];
  __shared__ __align__(32) float Ut[BM][BN + CPAD];

  const int tid = threadIdx.x;
  const int warp = tid / 32;
  const int wm = warp / WARPS_N, wn = warp % WARPS_N;
  const int row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;
  const bool active = (row0 + wm * WT < M) && (col0 + wn * WT < F);  // uniform within the warp

  wmma::fragment<wmma::matrix_a, WT, WT, WT, half, wmma::row_major> a;
  wmma::fragment<wmma::matrix_b, WT, WT, WT, half, wmma::row_major> bg, bu;
  wmma::fragment<wmma::accumulator, WT, WT, WT, float> gate, up;
  wmma::fill_fragment(gate, 0.0f);
  wmma::fill_fragment(up, 0.0f);

  for (int k0 = 0; k0 < E; k0 += BK) {
    for (int i = tid; i < BM * BK; i += THREADS) {
      const int r = i / BK, c = i % BK;
      Xs[r][c] = (row0 + r < M) ? X[(row0 + r) * E + k0 + c] : __float2half(0.0f);
    }
    for (int i = tid; i < BK * BN; i += THREADS) {
      const int r = i / BN, c = i % BN;
      const bool in = col0 + c < F;
      Gs[r][c] = in ? Wg[(k0 + r) * F + col0 + c] : __float2half(0.0f);
      Us[r][c] = in ? Wu[(k0 + r) * F + col0 + c] : __float2half(0.0f);
    }
    __syncthreads();
    if (active) {
      wmma::load_matrix_sync(a, &Xs[wm * WT][0], BK + PAD);
      wmma::load_matrix_sync(bg, &Gs[0][wn * WT], BN + PAD);
      wmma::load_matrix_sync(bu, &Us[0][wn * WT], BN + PAD);
      wmma::mma_sync(gate, a, bg, gate);
      wmma::mma_sync(up, a, bu, up);
    }
    __syncthreads();
  }

  if (active) {
    wmma::store_matrix_sync(&Gt[wm * WT][wn * WT], gate, BN + CPAD, wmma::mem_row_major);
    wmma::store_matrix_sync(&Ut[wm * WT][wn * WT], up, BN + CPAD, wmma::mem_row_major);
  }
  __syncthreads();
  for (int i = tid; i < BM * BN; i += THREADS) {
    const int r = i / BN, c = i % BN;
    if (row0 + r < M && col0 + c < F) {
      const float g = Gt[r][c];
      Hid[(row0 + r) * F + col0 + c] = __float2half(g / (1.0f + __expf(-g)) * Ut[r][c]);
    }
  }
}

__global__ void __launch_bounds__(THREADS) down_kernel(const half* __restrict__ Hid, const half* __restrict__ Wd,
                                                       float* __restrict__ Y) {
  __shared__ __align__(32) half Hs[BM][BK + PAD];
  __shared__ __align__(32) half Ds[BK][BN + PAD];

  const int tid = threadIdx.x;
  const int warp = tid / 32;
  const int wm = warp / WARPS_N, wn = warp % WARPS_N;
  const int row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;
  const bool active = (row0 + wm * WT < M) && (col0 + wn * WT < E);

  wmma::fragment<wmma::matrix_a, WT, WT, WT, half, wmma::row_major> a;
  wmma::fragment<wmma::matrix_b, WT, WT, WT, half, wmma::row_major> b;
  wmma::fragment<wmma::accumulator, WT, WT, WT, float> acc;
  wmma::fill_fragment(acc, 0.0f);

  for (int k0 = 0; k0 < F; k0 += BK) {
    for (int i = tid; i < BM * BK; i += THREADS) {
      const int r = i / BK, c = i % BK;
      Hs[r][c] = (row0 + r < M) ? Hid[(row0 + r) * F + k0 + c] : __float2half(0.0f);
    }
    for (int i = tid; i < BK * BN; i += THREADS) {
      const int r = i / BN, c = i % BN;
      Ds[r][c] = (col0 + c < E) ? Wd[(k0 + r) * E + col0 + c] : __float2half(0.0f);
    }
    __syncthreads();
    if (active) {
      wmma::load_matrix_sync(a, &Hs[wm * WT][0], BK + PAD);
      wmma::load_matrix_sync(b, &Ds[0][wn * WT], BN + PAD);
      wmma::mma_sync(acc, a, b, acc);
    }
    __syncthreads();
  }
  if (active) wmma::store_matrix_sync(Y + (row0 + wm * WT) * E + col0 + wn * WT, acc, E, wmma::mem_row_major);
}

extern "C" void gatemlp(const half* X, const half* Wg, const half* Wu, const half* Wd, float* Y) {
  half *dX, *dWg, *dWu, *dWd, *dHid;
  float* dY;
  cudaMalloc(&dX, M * E * sizeof(half));
  cudaMalloc(&dWg, E * F * sizeof(half));
  cudaMalloc(&dWu, E * F * sizeof(half));
  cudaMalloc(&dWd, F * E * sizeof(half));
  cudaMalloc(&dHid, M * F * sizeof(half));
  cudaMalloc(&dY, M * E * sizeof(float));
  cudaMemcpy(dX, X, M * E * sizeof(half), cudaMemcpyHostToDevice);
  cudaMemcpy(dWg, Wg, E * F * sizeof(half), cudaMemcpyHostToDevice);
  cudaMemcpy(dWu, Wu, E * F * sizeof(half), cudaMemcpyHostToDevice);
  cudaMemcpy(dWd, Wd, F * E * sizeof(half), cudaMemcpyHostToDevice);

  dim3 grid1((F + BN - 1) / BN, (M + BM - 1) / BM);
  gate_up_kernel<<<grid1, THREADS>>>(dX, dWg, dWu, dHid);
  dim3 grid2((E + BN - 1) / BN, (M + BM - 1) / BM);
  down_kernel<<<grid2, THREADS>>>(dHid, dWd, dY);

  cudaMemcpy(Y, dY, M * E * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(dX);
  cudaFree(dWg);
  cudaFree(dWu);
  cudaFree(dWd);
  cudaFree(dHid);
  cudaFree(dY);
}
