// gather (CUDA): Y[i, :] = X[idx[i], :] (rows along axis 0); X is [M, D], idx is [NI] int32.
// A 32x8 block copies 8 output rows: threadIdx.y picks the row, whose index is loaded once, and the 32
// lanes of the warp stride along D, so each row is read and written with coalesced accesses.
#include <cuda_runtime.h>

#define M 256
#define D 64
#define NI 128

#define TX 32  // lanes along D
#define TY 8   // rows per block

__global__ void __launch_bounds__(TX * TY)
gather_device(const float* __restrict__ X, const int* __restrict__ idx, float* __restrict__ Y) {
  const int i = blockIdx.x * TY + threadIdx.y;
  if (i >= NI) {
    return;
  }
  const float* src = X + (size_t)idx[i] * D;
  float* dst = Y + (size_t)i * D;
  for (int d = threadIdx.x; d < D; d += TX) {
    dst[d] = src[d];
  }
}

extern "C" void gather_kernel(const float* X, const int* idx, float* Y) {
  float *dX, *dY;
  int* dIdx;
  cudaMalloc(&dX, M * D * sizeof(float));
  cudaMalloc(&dIdx, NI * sizeof(int));
  cudaMalloc(&dY, NI * D * sizeof(float));
  cudaMemcpy(dX, X, M * D * sizeof(float), cudaMemcpyHostToDevice);
  cudaMemcpy(dIdx, idx, NI * sizeof(int), cudaMemcpyHostToDevice);
  gather_device<<<(NI + TY - 1) / TY, dim3(TX, TY)>>>(dX, dIdx, dY);
  cudaMemcpy(Y, dY, NI * D * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(dX);
  cudaFree(dIdx);
  cudaFree(dY);
}
