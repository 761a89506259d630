// gather (vnni dialect): Y[i, :] = X[idx[i], :], float32 X [M, D], int32 idx [NI] (rows along axis 0).
// The index work is scalar (one row lookup per output row); each selected row of D contiguous floats is
// copied with 16-float AVX-512 loads/stores, masked for the D % 16 remainder.
#include <immintrin.h>
#include <stdint.h>

#define M 256
#define D 64
#define NI 128

extern "C" void gather_kernel(const float* X, const int32_t* idx, float* Y) {
  const int tail = D % 16;
  const __mmask16 tm = (__mmask16)((1u << tail) - 1u);
  for (int i = 0; i < NI; ++i) {
    const float* src = X + (size_t)idx[i] * D;
    float* dst = Y + (size_t)i * D;
    int j = 0;
    for (; j + 16 <= D; j += 16)
      _mm512_storeu_ps(dst + j, _mm512_loadu_ps(src + j));
    if (tail)
      _mm512_mask_storeu_ps(dst + j, tm, _mm512_maskz_loadu_ps(tm, src + j));
  }
}
