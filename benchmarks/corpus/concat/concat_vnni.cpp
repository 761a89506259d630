// concat (vnni dialect): C[m, :] = [A[m, :], B[m, :]], float32, concatenation along the last axis.
// Each output row is two contiguous copies (N1 then N2 floats) done with 16-float AVX-512 loads/stores;
// each copy's length % 16 remainder uses a masked load/store.
#include <immintrin.h>
#include <stdint.h>

#define M 64
#define N1 128
#define N2 64

static inline void copy_row(float* dst, const float* src, int len) {
  int j = 0;
  for (; j + 16 <= len; j += 16)
    _mm512_storeu_ps(dst + j, _mm512_loadu_ps(src + j));
  if (j < len) {
    const __mmask16 m = (__mmask16)((1u << (len - j)) - 1u);
    _mm512_mask_storeu_ps(dst + j, m, _mm512_maskz_loadu_ps(m, src + j));
  }
}

extern "C" void concat_kernel(const float* A, const float* B, float* C) {
  for (int m = 0; m < M; ++m) {
    float* c = C + (size_t)m * (N1 + N2);
    copy_row(c, A + (size_t)m * N1, N1);
    copy_row(c + N1, B + (size_t)m * N2, N2);
  }
}
