// xpiler HIP runtime: the CDNA matrix-core builtins __builtin_amdgcn_mfma_* (gfx908 / gfx90a) as
// wavefront-collective operations with the exact element-to-lane layouts of the AMD Matrix Instruction
// Calculator (see shared/reference/hip_mfma.md, 2.2):
//
//   A (M x K per block), lane l, item r:  group g = l / M, i = l % M,
//       single-block: block 0, k = kpl*g + r;   multi-block: block g, k = r      (B: the same with j)
//   D items (dmap):  16x16:  i = 4*(l/16) + r,                 j = l%16
//                    32x32:  i = 8*(r/4) + 4*(l/32) + r%4,      j = l%32
//                    f64 16x16x4: i = 4*r + l/16,               j = l%16
//                    32x32 x2 blocks: block r/16, i = 8*((r%16)/4) + 4*(l/32) + r%4, j = l%32
//                    16x16 x4 blocks: block r/4,  i = 4*(l/16) + r%4, j = l%16
//                    4x4 x16 blocks:  block l/4,  i = r,  j = l%4
//
// All 64 lanes of the wavefront must take part (a partial wave or an exited lane is a "collective"
// fault). cbsz/abid (A-block broadcast, multi-block instructions) and blgp (B lane swizzle, fp32 and
// multi-block instructions) follow the calculator's rules; elsewhere a non-zero value is "unsupported".
// fp32 results accumulate in fp32 (fused multiply-add, k in order), int8 in wrapping int32.
#pragma once

typedef float xp_floatx4 __attribute__((ext_vector_type(4)));
typedef float xp_floatx16 __attribute__((ext_vector_type(16)));
typedef float xp_floatx32 __attribute__((ext_vector_type(32)));
typedef _Float16 xp_halfx4 __attribute__((ext_vector_type(4)));
typedef short xp_shortx2 __attribute__((ext_vector_type(2)));
typedef short xp_shortx4 __attribute__((ext_vector_type(4)));
typedef int xp_intx4 __attribute__((ext_vector_type(4)));
typedef int xp_intx16 __attribute__((ext_vector_type(16)));
typedef int xp_intx32 __attribute__((ext_vector_type(32)));
typedef double xp_doublex4 __attribute__((ext_vector_type(4)));

enum { XP_MFMA_F32, XP_MFMA_F16, XP_MFMA_BF16, XP_MFMA_I8, XP_MFMA_F64 };
enum { XP_MFMA_D16, XP_MFMA_D32, XP_MFMA_D16_F64, XP_MFMA_DM32, XP_MFMA_DM16, XP_MFMA_DM4 };

struct xp_mfma_desc {
  const char* name;
  int M, N, K, blocks, kpl, nout, dmap, in;
};

struct xp_mfma_rec : xp_simt_coll {
  const xp_mfma_desc* desc;
  int cbsz, abid, blgp;
  double a[4], b[4], c[32], out[32];
};

inline void xp_mfma_dpos(int dmap, int l, int r, int& b, int& i, int& j) {
  switch (dmap) {
    case XP_MFMA_D16: b = 0, i = 4 * (l / 16) + r, j = l % 16; break;
    case XP_MFMA_D32: b = 0, i = 8 * (r / 4) + 4 * (l / 32) + r % 4, j = l % 32; break;
    case XP_MFMA_D16_F64: b = 0, i = 4 * r + l / 16, j = l % 16; break;
    case XP_MFMA_DM32: b = r / 16, i = 8 * ((r % 16) / 4) + 4 * (l / 32) + r % 4, j = l % 32; break;
    case XP_MFMA_DM16: b = r / 4, i = 4 * (l / 16) + r % 4, j = l % 16; break;
    default: b = l / 4, i = r, j = l % 4; break;  // XP_MFMA_DM4
  }
}

inline int xp_mfma_blgp_lane(int blgp, int l) {
  switch (blgp) {
    case 1: return l % 32;                 // the first 32 lanes, broadcast
    case 2: return l < 32 ? l + 32 : l;    // the second half, broadcast
    case 3: return (l + 16) % 64;          // rotate by 16
    case 4: return l % 16;                 // lanes 0..15, broadcast
    case 5: return 16 + l % 16;            // lanes 16..31, broadcast
    case 6: return 32 + l % 16;            // lanes 32..47, broadcast
    case 7: return 48 + l % 16;            // lanes 48..63, broadcast
    default: return l;
  }
}

inline void xp_mfma_resolve(xp_simt_coll** lanes, int n) {
  const xp_mfma_rec* r0 = static_cast<const xp_mfma_rec*>(lanes[0]);
  const xp_mfma_desc& d = *r0->desc;
  const int M = d.M, N = d.N, K = d.K, NB = d.blocks;
  static double A[256], B[256], C[2048];  // largest: 2 blocks x 32x4 (A, B), 2 blocks x 32x32 (C)
  for (int l = 0; l < n; ++l) {
    const xp_mfma_rec* r = static_cast<const xp_mfma_rec*>(lanes[l]);
    const xp_mfma_rec* rb = static_cast<const xp_mfma_rec*>(lanes[xp_mfma_blgp_lane(r0->blgp, l)]);
    int g = l / M, blk = NB == 1 ? 0 : g;
    for (int it = 0; it < d.kpl; ++it) {
      int k = NB == 1 ? d.kpl * g + it : it;
      A[(blk * M + l % M) * K + k] = r->a[it];
      B[(blk * K + k) * N + l % N] = rb->b[it];
    }
    for (int it = 0; it < d.nout; ++it) {
      int b, i, j;
      xp_mfma_dpos(d.dmap, l, it, b, i, j);
      C[(b * M + i) * N + j] = r->c[it];
    }
  }
  for (int b = 0; b < NB; ++b) {
    int ab = ((b >> r0->cbsz) << r0->cbsz) + r0->abid;  // A block broadcast (cbsz/abid)
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) {
        double& c = C[(b * M + i) * N + j];
        const double* a = &A[(ab * M + i) * K];
        const double* bb = &B[b * K * N + j];
        if (d.in == XP_MFMA_I8) {
          int64_t acc = int64_t(c);
          for (int k = 0; k < K; ++k) acc += int64_t(a[k]) * int64_t(bb[k * N]);
          c = double(int32_t(uint32_t(uint64_t(acc))));
        } else if (d.in == XP_MFMA_F64) {
          double acc = c;
          for (int k = 0; k < K; ++k) acc = fma(a[k], bb[k * N], acc);
          c = acc;
        } else {
          float acc = float(c);
          for (int k = 0; k < K; ++k) acc = fmaf(float(a[k]), float(bb[k * N]), acc);
          c = acc;
        }
      }
  }
  for (int l = 0; l < n; ++l) {
    xp_mfma_rec* r = static_cast<xp_mfma_rec*>(lanes[l]);
    for (int it = 0; it < d.nout; ++it) {
      int b, i, j;
      xp_mfma_dpos(d.dmap, l, it, b, i, j);
      r->out[it] = C[(b * M + i) * N + j];
    }
  }
}

inline void xp_mfma_unpack(double* out, float v) { out[0] = v; }
inline void xp_mfma_unpack(double* out, double v) { out[0] = v; }
inline void xp_mfma_unpack(double* out, int v) {  // four int8 values, byte r = bits 8r..8r+7
  for (int r = 0; r < 4; ++r) out[r] = double(int8_t(uint32_t(v) >> (8 * r)));
}
inline void xp_mfma_unpack(double* out, xp_halfx4 v) {
  for (int r = 0; r < 4; ++r) out[r] = double(v[r]);
}
inline void xp_mfma_unpack(double* out, xp_shortx4 v) {  // bfloat16 bit patterns
  for (int r = 0; r < 4; ++r) out[r] = double(__ushort_as_bfloat16((unsigned short)v[r]));
}
inline void xp_mfma_unpack(double* out, xp_shortx2 v) {
  for (int r = 0; r < 2; ++r) out[r] = double(__ushort_as_bfloat16((unsigned short)v[r]));
}

inline void xp_mfma_run(xp_mfma_rec& r, const xp_mfma_desc* d, int cbsz, int abid, int blgp, unsigned line) {
  if (cbsz || abid) {
    if (d->blocks == 1)
      xp_fault("unsupported", "%s at line %u: cbsz/abid (%d, %d) apply only to multi-block MFMA instructions",
               d->name, line, cbsz, abid);
    if (cbsz < 0 || cbsz > 4 || (1 << cbsz) > d->blocks || abid < 0 || abid >= (1 << cbsz))
      xp_fault("invalid-argument", "%s at line %u: cbsz %d / abid %d out of range for %d blocks", d->name, line, cbsz,
               abid, d->blocks);
  }
  if (blgp) {
    if (blgp < 0 || blgp > 7) xp_fault("invalid-argument", "%s at line %u: blgp %d out of range", d->name, line, blgp);
    if (d->in != XP_MFMA_F32 && d->blocks == 1)
      xp_fault("unsupported", "%s at line %u: blgp %d is not supported by this instruction", d->name, line, blgp);
  }
  r.what = d->name, r.line = line, r.col = 0, r.mask = ~0ull, r.full = 1, r.resolve = &xp_mfma_resolve;
  r.desc = d, r.cbsz = cbsz, r.abid = abid, r.blgp = blgp;
  xp_simt_warp_collective(&r);
}

#define XP_MFMA(NAME, AT, CT, M, N, K, NB, KPL, NOUT, DMAP, IN)                                     \
  template <int CBSZ, int ABID, int BLGP>                                                             \
  inline CT xp_mfma_##NAME(AT a, AT b, CT c, unsigned line) {                                         \
    static const xp_mfma_desc desc = {"__builtin_amdgcn_mfma_" #NAME, M, N, K, NB, KPL, NOUT, DMAP, IN}; \
    xp_mfma_rec r;                                                                                    \
    xp_mfma_unpack(r.a, a);                                                                           \
    xp_mfma_unpack(r.b, b);                                                                           \
    for (int i = 0; i < NOUT; ++i) r.c[i] = double(c[i]);                                             \
    xp_mfma_run(r, &desc, CBSZ, ABID, BLGP, line);                                                    \
    CT d;                                                                                             \
    for (int i = 0; i < NOUT; ++i) d[i] = r.out[i];                                                   \
    return d;                                                                                         \
  }
XP_MFMA(f32_32x32x1f32, float, xp_floatx32, 32, 32, 1, 2, 1, 32, XP_MFMA_DM32, XP_MFMA_F32)
XP_MFMA(f32_16x16x1f32, float, xp_floatx16, 16, 16, 1, 4, 1, 16, XP_MFMA_DM16, XP_MFMA_F32)
XP_MFMA(f32_4x4x1f32, float, xp_floatx4, 4, 4, 1, 16, 1, 4, XP_MFMA_DM4, XP_MFMA_F32)
XP_MFMA(f32_32x32x2f32, float, xp_floatx16, 32, 32, 2, 1, 1, 16, XP_MFMA_D32, XP_MFMA_F32)
XP_MFMA(f32_16x16x4f32, float, xp_floatx4, 16, 16, 4, 1, 1, 4, XP_MFMA_D16, XP_MFMA_F32)
XP_MFMA(f32_32x32x4f16, xp_halfx4, xp_floatx32, 32, 32, 4, 2, 4, 32, XP_MFMA_DM32, XP_MFMA_F16)
XP_MFMA(f32_16x16x4f16, xp_halfx4, xp_floatx16, 16, 16, 4, 4, 4, 16, XP_MFMA_DM16, XP_MFMA_F16)
XP_MFMA(f32_4x4x4f16, xp_halfx4, xp_floatx4, 4, 4, 4, 16, 4, 4, XP_MFMA_DM4, XP_MFMA_F16)
XP_MFMA(f32_32x32x8f16, xp_halfx4, xp_floatx16, 32, 32, 8, 1, 4, 16, XP_MFMA_D32, XP_MFMA_F16)
XP_MFMA(f32_16x16x16f16, xp_halfx4, xp_floatx4, 16, 16, 16, 1, 4, 4, XP_MFMA_D16, XP_MFMA_F16)
XP_MFMA(i32_32x32x4i8, int, xp_intx32, 32, 32, 4, 2, 4, 32, XP_MFMA_DM32, XP_MFMA_I8)
XP_MFMA(i32_16x16x4i8, int, xp_intx16, 16, 16, 4, 4, 4, 16, XP_MFMA_DM16, XP_MFMA_I8)
XP_MFMA(i32_4x4x4i8, int, xp_intx4, 4, 4, 4, 16, 4, 4, XP_MFMA_DM4, XP_MFMA_I8)
XP_MFMA(i32_32x32x8i8, int, xp_intx16, 32, 32, 8, 1, 4, 16, XP_MFMA_D32, XP_MFMA_I8)
XP_MFMA(i32_16x16x16i8, int, xp_intx4, 16, 16, 16, 1, 4, 4, XP_MFMA_D16, XP_MFMA_I8)
XP_MFMA(f32_32x32x4bf16, xp_shortx2, xp_floatx16, 32, 32, 4, 1, 2, 16, XP_MFMA_D32, XP_MFMA_BF16)
XP_MFMA(f32_16x16x8bf16, xp_shortx2, xp_floatx4, 16, 16, 8, 1, 2, 4, XP_MFMA_D16, XP_MFMA_BF16)
XP_MFMA(f32_32x32x4bf16_1k, xp_shortx4, xp_floatx32, 32, 32, 4, 2, 4, 32, XP_MFMA_DM32, XP_MFMA_BF16)
XP_MFMA(f32_16x16x4bf16_1k, xp_shortx4, xp_floatx16, 16, 16, 4, 4, 4, 16, XP_MFMA_DM16, XP_MFMA_BF16)
XP_MFMA(f32_4x4x4bf16_1k, xp_shortx4, xp_floatx4, 4, 4, 4, 16, 4, 4, XP_MFMA_DM4, XP_MFMA_BF16)
XP_MFMA(f32_32x32x8bf16_1k, xp_shortx4, xp_floatx16, 32, 32, 8, 1, 4, 16, XP_MFMA_D32, XP_MFMA_BF16)
XP_MFMA(f32_16x16x16bf16_1k, xp_shortx4, xp_floatx4, 16, 16, 16, 1, 4, 4, XP_MFMA_D16, XP_MFMA_BF16)
XP_MFMA(f64_16x16x4f64, double, xp_doublex4, 16, 16, 4, 1, 1, 4, XP_MFMA_D16_F64, XP_MFMA_F64)
#undef XP_MFMA

// The builtins themselves: cbsz / abid / blgp must be compile-time constants, as for the real ones.
#define XP_MFMA_CALL(NAME, a, b, c, cbsz, abid, blgp) xp_mfma_##NAME<(cbsz), (abid), (blgp)>((a), (b), (c), __LINE__)
#define __builtin_amdgcn_mfma_f32_32x32x1f32(a, b, c, x, y, z) XP_MFMA_CALL(f32_32x32x1f32, a, b, c, x, y, z)
#define __builtin_amdgcn_mfma_f32_16x16x1f32(a, b, c, x, y, z) XP_MFMA_CALL(f32_16x16x1f32, a, b, c, x, y, z)
#define __builtin_amdgcn_mfma_f32_4x4x1f32(a, b, c, x, y, z) XP_MFMA_CALL(f32_4x4x1f32, a, b, c, x, y, z)
#define __builtin_amdgcn_mfma_f32_32x32x2f32(a, b, c, x, y, z) XP_MFMA_CALL(f32_32x32x2f32, a, b, c, x, y, z)
#define __builtin_amdgcn_mfma_f32_16x16x4f32(a, b, c, x, y, z) XP_MFMA_CALL(f32_16x16x4f32, a, b, c, x, y, z)
#define __builtin_amdgcn_mfma_f32_32x32x4f16(a, b, c, x, y, z) XP_MFMA_CALL(f32_32x32x4f16, a, b, c, x, y, z)
#define __builtin_amdgcn_mfma_f32_16x16x4f16(a, b, c, x, y, z) XP_MFMA_CALL(f32_16x16x4f16, a, b, c, x, y, z)
#define __builtin_amdgcn_mfma_f32_4x4x4f16(a, b, c, x, y, z) XP_MFMA_CALL(f32_4x4x4f16, a, b, c, x, y, z)
#define __builtin_amdgcn_mfma_f32_32x32x8f16(a, b, c, x, y, z) XP_MFMA_CALL(f32_32x32x8f16, a, b, c, x, y, z)
#define __builtin_amdgcn_mfma_f32_16x16x16f16(a, b, c, x, y, z) XP_MFMA_CALL(f32_16x16x16f16, a, b, c, x, y, z)
#define __builtin_amdgcn_mfma_i32_32x32x4i8(a, b, c, x, y, z) XP_MFMA_CALL(i32_32x32x4i8, a, b, c, x, y, z)
#define __builtin_amdgcn_mfma_i32_16x16x4i8(a, b, c, x, y, z) XP_MFMA_CALL(i32_16x16x4i8, a, b, c, x, y, z)
#define __builtin_amdgcn_mfma_i32_4x4x4i8(a, b, c, x, y, z) XP_MFMA_CALL(i32_4x4x4i8, a, b, c, x, y, z)
#define __builtin_amdgcn_mfma_i32_32x32x8i8(a, b, c, x, y, z) XP_MFMA_CALL(i32_32x32x8i8, a, b, c, x, y, z)
#define __builtin_amdgcn_mfma_i32_16x16x16i8(a, b, c, x, y, z) XP_MFMA_CALL(i32_16x16x16i8, a, b, c, x, y, z)
#define __builtin_amdgcn_mfma_f32_32x32x4bf16(a, b, c, x, y, z) XP_MFMA_CALL(f32_32x32x4bf16, a, b, c, x, y, z)
#define __builtin_amdgcn_mfma_f32_16x16x8bf16(a, b, c, x, y, z) XP_MFMA_CALL(f32_16x16x8bf16, a, b, c, x, y, z)
#define __builtin_amdgcn_mfma_f32_32x32x4bf16_1k(a, b, c, x, y, z) \
  XP_MFMA_CALL(f32_32x32x4bf16_1k, a, b, c, x, y, z)
#define __builtin_amdgcn_mfma_f32_16x16x4bf16_1k(a, b, c, x, y, z) \
  XP_MFMA_CALL(f32_16x16x4bf16_1k, a, b, c, x, y, z)
#define __builtin_amdgcn_mfma_f32_4x4x4bf16_1k(a, b, c, x, y, z) XP_MFMA_CALL(f32_4x4x4bf16_1k, a, b, c, x, y, z)
#define __builtin_amdgcn_mfma_f32_32x32x8bf16_1k(a, b, c, x, y, z) \
  XP_MFMA_CALL(f32_32x32x8bf16_1k, a, b, c, x, y, z)
#define __builtin_amdgcn_mfma_f32_16x16x16bf16_1k(a, b, c, x, y, z) \
  XP_MFMA_CALL(f32_16x16x16bf16_1k, a, b, c, x, y, z)
#define __builtin_amdgcn_mfma_f64_16x16x4f64(a, b, c, x, y, z) XP_MFMA_CALL(f64_16x16x4f64, a, b, c, x, y, z)
