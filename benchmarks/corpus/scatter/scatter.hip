// scatter (HIP): Y[idx[i], :] = X[i, :] (rows along axis 0); X is [NI, D], idx holds NI distinct rows
// of Y [M, D]; the other rows of Y keep their values (Y is in/out).
// A 64x4 block moves 4 source rows: threadIdx.y picks the row, whose destination index is loaded once,
// and the 64 lanes of the wavefront stride along D (coalesced). Distinct indices mean no write conflicts.
#include <hip/hip_runtime.h>

#define M 256
#define D 64
#define NI 128

#define TX 64  // lanes along D: one wavefront per row
#define TY 4   // rows per block

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
  hipMalloc(&dX, NI * D * sizeof(float));
  hipMalloc(&dIdx, NI * sizeof(int));
  hipMalloc(&dY, M * D * sizeof(float));
  hipMemcpy(dX, X, NI * D * sizeof(float), hipMemcpyHostToDevice);
  hipMemcpy(dIdx, idx, NI * sizeof(int), hipMemcpyHostToDevice);
  hipMemcpy(dY, Y, M * D * sizeof(float), hipMemcpyHostToDevice);  // untouched rows survive
  scatter_device<<<(NI + TY - 1) / TY, dim3(TX, TY)>>>(dX, dIdx, dY);
  hipMemcpy(Y, dY, M * D * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(dX);
  hipFree(dIdx);
  hipFree(dY);
}
