#include <hip/hip_runtime.h>
// xpiler:launch grid=2,1,1 block=128,1,1
__global__ void max(float* out, const float* a, const float* b) {
  int i = hipBlockIdx_x * hipBlockDim_x + hipThreadIdx_x;
  out[i] = fmaxf(a[i], b[i]);
}
