// conv2d_nhwc: Y[n, oh, ow, co] = sum_{kh, kw, ci} X[n, oh*S + kh, ow*S + kw, ci] * Wt[co, kh, kw, ci];
// NHWC input, OHWI filter, no padding, stride S, float32.
//
// Implicit GEMM, the natural form for channels-last data: Y viewed as [NPIX = N*HO*WO pixels, CO] is
// A[NPIX, KD] @ Wt[CO, KD]^T with KD = KH*KW*CI, where row p of A is the receptive field of pixel p gathered on
// the fly (k = (kh*KW + kw)*CI + ci, the same order as a filter row, so both operands are read ci-contiguous).
// A block of 16 x 16 threads computes a 64-pixel x 64-channel tile of Y; per K-step of 16 it gathers the
// 64 x 16 tile of A and the 16 x 64 tile of Wt^T into shared memory (k-major, so the inner loop reads rows),
// and each thread accumulates a 4 x 4 register block: pixels ty + 16*i, channels tx + 16*j (consecutive
// threads write consecutive channels: coalesced stores). Tails of NPIX, CO and KD are zero-filled and masked.
#include <hip/hip_runtime.h>

#define N 1
#define H 16
#define W 16
#define CI 32
#define CO 64
#define KH 3
#define KW 3
#define S 1

#define HO ((H - KH) / S + 1)
#define WO ((W - KW) / S + 1)
#define NPIX (N * HO * WO)    // output pixels (GEMM rows)
#define KD (KH * KW * CI)     // reduction length
#define BM 64                 // pixels per block
#define BN 64                 // output channels per block
#define BK 16                 // reduction step
#define TX 16
#define TY 16
#define RM (BM / TY)          // register block: pixels per thread
#define RN (BN / TX)          // register block: channels per thread
#define THREADS (TX * TY)

__global__ void __launch_bounds__(THREADS) conv2d_nhwc_kernel(const float* __restrict__ X,
                                                              const float* __restrict__ Wt,
                                                              float* __restrict__ Y) {
  __shared__ float As[BK][BM + 4];  // As[k][p]: receptive-field element k of pixel p0 + p
  __shared__ float Bs[BK][BN + 4];  // Bs[k][c]: Wt[c0 + c][k0 + k]

  const int tx = threadIdx.x, ty = threadIdx.y;
  const int tid = ty * TX + tx;
  const int p0 = blockIdx.y * BM, c0 = blockIdx.x * BN;

  float acc[RM][RN];
  for (int i = 0; i < RM; ++i)
    for (int j = 0; j < RN; ++j) acc[i][j] = 0.0f;

  for (int k0 = 0; k0 < KD; k0 += BK) {
    for (int e = tid; e < BM * BK; e += THREADS) {
      const int p = e / BK, k = e % BK;
      const int gp = p0 + p, gk = k0 + k;
      float v = 0.0f;
      if (gp < NPIX && gk < KD) {
        const int n = gp / (HO * WO), oh = (gp / WO) % HO, ow = gp % WO;
        const int kh = gk / (KW * CI), kw = (gk / CI) % KW, ci = gk % CI;
        v = X[(((size_t)n * H + oh * S + kh) * W + ow * S + kw) * CI + ci];
      }
      As[k][p] = v;
    }
    for (int e = tid; e < BN * BK; e += THREADS) {
      const int c = e / BK, k = e % BK;
      Bs[k][c] = (c0 + c < CO && k0 + k < KD) ? Wt[(size_t)(c0 + c) * KD + k0 + k] : 0.0f;
    }
    __syncthreads();
    for (int k = 0; k < BK; ++k) {
      float a[RM], b[RN];
      for (int i = 0; i < RM; ++i) a[i] = As[k][ty + TY * i];
      for (int j = 0; j < RN; ++j) b[j] = Bs[k][tx + TX * j];
      for (int i = 0; i < RM; ++i)
        for (int j = 0; j < RN; ++j) acc[i][j] += a[i] * b[j];
    }
    __syncthreads();
  }

  for (int i = 0; i < RM; ++i) {
    const int gp = p0 + ty + TY * i;
    if (gp >= NPIX) continue;
    for (int j = 0; j < RN; ++j) {
      const int c = c0 + tx + TX * j;
      if (c < CO) Y[(size_t)gp * CO + c] = acc[i][j];  // Y[n, oh, ow, :] is row gp of [NPIX, CO]
    }
  }
}

extern "C" void conv2d_nhwc(const float* X, const float* Wt, float* Y) {
  float *dX, *dW, *dY;
  hipMalloc(&dX, (size_t)N * H * W * CI * sizeof(float));
  hipMalloc(&dW, (size_t)CO * KD * sizeof(float));
  hipMalloc(&dY, (size_t)NPIX * CO * sizeof(float));
  hipMemcpy(dX, X, (size_t)N * H * W * CI * sizeof(float), hipMemcpyHostToDevice);
  hipMemcpy(dW, Wt, (size_t)CO * KD * sizeof(float), hipMemcpyHostToDevice);

  dim3 block(TX, TY);
  dim3 grid((CO + BN - 1) / BN, (NPIX + BM - 1) / BM);
  conv2d_nhwc_kernel<<<grid, block>>>(dX, dW, dY);

  hipMemcpy(Y, dY, (size_t)NPIX * CO * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(dX);
  hipFree(dW);
  hipFree(dY);
}
