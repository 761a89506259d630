// bmm: C[b] = A[b] @ B[b] for every batch b; A[BATCH, M, K], B[BATCH, K, N], C[BATCH, M, N], float32, on the
// CDNA matrix cores.
//
// blockIdx.z is the batch. Each block of 4 waves (2x2) computes one 32x32 tile of C[b]; per K-step of 16 it
// stages a 32x16 tile of A[b] and a 16x32 tile of B[b] in LDS, and each wave issues four
// __builtin_amdgcn_mfma_f32_16x16x4f32 on its 16x16 sub-tile (lane l supplies A[l%16][k + l/16] and
// B[k + l/16][l%16]; item r of the result is C[4*(l/16) + r][l%16]). M, N, K are multiples of 16; edge blocks
// zero-fill and a wave whose sub-tile lies outside C skips the MFMA (wave-uniform condition).
#include <hip/hip_runtime.h>

#define BATCH 4
#define M 64
#define N 64
#define K 64

#define WAVE 64
#define TILE 16
#define BM 32
#define BN 32
#define BK 16
#define WAVES_N (BN / TILE)
#define THREADS ((BM / TILE) * WAVES_N * WAVE)

typedef float floatx4 __attribute__((ext_vector_type(4)));

__global__ void __launch_bounds__(THREADS) bmm_kernel(const float* __restrict__ A, const float* __restrict__ B,
                                                      float* __restrict__ C) {
  __shared__ float As[BM][BK + 1];
  __shared__ float Bs[BK][BN];

  const int batch = blockIdx.z;
  const float* Ab = A + (size_t)batch * M * K;
  const float* Bb = B + (size_t)batch * K * N;
  float* Cb = C + (size_t)batch * M * N;

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
      As[r][c] = (row0 + r < M) ? Ab[(row0 + r) * K + k0 + c] : 0.0f;
    }
    for (int i = tid; i < BK * BN; i += THREADS) {
      const int r = i / BN, c = i % BN;
      Bs[r][c] = (col0 + c < N) ? Bb[(k0 + r) * N + col0 + c] : 0.0f;
    }
    __syncthreads();
    if (active) {
      for (int kk = 0; kk < BK; kk += 4) {
        const float a = As[wm * TILE + li][kk + lk];
        const float b = Bs[kk + lk][wn * TILE + li];
        acc = __builtin_amdgcn_mfma_f32_16x16x4f32(a, b, acc, 0, 0, 0);
      }
    }
    __syncthreads();
  }
  if (active) {
    for (int r = 0; r < 4; ++r) Cb[(row0 + wm * TILE + 4 * lk + r) * N + col0 + wn * TILE + li] = acc[r];
  }
}

extern "C" void bmm(const float* A, const float* B, float* C) {
  float *dA, *dB, *dC;
  hipMalloc(&dA, (size_t)BATCH * M * K * sizeof(float));
  hipMalloc(&dB, (size_t)BATCH * K * N * sizeof(float));
  hipMalloc(&dC, (size_t)BATCH * M * N * sizeof(float));
  hipMemcpy(dA, A, (size_t)BATCH * M * K * sizeof(float), hipMemcpyHostToDevice);
  hipMemcpy(dB, B, (size_t)BATCH * K * N * sizeof(float), hipMemcpyHostToDevice);

  dim3 grid((N + BN - 1) / BN, (M + BM - 1) / BM, BATCH);
  bmm_kernel<<<grid, THREADS>>>(dA, dB, dC);

  hipMemcpy(C, dC, (size_t)BATCH * M * N * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(dA);
  hipFree(dB);
  hipFree(dC);
}
