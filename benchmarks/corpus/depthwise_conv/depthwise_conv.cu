// depthwise_conv: Y[n, oh, ow, c] = sum_{kh, kw} X[n, oh*S + kh, ow*S + kw, c] * Wt[kh, kw, c];
// NHWC, no padding, stride S, float32.
//
// Direct convolution with a shared-memory input tile. A block of TC x TP = 32 x 8 threads owns one batch
// item, one output row oh, TP = 8 consecutive output columns and TC = 32 consecutive channels; channels are
// the fastest thread index, so every global read and write is coalesced along c. The block stages the
// input patch X[n, oh*S .. oh*S + KH - 1, ow0*S .. ow0*S + IW_T - 1, c0 .. c0 + 31] (halo included) and the
// filter slice Wt[:, :, c0 .. c0 + 31] in shared memory; each thread then sums its KH x KW window from
// shared memory. Elements outside the image and channels past C are zero-filled, and masked at the store.
#include <cuda_runtime.h>

#define N 1
#define H 16
#define W 16
#define C 64
#define KH 3
#define KW 3
#define S 1

#define HO ((H - KH) / S + 1)
#define WO ((W - KW) / S + 1)
#define TC 32                     // channels per block (threadIdx.x)
#define TP 8                      // output columns per block (threadIdx.y)
#define IW_T ((TP - 1) * S + KW)  // input columns of the patch
#define C_TILES ((C + TC - 1) / TC)
#define THREADS (TC * TP)

__global__ void __launch_bounds__(THREADS) depthwise_conv_kernel(const float* __restrict__ X,
                                                                 const float* __restrict__ Wt,
                                                                 float* __restrict__ Y) {
  __shared__ float Xs[KH][IW_T][TC];
  __shared__ float Ws[KH][KW][TC];

  const int tx = threadIdx.x, ty = threadIdx.y;
  const int tid = ty * TC + tx;
  const int c0 = (blockIdx.x % C_TILES) * TC, ow0 = (blockIdx.x / C_TILES) * TP;
  const int oh = blockIdx.y, n = blockIdx.z;
  const int ih0 = oh * S, iw0 = ow0 * S;

  for (int i = tid; i < KH * IW_T * TC; i += THREADS) {
    const int r = i / (IW_T * TC), q = (i / TC) % IW_T, c = i % TC;
    const int iw = iw0 + q;
    Xs[r][q][c] = (iw < W && c0 + c < C) ? X[(((size_t)n * H + ih0 + r) * W + iw) * C + c0 + c] : 0.0f;
  }
  for (int i = tid; i < KH * KW * TC; i += THREADS) {
    const int k = i / TC, c = i % TC;
    (&Ws[0][0][0])[i] = (c0 + c < C) ? Wt[k * C + c0 + c] : 0.0f;
  }
  __syncthreads();

  const int ow = ow0 + ty, c = c0 + tx;
  if (ow < WO && c < C) {
    float acc = 0.0f;
    for (int kh = 0; kh < KH; ++kh)
      for (int kw = 0; kw < KW; ++kw) acc += Xs[kh][ty * S + kw][tx] * Ws[kh][kw][tx];
    Y[(((size_t)n * HO + oh) * WO + ow) * C + c] = acc;
  }
}

extern "C" void depthwise_conv(const float* X, const float* Wt, float* Y) {
  float *dX, *dW, *dY;
  cudaMalloc(&dX, (size_t)N * H * W * C * sizeof(float));
  cudaMalloc(&dW, (size_t)KH * KW * C * sizeof(float));
  cudaMalloc(&dY, (size_t)N * HO * WO * C * sizeof(float));
  cudaMemcpy(dX, X, (size_t)N * H * W * C * sizeof(float), cudaMemcpyHostToDevice);
  cudaMemcpy(dW, Wt, (size_t)KH * KW * C * sizeof(float), cudaMemcpyHostToDevice);

  dim3 block(TC, TP);
  dim3 grid(C_TILES * ((WO + TP - 1) / TP), HO, N);
  depthwise_conv_kernel<<<grid, block>>>(dX, dW, dY);

  cudaMemcpy(Y, dY, (size_t)N * HO * WO * C * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(dX);
  cudaFree(dW);
  cudaFree(dY);
}
