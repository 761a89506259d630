// dense: Y[M, N] = X[M, K] @ W[N, K]^T + bias[N] (a linear layer, weight [out, in]), float32, on the CDNA
// matrix cores.
//
// Each block of 4 waves (2x2) computes one 32x32 tile of Y. Per K-step of 16 it stages a 32x16 tile of X and
// a 32x16 tile of W (both k-contiguous, so the global reads are coalesced) in LDS; the B operand of
// __builtin_amdgcn_mfma_f32_16x16x4f32 is W^T, so lane l supplies X[l%16][k + l/16] and W[l%16][k + l/16].
// Item r of the float4 accumulator is Y[4*(l/16) + r][l%16]; the bias is added when it is stored. M, N, K are
// multiples of 16; edge blocks zero-fill and a wave whose sub-tile lies outside Y skips the MFMA.
#include <hip/hip_runtime.h>

#define M 64
#define N 128
#define K 256

#define WAVE 64
#define TILE 16
#define BM 32
#define BN 32
#define BK 16
#define WAVES_N (BN / TILE)
#define THREADS ((BM / TILE) * WAVES_N * WAVE)

typedef float floatx4 __attribute__((ext_vector_type(4)));

__global__ void __launch_bounds__(THREADS) dense_kernel(const float* __restrict__ X, const float* __restrict__ W,
                                                        const float* __restrict__ bias, float* __restrict__ Y) {
  __shared__ float Xs[BM][BK + 1];  // +1: the 16 lanes reading one column hit different banks
  __shared__ float Ws[BN][BK + 1];  // Ws[n][k] = W[col0 + n][k0 + k]

  const int tid = threadIdx.x;
  const int wave = tid / WAVE, lane = tid % WAVE;
  const int wm = wave / WAVES_N, wn = wave % WAVES_N;
  const int row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;
  const bool active = (row0 + wm * TILE < M) && (col0 + wn * TILE < N);
  const int li = lane % 16, lk = lane / 16;

  floatx4 acc = {0.0f, 0.0f, 0.0f, 0.0f};
  for (int k0 = 0; k0 < K; k0 += BK) {
    for (int i = tid; i < BM * BK; i += THREADS) {
      const int r = i / BK, c = i % BK;
      Xs[r][c] = (row0 + r < M) ? X[(row0 + r) * K + k0 + c] : 0.0f;
    }
    for (int i = tid; i < BN * BK; i += THREADS) {
      const int r = i / BK, c = i % BK;
      Ws[r][c] = (col0 + r < N) ? W[(col0 + r) * K + k0 + c] : 0.0f;
    }
    __syncthreads();
    if (active) {
      for (int kk = 0; kk < BK; kk += 4) {
        const float a = Xs[wm * TILE + li][kk + lk];
        const float b = Ws[wn * TILE + li][kk + lk];
        acc = __builtin_amdgcn_mfma_f32_16x16x4f32(a, b, acc, 0, 0, 0);
      }
    }
    __syncthreads();
  }
  if (active) {
    const int col = col0 + wn * TILE + li;
    const float bv = bias[col];
    for (int r = 0; r < 4; ++r) Y[(row0 + wm * TILE + 4 * lk + r) * N + col] = acc[r] + bv;
  }
}

extern "C" void dense(const float* X, const float* W, const float* bias, float* Y) {
  float *dX, *dW, *dBias, *dY;
  hipMalloc(&dX, M * K * sizeof(float));
  hipMalloc(&dW, N * K * sizeof(float));
  hipMalloc(&dBias, N * sizeof(float));
  hipMalloc(&dY, M * N * sizeof(float));
  hipMemcpy(dX, X, M * K * sizeof(float), hipMemcpyHostToDevice);
  hipMemcpy(dW, W, N * K * sizeof(float), hipMemcpyHostToDevice);
  hipMemcpy(dBias, bias, N * sizeof(float), hipMemcpyHostToDevice);

  dim3 grid((N + BN - 1) / BN, (M + BM - 1) / BM);
  dense_kernel<<<grid, THREADS>>>(dX, dW, dBias, dY);

  hipMemcpy(Y, dY, M * N * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(dX);
  hipFree(dW);
  hipFree(dBias);
  hipFree(dY);
}
