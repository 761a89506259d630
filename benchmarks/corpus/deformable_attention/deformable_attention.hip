// deformable_attention: single-scale deformable attention (the core of Deformable DETR's MSDeformAttn),
//   out[b, q, h*DH + d] = sum_p attn[b, q, h, p] * bilinear(value[b, :, h, d] as an HV x WV map,
//                                                        x = loc[b, q, h, p, 0]*WV - 0.5,
//                                                        y = loc[b, q, h, p, 1]*HV - 0.5),
// align_corners = false, zero outside the map; float32.
//
// One thread per output element (b, q, h, d), d fastest: the DH consecutive lanes of one (b, q, h) share it, so they
// read the same sampling locations and weights (broadcast) and gather DH-contiguous feature vectors of each
// corner pixel (coalesced). Each thread does scalar bilinear sampling over the P points: the four corner
// weights, each corner masked when it falls outside 0 <= x < WV, 0 <= y < HV.
#include <hip/hip_runtime.h>

#define B 1
#define HV 16
#define WV 16
#define NH 4
#define DH 32
#define LQ 64
#define P 4

#define THREADS 256
#define TOTAL (B * LQ * NH * DH)

__device__ __forceinline__ float corner(const float* __restrict__ vb, int x, int y, int h, int d) {
  if (x < 0 || x >= WV || y < 0 || y >= HV) return 0.0f;
  return vb[((size_t)(y * WV + x) * NH + h) * DH + d];
}

__global__ void __launch_bounds__(THREADS) deformable_attention_kernel(const float* __restrict__ value,
                                                                       const float* __restrict__ loc,
                                                                       const float* __restrict__ attn,
                                                                       float* __restrict__ out) {
  const int idx = blockIdx.x * THREADS + threadIdx.x;
  if (idx >= TOTAL) return;
  const int d = idx % DH;
  const int h = (idx / DH) % NH;
  const int q = (idx / (DH * NH)) % LQ;
  const int b = idx / (DH * NH * LQ);

  const float* vb = value + (size_t)b * HV * WV * NH * DH;
  const size_t bqh = ((size_t)b * LQ + q) * NH + h;  // index of (b, q, h) in attn; loc has a trailing 2
  float acc = 0.0f;
  for (int p = 0; p < P; ++p) {
    const float x = loc[(bqh * P + p) * 2 + 0] * WV - 0.5f;
    const float y = loc[(bqh * P + p) * 2 + 1] * HV - 0.5f;
    const float a = attn[bqh * P + p];
    const float xf = floorf(x), yf = floorf(y);
    const int x0 = (int)xf, y0 = (int)yf;
    const float fx = x - xf, fy = y - yf;  // weights of the (x0 + 1) column and the (y0 + 1) row
    const float v = (1.0f - fy) * ((1.0f - fx) * corner(vb, x0, y0, h, d) + fx * corner(vb, x0 + 1, y0, h, d)) +
                    fy * ((1.0f - fx) * corner(vb, x0, y0 + 1, h, d) + fx * corner(vb, x0 + 1, y0 + 1, h, d));
    acc += a * v;
  }
  out[idx] = acc;  // out[b, q, h*DH + d] has flat index ((b*LQ + q)*NH + h)*DH + d == idx
}

extern "C" void deformable_attention(const float* value, const float* loc, const float* attn, float* out) {
  const size_t n_value = (size_t)B * HV * WV * NH * DH;
  const size_t n_loc = (size_t)B * LQ * NH * P * 2;
  const size_t n_attn = (size_t)B * LQ * NH * P;
  float *dValue, *dLoc, *dAttn, *dOut;
  hipMalloc(&dValue, n_value * sizeof(float));
  hipMalloc(&dLoc, n_loc * sizeof(float));
  hipMalloc(&dAttn, n_attn * sizeof(float));
  hipMalloc(&dOut, (size_t)TOTAL * sizeof(float));
  hipMemcpy(dValue, value, n_value * sizeof(float), hipMemcpyHostToDevice);
  hipMemcpy(dLoc, loc, n_loc * sizeof(float), hipMemcpyHostToDevice);
  hipMemcpy(dAttn, attn, n_attn * sizeof(float), hipMemcpyHostToDevice);

  deformable_attention_kernel<<<(TOTAL + THREADS - 1) / THREADS, THREADS>>>(dValue, dLoc, dAttn, dOut);

  hipMemcpy(out, dOut, (size_t)TOTAL * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(dValue);
  hipFree(dLoc);
  hipFree(dAttn);
  hipFree(dOut);
}
