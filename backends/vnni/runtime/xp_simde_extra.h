// AVX-512 intrinsics that Debian's SIMDe (0.7.x) lacks, written over SIMDe's portable types, so that the
// vnni executor's fallback (CPUs without AVX-512 VNNI) compiles the same kernels as the native path.
// Semantics follow Intel's descriptions: masked-off lanes are neither read nor written (no fault).
#pragma once
#include <stdint.h>
#include <string.h>

#ifndef __mmask16
typedef simde__mmask16 __mmask16;
#endif
typedef simde__mmask64 __mmask64;
typedef simde__mmask8 __mmask8;

#define XP_SIMDE_LANES(k, n, body) \
  for (int i_ = 0; i_ < (n); ++i_)  \
    if (((k) >> i_) & 1) { body; }

static inline simde__m512 xp_mm512_mask_loadu_ps(simde__m512 src, __mmask16 k, const void* p) {
  simde__m512_private r = simde__m512_to_private(src);
  const float* f = (const float*)p;
  XP_SIMDE_LANES(k, 16, r.f32[i_] = f[i_])
  return simde__m512_from_private(r);
}
static inline simde__m512 xp_mm512_maskz_loadu_ps(__mmask16 k, const void* p) {
  return xp_mm512_mask_loadu_ps(simde_mm512_setzero_ps(), k, p);
}
static inline void xp_mm512_mask_storeu_ps(void* p, __mmask16 k, simde__m512 v) {
  simde__m512_private r = simde__m512_to_private(v);
  float* f = (float*)p;
  XP_SIMDE_LANES(k, 16, f[i_] = r.f32[i_])
}
static inline simde__m512i xp_mm512_mask_loadu_epi32(simde__m512i src, __mmask16 k, const void* p) {
  simde__m512i_private r = simde__m512i_to_private(src);
  const int32_t* q = (const int32_t*)p;
  XP_SIMDE_LANES(k, 16, r.i32[i_] = q[i_])
  return simde__m512i_from_private(r);
}
static inline simde__m512i xp_mm512_maskz_loadu_epi32(__mmask16 k, const void* p) {
  return xp_mm512_mask_loadu_epi32(simde_mm512_setzero_si512(), k, p);
}
static inline void xp_mm512_mask_storeu_epi32(void* p, __mmask16 k, simde__m512i v) {
  simde__m512i_private r = simde__m512i_to_private(v);
  int32_t* q = (int32_t*)p;
  XP_SIMDE_LANES(k, 16, q[i_] = r.i32[i_])
}
static inline simde__m512i xp_mm512_maskz_loadu_epi8(__mmask64 k, const void* p) {
  simde__m512i_private r = simde__m512i_to_private(simde_mm512_setzero_si512());
  const int8_t* q = (const int8_t*)p;
  XP_SIMDE_LANES(k, 64, r.i8[i_] = q[i_])
  return simde__m512i_from_private(r);
}
static inline void xp_mm512_mask_storeu_epi8(void* p, __mmask64 k, simde__m512i v) {
  simde__m512i_private r = simde__m512i_to_private(v);
  int8_t* q = (int8_t*)p;
  XP_SIMDE_LANES(k, 64, q[i_] = r.i8[i_])
}
static inline float xp_mm512_reduce_add_ps(simde__m512 v) {
  simde__m512_private r = simde__m512_to_private(v);
  float s = 0.0f;
  for (int i = 0; i < 16; ++i) s += r.f32[i];
  return s;
}
static inline float xp_mm512_reduce_max_ps(simde__m512 v) {
  simde__m512_private r = simde__m512_to_private(v);
  float s = r.f32[0];
  for (int i = 1; i < 16; ++i) s = r.f32[i] > s ? r.f32[i] : s;
  return s;
}
static inline float xp_mm512_reduce_min_ps(simde__m512 v) {
  simde__m512_private r = simde__m512_to_private(v);
  float s = r.f32[0];
  for (int i = 1; i < 16; ++i) s = r.f32[i] < s ? r.f32[i] : s;
  return s;
}
static inline int32_t xp_mm512_reduce_add_epi32(simde__m512i v) {
  simde__m512i_private r = simde__m512i_to_private(v);
  uint32_t s = 0;  // wraps like the hardware sequence
  for (int i = 0; i < 16; ++i) s += (uint32_t)r.i32[i];
  return (int32_t)s;
}
static inline simde__m512 xp_mm512_cvtepi32_ps(simde__m512i v) {
  simde__m512i_private a = simde__m512i_to_private(v);
  simde__m512_private r;
  for (int i = 0; i < 16; ++i) r.f32[i] = (float)a.i32[i];
  return simde__m512_from_private(r);
}
static inline simde__m512 xp_mm512_mask_i32gather_ps(simde__m512 src, __mmask16 k, simde__m512i idx,
                                                     const void* base, int scale) {
  simde__m512_private r = simde__m512_to_private(src);
  simde__m512i_private ix = simde__m512i_to_private(idx);
  XP_SIMDE_LANES(k, 16, memcpy(&r.f32[i_], (const char*)base + (int64_t)ix.i32[i_] * scale, 4))
  return simde__m512_from_private(r);
}
static inline simde__m512 xp_mm512_i32gather_ps(simde__m512i idx, const void* base, int scale) {
  return xp_mm512_mask_i32gather_ps(simde_mm512_setzero_ps(), (__mmask16)0xffff, idx, base, scale);
}

#define _mm512_mask_loadu_ps xp_mm512_mask_loadu_ps
#define _mm512_maskz_loadu_ps xp_mm512_maskz_loadu_ps
#define _mm512_mask_storeu_ps xp_mm512_mask_storeu_ps
#define _mm512_mask_loadu_epi32 xp_mm512_mask_loadu_epi32
#define _mm512_maskz_loadu_epi32 xp_mm512_maskz_loadu_epi32
#define _mm512_mask_storeu_epi32 xp_mm512_mask_storeu_epi32
#define _mm512_maskz_loadu_epi8 xp_mm512_maskz_loadu_epi8
#define _mm512_mask_storeu_epi8 xp_mm512_mask_storeu_epi8
#define _mm512_reduce_add_ps xp_mm512_reduce_add_ps
#define _mm512_reduce_max_ps xp_mm512_reduce_max_ps
#define _mm512_reduce_min_ps xp_mm512_reduce_min_ps
#define _mm512_reduce_add_epi32 xp_mm512_reduce_add_epi32
#define _mm512_cvtepi32_ps xp_mm512_cvtepi32_ps
#define _mm512_mask_i32gather_ps xp_mm512_mask_i32gather_ps
#define _mm512_i32gather_ps xp_mm512_i32gather_ps
