#include <cuda_runtime.h>
#include <cuda_fp16.h>

extern "C" __global__ void __launch_bounds__(256) default_function_kernel(float* __restrict__ T_add, const float* __restrict__ A, const float* __restrict__ B) {
  for (int i0_i1_fused_outer = 0; i0_i1_fused_outer < 2; ++i0_i1_fused_outer) {
    if (((i0_i1_fused_outer * 65536) + (((int)blockIdx.x) * 256)) + ((int)threadIdx.x) < 98304) {
      T_add[(((i0_i1_fused_outer * 65536) + (((int)blockIdx.x) * 256)) + ((int)threadIdx.x))] =
        A[(((i0_i1_fused_outer * 65536) + (((int)blockIdx.x) * 256)) + ((int)threadIdx.x))] +
        B[((((((i0_i1_fused_outer * 65536) + (((int)blockIdx.x) * 256)) + ((int)threadIdx.x)) >> 7) & 255) +
           ((((i0_i1_fused_outer * 256) + ((int)blockIdx.x)) % 3) * 0))];
    }
  }
}

extern "C" void add_bias(float* out, const float* a, const float* b) {
  float *dA, *dB, *dT;
  cudaMalloc(&dA, 98304 * sizeof(float));
  cudaMalloc(&dB, 256 * sizeof(float));
  cudaMalloc(&dT, 98304 * sizeof(float));
  cudaMemcpy(dA, a, 98304 * sizeof(float), cudaMemcpyHostToDevice);
  cudaMemcpy(dB, b, 256 * sizeof(float), cudaMemcpyHostToDevice);
  default_function_kernel<<<256, 256>>>(dT, dA, dB);
  cudaMemcpy(out, dT, 98304 * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(dA);
  cudaFree(dB);
  cudaFree(dT);
}
