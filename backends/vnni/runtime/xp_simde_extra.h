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
// Horizontal float reductions in the hardware sequence that GCC's and clang's <avx512fintrin.h> emit:
// high half op low half (256, then 128 bits), then lanes {2,3} op {0,1}, then lane 0 op lane 1. Float
// addition is not associative, so a sequential sum would differ from the native run in the last bits.
// max/min follow maxps/minps: `a op b` returns b when the comparison fails (NaN, equal zeros).
#define XP_REDUCE_TREE_PS(v, OP)                                                       \
  simde__m512_private r_ = simde__m512_to_private(v);                                 \
  float t_[16];                                                                       \
  for (int i_ = 0; i_ < 8; ++i_) t_[i_] = OP(r_.f32[i_ + 8], r_.f32[i_]);            \
  for (int i_ = 0; i_ < 4; ++i_) t_[i_] = OP(t_[i_ + 4], t_[i_]);                    \
  for (int i_ = 0; i_ < 2; ++i_) t_[i_] = OP(t_[i_], t_[i_ + 2]);                    \
  return OP(t_[0], t_[1])
#define XP_ADD_(a, b) ((a) + (b))
#define XP_MAX_(a, b) ((a) > (b) ? (a) : (b))
#define XP_MIN_(a, b) ((a) < (b) ? (a) : (b))
static inline float xp_mm512_reduce_add_ps(simde__m512 v) { XP_REDUCE_TREE_PS(v, XP_ADD_); }
static inline float xp_mm512_reduce_max_ps(simde__m512 v) { XP_REDUCE_TREE_PS(v, XP_MAX_); }
static inline float xp_mm512_reduce_min_ps(simde__m512 v) { XP_REDUCE_TREE_PS(v, XP_MIN_); }
// Fused multiply-add lane by lane with one rounding (fmaf), as the FMA units do; SIMDe falls back to
// a * b + c (two roundings) when the build has no native FMA, which differs in the last bits.
#define XP_FMA_PS(W, T, NAME, SA, SC)                                                  \
  static inline T xp##NAME(T a, T b, T c) {                                           \
    T##_private a_ = T##_to_private(a), b_ = T##_to_private(b), c_ = T##_to_private(c); \
    for (int i_ = 0; i_ < W; ++i_) a_.f32[i_] = __builtin_fmaf(SA a_.f32[i_], b_.f32[i_], SC c_.f32[i_]); \
    return T##_from_private(a_);                                                      \
  }
XP_FMA_PS(16, simde__m512, _mm512_fmadd_ps, +, +)
XP_FMA_PS(16, simde__m512, _mm512_fmsub_ps, +, -)
XP_FMA_PS(16, simde__m512, _mm512_fnmadd_ps, -, +)
XP_FMA_PS(16, simde__m512, _mm512_fnmsub_ps, -, -)
XP_FMA_PS(8, simde__m256, _mm256_fmadd_ps, +, +)
XP_FMA_PS(8, simde__m256, _mm256_fmsub_ps, +, -)
XP_FMA_PS(8, simde__m256, _mm256_fnmadd_ps, -, +)
XP_FMA_PS(8, simde__m256, _mm256_fnmsub_ps, -, -)
XP_FMA_PS(4, simde__m128, _mm_fmadd_ps, +, +)
XP_FMA_PS(4, simde__m128, _mm_fmsub_ps, +, -)
XP_FMA_PS(4, simde__m128, _mm_fnmadd_ps, -, +)
XP_FMA_PS(4, simde__m128, _mm_fnmsub_ps, -, -)
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
#undef _mm512_fmadd_ps
#undef _mm512_fmsub_ps
#undef _mm512_fnmadd_ps
#undef _mm512_fnmsub_ps
#undef _mm256_fmadd_ps
#undef _mm256_fmsub_ps
#undef _mm256_fnmadd_ps
#undef _mm256_fnmsub_ps
#undef _mm_fmadd_ps
#undef _mm_fmsub_ps
#undef _mm_fnmadd_ps
#undef _mm_fnmsub_ps
#define _mm512_fmadd_ps xp_mm512_fmadd_ps
#define _mm512_fmsub_ps xp_mm512_fmsub_ps
#define _mm512_fnmadd_ps xp_mm512_fnmadd_ps
#define _mm512_fnmsub_ps xp_mm512_fnmsub_ps
#define _mm256_fmadd_ps xp_mm256_fmadd_ps
#define _mm256_fmsub_ps xp_mm256_fmsub_ps
#define _mm256_fnmadd_ps xp_mm256_fnmadd_ps
#define _mm256_fnmsub_ps xp_mm256_fnmsub_ps
#define _mm_fmadd_ps xp_mm_fmadd_ps
#define _mm_fmsub_ps xp_mm_fmsub_ps
#define _mm_fnmadd_ps xp_mm_fnmadd_ps
#define _mm_fnmsub_ps xp_mm_fnmsub_ps
#define _mm512_reduce_max_ps xp_mm512_reduce_max_ps
#define _mm512_reduce_min_ps xp_mm512_reduce_min_ps
#define _mm512_reduce_add_epi32 xp_mm512_reduce_add_epi32
#define _mm512_cvtepi32_ps xp_mm512_cvtepi32_ps
#define _mm512_mask_i32gather_ps xp_mm512_mask_i32gather_ps
#define _mm512_i32gather_ps xp_mm512_i32gather_ps
