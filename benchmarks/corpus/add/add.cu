// add (CUDA): C[i] = A[i] + B[i], float32.
// Element-wise, vectorized: each thread moves float4s (16-byte loads/stores) in a grid-stride loop over the
// N/4 full vectors; the last N % 4 elements are handled by a scalar grid-stride tail.
#include <cuda_runtime.h>

#define N 4096

#define BLOCK 256
#define NVEC (N / 4)                                  // full float4 vectors
#define GRID ((N + 4 * BLOCK - 1) / (4 * BLOCK))      // one float4 per thread on the first sweep

__global__ void __launch_bounds__(BLOCK)
add_device(const float* __restrict__ A, const float* __restrict__ B, float* __restrict__ C) {
  const int tid = blockIdx.x * blockDim.x + threadIdx.x;
  const int stride = gridDim.x * blockDim.x;
  const float4* A4 = reinterpret_cast<const float4*>(A);
  const float4* B4 = reinterpret_cast<const float4*>(B);
  float4* C4 = reinterpret_cast<float4*>(C);
  for (int i = tid; i < NVEC; i += stride) {
    const float4 a = A4[i];
    const float4 b = B4[i];
    C4[i] = make_float4(a.x + b.x, a.y + b.y, a.z + b.z, a.w + b.w);
  }
  for (int i = NVEC * 4 + tid; i < N; i += stride) {
    C[i] = A[i] + B[i];
  }
}

extern "C" void add_kernel(const float* A, const float* B, float* C) {
  float *dA, *dB, *dC;
  cudaMalloc(&dA, N * sizeof(float));
  cudaMalloc(&dB, N * sizeof(float));
  cudaMalloc(&dC, N * sizeof(float));
  cudaMemcpy(dA, A, N * sizeof(float), cudaMemcpyHostToDevice);
  cudaMemcpy(dB, B, N * sizeof(float), cudaMemcpyHostToDevice);
  add_device<<<GRID, BLOCK>>>(dA, dB, dC);
  cudaMemcpy(C, dC, N * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(dA);
  cudaFree(dB);
  cudaFree(dC);
}
