#include <mma.h>
#include <cuda_runtime.h>
using namespace nvcuda;

#define N_ELEM 4096

extern "C" __global__ void relu_kernel(float* __restrict__ out, const float* __restrict__ in) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx < N_ELEM) {
    float v = in[idx];
    out[idx] = v > 0.0f ? v : 0.0f;
  }
}

extern "C" void relu_invoke(float* out, const float* in) {
  float *d_in, *d_out;
  cudaMalloc(&d_in, N_ELEM * sizeof(float));
  cudaMalloc(&d_out, N_ELEM * sizeof(float));
  cudaMemcpy(d_in, in, N_ELEM * sizeof(float), cudaMemcpyHostToDevice);
  dim3 grid(N_ELEM / 256);
  dim3 block(256);
  relu_kernel<<<grid, block>>>(d_out, d_in);
  cudaMemcpy(out, d_out, N_ELEM * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(d_in);
  cudaFree(d_out);
}
