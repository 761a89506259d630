// add (vnni dialect): C[i] = A[i] + B[i], float32.
// One pass of 16-float AVX-512 vectors; the last N % 16 elements use a masked load/store.
#include <immintrin.h>
#include <stdint.h>

#define N 4096

extern "C" void add_kernel(const float* A, const float* B, float* C) {
  int i = 0;
  for (; i + 16 <= N; i += 16)
    _mm512_storeu_ps(C + i, _mm512_add_ps(_mm512_loadu_ps(A + i), _mm512_loadu_ps(B + i)));
  if (i < N) {
    const __mmask16 m = (__mmask16)((1u << (N - i)) - 1u);
    _mm512_mask_storeu_ps(C + i, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, A + i), _mm512_maskz_loadu_ps(m, B + i)));
  }
}
