#include <cuda_runtime.h>
// xpiler:launch grid=4,1,1 block=256,1,1
__global__ void sin(float* y, const float* x) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  y[i] = sinf(x[i]);
}
