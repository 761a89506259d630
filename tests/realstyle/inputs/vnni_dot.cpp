#include <immintrin.h>
#include <cstdint>
#include <vector>

void dot_u8s8(const uint8_t* a, const int8_t* b, int32_t* out) {
  __m512i acc = _mm512_setzero_si512();
  for (int i = 0; i < 256; i += 64) {
    __m512i va = _mm512_loadu_si512((const void*)(a + i));
    __m512i vb = _mm512_loadu_si512((const void*)(b + i));
    acc = _mm512_dpbusd_epi32(acc, va, vb);
  }
  out[0] = _mm512_reduce_add_epi32(acc);
}
