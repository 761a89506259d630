// mha: O[b, h] = softmax(Q[b, h] @ K[b, h]^T / sqrt(D)) @ V[b, h]; Q, K, V, O are [B, H, S, D], no mask.
// Half Q, K, V; float scores, softmax and output; both products on Tensor Cores (wmma m16n16k16).
//
// One block of 4 warps per (batch, head, 16-query tile). The block stages its 16 x D tile of Q in shared
// memory, then:
//   1. scores: warp w computes the 16x16 score tiles w, w + 4, ... of the 16 x S row block, Q_tile @ K^T,
//      reading K straight from global memory as a col_major B operand (element (d, s) at K[s*D + d], i.e.
//      K^T without a transpose) and storing the float tile to shared memory;
//   2. softmax: warp-per-row over the 16 rows in shared memory (max and sum by __shfl_xor_sync butterflies,
//      scaled by 1/sqrt(D)); the probabilities are rounded to half for the second product;
//   3. output: warp w computes the 16x16 tiles w, w + 4, ... of the 16 x D output, P @ V, and stores them
//      to O. S and D are multiples of 16.
#include <cuda_runtime.h>
#include <mma.h>
#include <cuda_fp16.h>
using namespace nvcuda;

#define B 1
#define H 4
#define S 64
#define D 64

#define T 16       // wmma tile (16x16x16) and query rows per block
#define WARPS 4
#define THREADS (WARPS * 32)
#define HPAD 8     // halves of padding per shared row
#define FPAD 4     // floats of padding per shared row
#define FULL_MASK 0xffffffffu

__global__ void __launch_bounds__(THREADS) mha_kernel(const half* __restrict__ Q, const half* __restrict__ K,
                                                      const half* __restrict__ V, float* __restrict__ O) {
  __shared__ __align__(32) half Qs[T][D + HPAD];
  __shared__ __align__(32) float Ss[T][S + FPAD];
  __shared__ __align__(32) half Ps[T][S + HPAD];

  const int q0 = blockIdx.x * T, h = blockIdx.y, b = blockIdx.z;
  const size_t head = ((size_t)b * H + h) * S * D;
  const half* Qh = Q + head;
  const half* Kh = K + head;
  const half* Vh = V + head;
  float* Oh = O + head;
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;

  for (int i = tid; i < T * D; i += THREADS) Qs[i / D][i % D] = Qh[(size_t)(q0 + i / D) * D + i % D];
  __syncthreads();

  wmma::fragment<wmma::matrix_a, T, T, T, half, wmma::row_major> a;
  wmma::fragment<wmma::matrix_b, T, T, T, half, wmma::col_major> kt;
  wmma::fragment<wmma::matrix_b, T, T, T, half, wmma::row_major> v;
  wmma::fragment<wmma::accumulator, T, T, T, float> acc;

  // 1. scores S_tile = Q_tile @ K^T
  for (int j = warp; j < S / T; j += WARPS) {
    wmma::fill_fragment(acc, 0.0f);
    for (int d0 = 0; d0 < D; d0 += T) {
      wmma::load_matrix_sync(a, &Qs[0][d0], D + HPAD);
      wmma::load_matrix_sync(kt, Kh + (size_t)j * T * D + d0, D);
      wmma::mma_sync(acc, a, kt, acc);
    }
    wmma::store_matrix_sync(&Ss[0][j * T], acc, S + FPAD, wmma::mem_row_major);
  }
  __syncthreads();

  // 2. row softmax of scores / sqrt(D), one warp per row
  const float scale = rsqrtf((float)D);
  for (int r = warp; r < T; r += WARPS) {
    float m = -INFINITY;
    for (int c = lane; c < S; c += 32) m = fmaxf(m, Ss[r][c]);
    for (int off = 16; off > 0; off /= 2) m = fmaxf(m, __shfl_xor_sync(FULL_MASK, m, off));
    float sum = 0.0f;
    for (int c = lane; c < S; c += 32) {
      const float e = __expf((Ss[r][c] - m) * scale);
      Ss[r][c] = e;
      sum += e;
    }
    for (int off = 16; off > 0; off /= 2) sum += __shfl_xor_sync(FULL_MASK, sum, off);
    const float inv = 1.0f / sum;
    for (int c = lane; c < S; c += 32) Ps[r][c] = __float2half(Ss[r][c] * inv);
  }
  __syncthreads();

  // 3. O_tile = P @ V
  for (int j = warp; j < D / T; j += WARPS) {
    wmma::fill_fragment(acc, 0.0f);
    for (int k0 = 0; k0 < S; k0 += T) {
      wmma::load_matrix_sync(a, &Ps[0][k0], S + HPAD);
      wmma::load_matrix_sync(v, Vh + (size_t)k0 * D + j * T, D);
      wmma::mma_sync(acc, a, v, acc);
    }
    wmma::store_matrix_sync(Oh + (size_t)q0 * D + j * T, acc, D, wmma::mem_row_major);
  }
}

extern "C" void mha(const half* Q, const half* K, const half* V, float* O) {
  const size_t n = (size_t)B * H * S * D;
  half *dQ, *dK, *dV;
  float* dO;
  cudaMalloc(&dQ, n * sizeof(half));
  cudaMalloc(&dK, n * sizeof(half));
  cudaMalloc(&dV, n * sizeof(half));
  cudaMalloc(&dO, n * sizeof(float));
  cudaMemcpy(dQ, Q, n * sizeof(half), cudaMemcpyHostToDevice);
  cudaMemcpy(dK, K, n * sizeof(half), cudaMemcpyHostToDevice);
  cudaMemcpy(dV, V, n * sizeof(half), cudaMemcpyHostToDevice);

  dim3 grid(S / T, H, B);
  mha_kernel<<<grid, THREADS>>>(dQ, dK, dV, dO);

  cudaMemcpy(O, dO, n * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(dQ);
  cudaFree(dK);
  cudaFree(dV);
  cudaFree(dO);
}
