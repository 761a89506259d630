// gatemlp: Y[M, E] = (silu(X @ Wg) * (X @ Wu)) @ Wd, silu(z) = z / (1 + exp(-z)); X [M, E], Wg, Wu [E, F],
// Wd [F, E]; float32, the products on the CDNA matrix cores (__builtin_amdgcn_mfma_f32_16x16x4f32).
//
// Two kernels, each a block of 4 waves (2x2, 256 threads) per 32x32 output tile with LDS staging per K-step
// of 16 (lane l supplies A[l%16][k + l/16] and B[k + l/16][l%16]; item r of a float4 accumulator is
// element [4*(l/16) + r][l%16] of the wave's 16x16 sub-tile):
//   1. gate_up_kernel: Hid[M, F] = silu(X @ Wg) * (X @ Wu). The block stages one 32x16 tile of X and the
//      16x32 tiles of Wg and Wu; each wave keeps two accumulators (gate, up) that hold the same elements,
//      so the gating is applied in registers before the store.
//   2. down_kernel: Y = Hid @ Wd, a staged MFMA GEMM.
// M, E, F are multiples of 16; edge blocks zero-fill and a wave whose sub-tile lies outside skips the MFMA.
#include <hip/hip_runtime.h>

#define M 64
#define E 128
#define F 256

#define WAVE 64
#define TILE 16
#define BM 32
#define BN 32
#define BK 16
#define WAVES_N (BN / TILE)
#define THREADS ((BM / TILE) * WAVES_N * WAVE)

typedef float floatx4 __attribute__((ext_vector_type(4)));

__global__ void __launch_bounds__(THREADS) gate_up_kernel(const float* __restrict__ X, const float* __restrict__ Wg,
                                                          const float* __restrict__ Wu, float* __restrict__ Hid) {
  __shared__ float Xs[BM][BK + 1];  // +1: the 16 lanes reading one column hit different banks
  __shared__ float Gs[BK][BN];
  __shared__ float Us[BK][BN];

  const int tid = threadIdx.x;
  const int wave = tid / WAVE, lane = tid % WAVE;
  const int wm = wave / WAVES_N, wn = wave % WAVES_N;
  const int row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;
  const bool active = (row0 + wm * TILE < M) && (col0 + wn * TILE < F);  // uniform within the wave
  const int li = lane % 16, lk = lane / 16;

  floatx4 gate = {0.0f, 0.0f, 0.0f, 0.0f};
  floatx4 up = {0.0f, 0.0f, 0.0f, 0.0f};
  for (int k0 = 0; k0 < E; k0 += BK) {
    for (int i = tid; i < BM * BK; i += THREADS) {
      const int r = i / BK, c = i % BK;
      Xs[r][c] = (row0 + r < M) ? X[(row0 + r) * E + k0 + c] : 0.0f;
    }
    for (int i = tid; i < BK * BN; i += THREADS) {
      const int r = i / BN, c = i % BN;
      const bool in = col0 + c < F;
      Gs[r][c] = in ? Wg[(k0 + r) * F + col0 + c] : 0.0f;
      Us[r][c] = in ? Wu[(k0 + r) * F + col0 + c] : 0.0f;
    }
    __syncthreads();
    if (active) {
      for (int kk = 0; kk < BK; kk += 4) {
        const float a = Xs[wm * TILE + li][kk + lk];
        gate = __builtin_amdgcn_mfma_f32_16x16x4f32(a, Gs[kk + lk][wn * TILE + li], gate, 0, 0, 0);
        up = __builtin_amdgcn_mfma_f32_16x16x4f32(a, Us[kk + lk][wn * TILE + li], up, 0, 0, 0);
      }
    }
    __syncthreads();
  }
  if (active) {
    for (int r = 0; r < 4; ++r) {
      const float g = gate[r];
      Hid[(row0 + wm * TILE + 4 * lk + r) * F + col0 + wn * TILE + li] = g / (1.0f + __expf(-g)) * up[r];
    }
  }
}

__global__ void __launch_bounds__(THREADS) down_kernel(const float* __restrict__ Hid, const float* __restrict__ Wd,
                                                       float* __restrict__ Y) {
  __shared__ float Hs[BM][BK + 1];
  __shared__ float Ds[BK][BN];

  const int tid = threadIdx.x;
  const int wave = tid / WAVE, lane = tid % WAVE;
  const int wm = wave / WAVES_N, wn = wave % WAVES_N;
  const int row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;
  const bool active = (row0 + wm * TILE < M) && (col0 + wn * TILE < E);
  const int li = lane % 16, lk = lane / 16;

  floatx4 acc = {0.0f, 0.0f, 0.0f, 0.0f};
  for (int k0 = 0; k0 < F; k0 += BK) {
    for (int i = tid; i < BM * BK; i += THREADS) {
      const int r = i / BK, c = i % BK;
      Hs[r][c] = (row0 + r < M) ? Hid[(row0 + r) * F + k0 + c] : 0.0f;
    }
    for (int i = tid; i < BK * BN; i += THREADS) {
      const int r = i / BN, c = i % BN;
      Ds[r][c] = (col0 + c < E) ? Wd[(k0 + r) * E + col0 + c] : 0.0f;
    }
    __syncthreads();
    if (active) {
      for (int kk = 0; kk < BK; kk += 4)
        acc = __builtin_amdgcn_mfma_f32_16x16x4f32(Hs[wm * TILE + li][kk + lk], Ds[kk + lk][wn * TILE + li], acc,
                                                   0, 0, 0);
    }
    __syncthreads();
  }
  if (active) {
    for (int r = 0; r < 4; ++r) Y[(row0 + wm * TILE + 4 * lk + r) * E + col0 + wn * TILE + li] = acc[r];
  }
}

extern "C" void gatemlp(const float* X, const float* Wg, const float* Wu, const float* Wd, float* Y) {
  float *dX, *dWg, *dWu, *dWd, *dHid, *dY;
  hipMalloc(&dX, M * E * sizeof(float));
  hipMalloc(&dWg, E * F * sizeof(float));
  hipMalloc(&dWu, E * F * sizeof(float));
  hipMalloc(&dWd, F * E * sizeof(float));
  hipMalloc(&dHid, M * F * sizeof(float));
  hipMalloc(&dY, M * E * sizeof(float));
  hipMemcpy(dX, X, M * E * sizeof(float), hipMemcpyHostToDevice);
  hipMemcpy(dWg, Wg, E * F * sizeof(float), hipMemcpyHostToDevice);
  hipMemcpy(dWu, Wu, E * F * sizeof(float), hipMemcpyHostToDevice);
  hipMemcpy(dWd, Wd, F * E * sizeof(float), hipMemcpyHostToDevice);

  dim3 grid1((F + BN - 1) / BN, (M + BM - 1) / BM);
  gate_up_kernel<<<grid1, THREADS>>>(dX, dWg, dWu, dHid);
  dim3 grid2((E + BN - 1) / BN, (M + BM - 1) / BM);
  down_kernel<<<grid2, THREADS>>>(dHid, dWd, dY);

  hipMemcpy(Y, dY, M * E * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(dX);
  hipFree(dWg);
  hipFree(dWu);
  hipFree(dWd);
  hipFree(dHid);
  hipFree(dY);
}
