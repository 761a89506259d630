// gemv (vnni dialect): y[M] = A[M, K] @ x[K]; x u8 (the unsigned operand), A s8 row-major, y int32 (exact).
// A's rows are already k-contiguous, so no packing: 4 rows at a time, each 64-byte chunk of x (64 k's) is
// loaded once and _mm512_dpbusd_epi32(acc_r, x_u8, A_r_s8) adds 4 products per int32 lane for every row;
// the K % 64 remainder is a masked byte load (_mm512_maskz_loadu_epi8, zeros contribute nothing) and each
// row ends with a horizontal _mm512_reduce_add_epi32. Relies on the spec's constraint M % 16 == 0.
#include <immintrin.h>
#include <stdint.h>

#define M 256
#define K 256

static_assert(M % 4 == 0, "gemv_vnni: 4-row blocks must divide M");

extern "C" void gemv_kernel(const int8_t* A, const uint8_t* x, int32_t* y) {
  const int tail = K % 64;
  const __mmask64 tm = tail ? (__mmask64)((1ull << tail) - 1ull) : (__mmask64)0;
  for (int m = 0; m < M; m += 4) {
    const int8_t* a0 = A + (size_t)m * K;
    const int8_t* a1 = a0 + K;
    const int8_t* a2 = a1 + K;
    const int8_t* a3 = a2 + K;
    __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
    int k = 0;
    for (; k + 64 <= K; k += 64) {
      const __m512i xv = _mm512_loadu_si512(x + k);
      s0 = _mm512_dpbusd_epi32(s0, xv, _mm512_loadu_si512(a0 + k));
      s1 = _mm512_dpbusd_epi32(s1, xv, _mm512_loadu_si512(a1 + k));
      s2 = _mm512_dpbusd_epi32(s2, xv, _mm512_loadu_si512(a2 + k));
      s3 = _mm512_dpbusd_epi32(s3, xv, _mm512_loadu_si512(a3 + k));
    }
    if (tail) {
      const __m512i xv = _mm512_maskz_loadu_epi8(tm, x + k);
      s0 = _mm512_dpbusd_epi32(s0, xv, _mm512_maskz_loadu_epi8(tm, a0 + k));
      s1 = _mm512_dpbusd_epi32(s1, xv, _mm512_maskz_loadu_epi8(tm, a1 + k));
      s2 = _mm512_dpbusd_epi32(s2, xv, _mm512_maskz_loadu_epi8(tm, a2 + k));
      s3 = _mm512_dpbusd_epi32(s3, xv, _mm512_maskz_loadu_epi8(tm, a3 + k));
    }
    y[m + 0] = _mm512_reduce_add_epi32(s0);
    y[m + 1] = _mm512_reduce_add_epi32(s1);
    y[m + 2] = _mm512_reduce_add_epi32(s2);
    y[m + 3] = _mm512_reduce_add_epi32(s3);
  }
}
