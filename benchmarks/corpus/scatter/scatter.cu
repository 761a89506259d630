// scatter (CUDA): Y[idx[i], :] = X[i, :] (rows along axis 0); X is [NI, D], idx holds NI distinct rows
// of Y [M, D]; the other rows of Y keep their values (Y is in/out).
// A 32x8 block moves 8 source rows: threadIdx.y picks the row, whose destination index is loaded once,
// and the 32 lanes of the warp stride along D (coalesced). Distinct indices mean no write conflicts.
#include <cuda_runtime.h>

#define M 256
#define D 64
#define NI 128

#define TX 32  // lanes along D
#define TY 8   // rows per block

__global__ void __launch_bounds__(TX * TY)
scatter_device(const float* __restrict__ X, const int* __restrict__ idx, float* __restrict__ Y) {
  const int i = blockIdx.x * TY + threadIdx.y;
  if (i >= NI) {
    return;
  }
  const float* src = X + (size_t)i * D;
  float* dst = Y + (size_t)idx[i] * D;
  for (int d = threadIdx.x; d < D; d += TX) {
    dst[d] = src[d];
  }
}

extern "C" void scatter_kernel(const float* X, const int* idx, float* Y) {
  float *dX, *dY;
  int* dIdx;
  cudaMalloc(&dX, NI * D * sizeof(float));
  cudaMalloc(&dIdx, NI * sizeof(int));
  cudaMalloc(&dY, M * D * sizeof(float));
  cudaMemcpy(dX, X, NI * D * sizeof(float), cudaMemcpyHostToDevice);
  cudaMemcpy(dIdx, idx, NI * sizeof(int), cudaMemcpyHostToDevice);
  cudaMemcpy(dY, Y, M * D * sizeof(float), cudaMemcpyHostToDevice);  // untouched rows survive
  scatter_device<<<(NI + TY - 1) / TY, dim3(TX, TY)>>>(dX, dIdx, dY);
  cudaMemcpy(Y, dY, M * D * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(dX);
  cudaFree(dIdx);
  cudaFree(dY);
}
