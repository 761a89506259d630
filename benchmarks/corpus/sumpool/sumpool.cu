// sumpool (CUDA): NHWC sum pooling without padding,
// Y[n, oh, ow, c] = sum over kh < KH, kw < KW of X[n, oh*SH + kh, ow*SW + kw, c].
// A 3-D grid: blockIdx.z = image n, blockIdx.y = output row oh, blockIdx.x with threadIdx.y = output column
// ow; threadIdx.x walks the channels, so a warp reads 32 consecutive channels of one pixel (coalesced,
// NHWC keeps c innermost). The KH x KW window is unrolled from the compile-time sizes.
#include <cuda_runtime.h>

#define N 1
#define H 16
#define W 16
#define C 64
#define KH 2
#define KW 2
#define SH 2
#define SW 2

#define HO ((H - KH) / SH + 1)
#define WO ((W - KW) / SW + 1)
#define TX 32  // threads along the channels
#define TY 8   // output columns per block

__global__ void __launch_bounds__(TX * TY)
sumpool_device(const float* __restrict__ X, float* __restrict__ Y) {
  const int n = blockIdx.z;
  const int oh = blockIdx.y;
  const int ow = blockIdx.x * TY + threadIdx.y;
  if (ow >= WO) {
    return;
  }
  const float* x = X + (((size_t)n * H + oh * SH) * W + ow * SW) * C;  // top-left tap, channel 0
  float* y = Y + (((size_t)n * HO + oh) * WO + ow) * C;
  for (int c = threadIdx.x; c < C; c += TX) {
    float acc = 0.0f;
#pragma unroll
    for (int kh = 0; kh < KH; ++kh) {
#pragma unroll
      for (int kw = 0; kw < KW; ++kw) {
        const float v = x[(kh * W + kw) * C + c];
        acc = acc + v;
      }
    }
    y[c] = acc;
  }
}

extern "C" void sumpool_kernel(const float* X, float* Y) {
  float *dX, *dY;
  cudaMalloc(&dX, N * H * W * C * sizeof(float));
  cudaMalloc(&dY, N * HO * WO * C * sizeof(float));
  cudaMemcpy(dX, X, N * H * W * C * sizeof(float), cudaMemcpyHostToDevice);
  const dim3 block(TX, TY);
  const dim3 grid((WO + TY - 1) / TY, HO, N);
  sumpool_device<<<grid, block>>>(dX, dY);
  cudaMemcpy(Y, dY, N * HO * WO * C * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(dX);
  cudaFree(dY);
}
