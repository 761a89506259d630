using float4 = __attribute__((__vector_size__(16))) float;

#define N4 256

extern "C" __global__ void scale_vec4(float* __restrict__ out, const float* __restrict__ in, float a) {
  int i = (int)blockIdx.x * 64 + (int)threadIdx.x;
  if (i < N4) {
    float4 v = ((const float4*)in)[i];
    v[0] = v[0] * a;
    v[1] = v[1] * a;
    v[2] = v[2] * a;
    v[3] = v[3] * a;
    ((float4*)out)[i] = v;
  }
}

extern "C" void scale_vec4_host(float* out, const float* in, float a) {
  float *din, *dout;
  hipMalloc(&din, N4 * 4 * sizeof(float));
  hipMalloc(&dout, N4 * 4 * sizeof(float));
  hipMemcpy(din, in, N4 * 4 * sizeof(float), hipMemcpyHostToDevice);
  hipLaunchKernelGGL(scale_vec4, dim3(N4 / 64), dim3(64), 0, 0, dout, din, a);
  hipMemcpy(out, dout, N4 * 4 * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(din);
  hipFree(dout);
}
