// gather (HIP): Y[i, :] = X[idx[i], :] (rows along axis 0); X is [M, D], idx is [NI] int32.
// A 64x4 block copies 4 output rows: threadIdx.y picks the row, whose index is loaded once, and the 64
// lanes of the wavefront stride along D, so each row is read and written with coalesced accesses.
#include <hip/hip_runtime.h>

#define M 256
#define D 64
#define NI 128

#define TX 64  // lanes along D: one wavefront per row
#define TY 4   // rows per block

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
  hipMalloc(&dX, M * D * sizeof(float));
  hipMalloc(&dIdx, NI * sizeof(int));
  hipMalloc(&dY, NI * D * sizeof(float));
  hipMemcpy(dX, X, M * D * sizeof(float), hipMemcpyHostToDevice);
  hipMemcpy(dIdx, idx, NI * sizeof(int), hipMemcpyHostToDevice);
  hipLaunchKernelGGL(gather_device, dim3((NI + TY - 1) / TY), dim3(TX, TY), 0, 0, dX, dIdx, dY);
  hipMemcpy(Y, dY, NI * D * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(dX);
  hipFree(dIdx);
  hipFree(dY);
}
