#include <hip/hip_runtime.h>

__global__ void row_sum(const float* x, float* y, int cols) {
  int row = blockIdx.x;
  float v = 0.0f;
  for (int c = threadIdx.x; c < cols; c += 32) v += x[row * cols + c];
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down(v, o, 32);
  if (threadIdx.x == 0) y[row] = v;
}

void row_sum_host(const float* x, float* y, int rows, int cols) {
  float *dx, *dy;
  hipMalloc(&dx, rows * cols * sizeof(float));
  hipMalloc(&dy, rows * sizeof(float));
  hipMemcpy(dx, x, rows * cols * sizeof(float), hipMemcpyHostToDevice);
  row_sum<<<rows, 32>>>(dx, dy, cols);
  hipMemcpy(y, dy, rows * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(dx);
  hipFree(dy);
}
