#include "hip/hip_runtime.h"

__constant__ float scale_c[2];

__global__ void warp_scale(const float* __restrict__ x, float* __restrict__ y, int n) {
  int i = hipBlockIdx_x * hipBlockDim_x + hipThreadIdx_x;
  float v = i < n ? x[i] : 0.0f;
  for (int m = 16; m > 0; m >>= 1) v = fmaxf(v, __shfl_xor(v, m, 32));
  __syncthreads();
  if (i < n) y[i] = x[i] * scale_c[0] + v * scale_c[1];
}

extern "C" void warp_scale_host(const float* x, float* y, const float* s, int n) {
  float *dx, *dy;
  hipStream_t st;
  hipEvent_t ev;
  hipStreamCreate(&st);
  hipEventCreate(&ev);
  hipMemcpyToSymbol(HIP_SYMBOL(scale_c), s, 2 * sizeof(float));
  hipMalloc((void**)&dx, n * sizeof(float));
  hipMalloc((void**)&dy, n * sizeof(float));
  hipMemcpyAsync(dx, x, n * sizeof(float), hipMemcpyHostToDevice, st);
  hipLaunchKernelGGL(warp_scale, dim3((n + 63) / 64), dim3(64), 0, st, dx, dy, n);
  hipEventRecord(ev, st);
  hipEventSynchronize(ev);
  hipMemcpy(y, dy, n * sizeof(float), hipMemcpyDeviceToHost);
  hipDeviceSynchronize();
  hipEventDestroy(ev);
  hipStreamDestroy(st);
  hipFree(dx);
  hipFree(dy);
}
