#include <hip/hip_runtime.h>
#include <hip/hip_fp16.h>

using float4_t = __attribute__((__vector_size__(4 * sizeof(float)))) float;

__global__ void scale4(float* __restrict__ y, const float* __restrict__ x, float a, int n) {
  int i = hipBlockIdx_x * hipBlockDim_x + hipThreadIdx_x;
  if (i < n) y[i] = a * x[i];
}

extern "C" void scale4_launch(float* y, const float* x, float a, int n) {
  float *dx, *dy;
  hipMalloc(&dx, n * sizeof(float));
  hipMalloc(&dy, n * sizeof(float));
  hipMemcpy(dx, x, n * sizeof(float), hipMemcpyHostToDevice);
  hipLaunchKernelGGL(scale4, dim3((n + 255) / 256), dim3(256), 0, 0, dy, dx, a, n);
  hipDeviceSynchronize();
  hipMemcpy(y, dy, n * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(dx);
  hipFree(dy);
}
