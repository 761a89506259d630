// conv2d_nchw: Y[n, co, oh, ow] = sum_{ci, kh, kw} X[n, ci, oh*S + kh, ow*S + kw] * Wt[co, ci, kh, kw];
// NCHW input, OIHW filter, no padding, stride S, float32.
//
// Direct convolution with shared-memory tiles. A block of 16 x 16 threads owns one batch item, a 16 x 16 tile
// of output pixels and TCO = 8 output channels; thread (tx, ty) computes pixel (oh0 + ty, ow0 + tx) for all 8
// channels, so each input value staged in shared memory is reused KH*KW*8 times. The reduction over input
// channels runs in chunks of CIC = 4 (CI % 4 == 0): per chunk the block stages the input patch with its halo,
// X[n, ci0 .. ci0+3, oh0*S .. oh0*S + IH_T - 1, ow0*S .. ow0*S + IW_T - 1], and the weights
// Wt[co0 .. co0+7, ci0 .. ci0+3, :, :]. Out-of-image patch elements are zero-filled; pixels past HO x WO and
// channels past CO are masked at the store.
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
#define TH 16  // output rows per block (threadIdx.y)
#define TW 16  // output columns per block (threadIdx.x)
#define TCO 8  // output channels per block (all computed by every thread)
#define CIC 4  // input channels per shared-memory chunk
#define IH_T ((TH - 1) * S + KH)  // input patch rows
#define IW_T ((TW - 1) * S + KW)  // input patch columns
#define CO_TILES ((CO + TCO - 1) / TCO)
#define THREADS (TH * TW)

__global__ void __launch_bounds__(THREADS) conv2d_nchw_kernel(const float* __restrict__ X,
                                                              const float* __restrict__ Wt,
                                                              float* __restrict__ Y) {
  __shared__ float Xs[CIC][IH_T][IW_T];
  __shared__ float Ws[TCO][CIC][KH][KW];

  const int tx = threadIdx.x, ty = threadIdx.y;
  const int tid = ty * TW + tx;
  const int ow0 = blockIdx.x * TW, oh0 = blockIdx.y * TH;
  const int n = blockIdx.z / CO_TILES, co0 = (blockIdx.z % CO_TILES) * TCO;
  const int ih0 = oh0 * S, iw0 = ow0 * S;

  float acc[TCO];
  for (int j = 0; j < TCO; ++j) acc[j] = 0.0f;

  for (int ci0 = 0; ci0 < CI; ci0 += CIC) {
    for (int i = tid; i < CIC * IH_T * IW_T; i += THREADS) {
      const int c = i / (IH_T * IW_T), r = (i / IW_T) % IH_T, q = i % IW_T;
      const int ih = ih0 + r, iw = iw0 + q;
      Xs[c][r][q] = (ih < H && iw < W) ? X[(((size_t)n * CI + ci0 + c) * H + ih) * W + iw] : 0.0f;
    }
    for (int i = tid; i < TCO * CIC * KH * KW; i += THREADS) {
      const int co = i / (CIC * KH * KW), rest = i % (CIC * KH * KW);  // rest = (c*KH + kh)*KW + kw
      (&Ws[co][0][0][0])[rest] = (co0 + co < CO) ? Wt[((size_t)(co0 + co) * CI + ci0) * KH * KW + rest] : 0.0f;
    }
    __syncthreads();
    for (int c = 0; c < CIC; ++c) {
      for (int kh = 0; kh < KH; ++kh) {
        for (int kw = 0; kw < KW; ++kw) {
          const float xv = Xs[c][ty * S + kh][tx * S + kw];
          for (int j = 0; j < TCO; ++j) acc[j] += xv * Ws[j][c][kh][kw];
        }
      }
    }
    __syncthreads();
  }

  const int oh = oh0 + ty, ow = ow0 + tx;
  if (oh < HO && ow < WO) {
    for (int j = 0; j < TCO; ++j) {
      const int co = co0 + j;
      if (co < CO) Y[(((size_t)n * CO + co) * HO + oh) * WO + ow] = acc[j];
    }
  }
}

extern "C" void conv2d_nchw(const float* X, const float* Wt, float* Y) {
  float *dX, *dW, *dY;
  hipMalloc(&dX, (size_t)N * CI * H * W * sizeof(float));
  hipMalloc(&dW, (size_t)CO * CI * KH * KW * sizeof(float));
  hipMalloc(&dY, (size_t)N * CO * HO * WO * sizeof(float));
  hipMemcpy(dX, X, (size_t)N * CI * H * W * sizeof(float), hipMemcpyHostToDevice);
  hipMemcpy(dW, Wt, (size_t)CO * CI * KH * KW * sizeof(float), hipMemcpyHostToDevice);

  dim3 block(TW, TH);
  dim3 grid((WO + TW - 1) / TW, (HO + TH - 1) / TH, N * CO_TILES);
  conv2d_nchw_kernel<<<grid, block>>>(dX, dW, dY);

  hipMemcpy(Y, dY, (size_t)N * CO * HO * WO * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(dX);
  hipFree(dW);
  hipFree(dY);
}
