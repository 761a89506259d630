#include <cuda_runtime.h>

__constant__ float bias[8];
__device__ float probe[8];

__global__ void add_bias(float* y, const float* x, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = x[i] + bias[i & 7];
  if (i < 8) probe[i] = bias[i] * 2.0f;
}

extern "C" void add_bias_host(float* y, const float* x, const float* b, float* twice, int n) {
  int version = 0, least = 0, greatest = 0, blocksPerSm = 0, clock = 0;
  cudaRuntimeGetVersion(&version);
  cudaSetDeviceFlags(cudaDeviceScheduleBlockingSync);
  cudaDeviceGetStreamPriorityRange(&least, &greatest);
  cudaDeviceGetAttribute(&clock, cudaDevAttrClockRate, 0);
  cudaStream_t s;
  cudaStreamCreateWithPriority(&s, cudaStreamNonBlocking, greatest);
  cudaHostRegister((void*)x, n * sizeof(float), cudaHostRegisterDefault);
  float *dx, *dy;
  cudaMallocAsync((void**)&dx, n * sizeof(float), s);
  cudaMallocAsync((void**)&dy, n * sizeof(float), s);
  cudaMemcpyToSymbolAsync(bias, b, 8 * sizeof(float), 0, cudaMemcpyHostToDevice, s);
  cudaMemcpyAsync(dx, x, n * sizeof(float), cudaMemcpyHostToDevice, s);
  cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocksPerSm, add_bias, 256, 0);
  add_bias<<<(n + 255) / 256, 256, 0, s>>>(dy, dx, n);
  while (cudaStreamQuery(s) != cudaSuccess) {
  }
  cudaMemcpyAsync(y, dy, n * sizeof(float), cudaMemcpyDeviceToHost, s);
  cudaMemcpyFromSymbolAsync(twice, probe, 8 * sizeof(float), 0, cudaMemcpyDeviceToHost, s);
  cudaStreamSynchronize(s);
  cudaHostUnregister((void*)x);
  cudaFreeAsync(dx, s);
  cudaFreeAsync(dy, s);
  cudaStreamDestroy(s);
  cudaThreadSynchronize();
}
