// xpiler SIMT runtime: the CUDA/HIP vector types (float4, int2, uint3, ...), make_* helpers and dim3.
//
// Layout and alignment follow CUDA's vector_types.h (float2: 8 bytes, float4: 16 bytes, 3-component types
// aligned like their element). With XP_SIMT_VECTOR_OPERATORS (HIP) the types also get constructors and the
// element-wise arithmetic operators HIP's HIP_vector_type provides.
#pragma once

#define XP_VEC_ALIGN(T, N) (sizeof(T) * N > 16 ? 16 : sizeof(T) * N)

#ifdef XP_SIMT_VECTOR_OPERATORS
#define XP_VEC_CTORS1(V, T) \
  V() = default;            \
  constexpr V(T a) : x(a) {}
#define XP_VEC_CTORS2(V, T)               \
  V() = default;                          \
  explicit constexpr V(T s) : x(s), y(s) {} \
  constexpr V(T a, T b) : x(a), y(b) {}
#define XP_VEC_CTORS3(V, T)                      \
  V() = default;                                 \
  explicit constexpr V(T s) : x(s), y(s), z(s) {} \
  constexpr V(T a, T b, T c) : x(a), y(b), z(c) {}
#define XP_VEC_CTORS4(V, T)                             \
  V() = default;                                        \
  explicit constexpr V(T s) : x(s), y(s), z(s), w(s) {} \
  constexpr V(T a, T b, T c, T d) : x(a), y(b), z(c), w(d) {}
#else
#define XP_VEC_CTORS1(V, T)
#define XP_VEC_CTORS2(V, T)
#define XP_VEC_CTORS3(V, T)
#define XP_VEC_CTORS4(V, T)
#endif

#define XP_VEC_FAMILY(P, T)                                                                   \
  struct P##1 {                                                                               \
    T x;                                                                                      \
    XP_VEC_CTORS1(P##1, T)                                                                    \
  };                                                                                          \
  struct alignas(XP_VEC_ALIGN(T, 2)) P##2 {                                                   \
    T x, y;                                                                                   \
    XP_VEC_CTORS2(P##2, T)                                                                    \
  };                                                                                          \
  struct P##3 {                                                                               \
    T x, y, z;                                                                                \
    XP_VEC_CTORS3(P##3, T)                                                                    \
  };                                                                                          \
  struct alignas(XP_VEC_ALIGN(T, 4)) P##4 {                                                   \
    T x, y, z, w;                                                                             \
    XP_VEC_CTORS4(P##4, T)                                                                    \
  };                                                                                          \
  inline P##1 make_##P##1(T x) {                                                              \
    P##1 v;                                                                                   \
    v.x = x;                                                                                  \
    return v;                                                                                 \
  }                                                                                           \
  inline P##2 make_##P##2(T x, T y) {                                                         \
    P##2 v;                                                                                   \
    v.x = x, v.y = y;                                                                         \
    return v;                                                                                 \
  }                                                                                           \
  inline P##3 make_##P##3(T x, T y, T z) {                                                    \
    P##3 v;                                                                                   \
    v.x = x, v.y = y, v.z = z;                                                                \
    return v;                                                                                 \
  }                                                                                           \
  inline P##4 make_##P##4(T x, T y, T z, T w) {                                               \
    P##4 v;                                                                                   \
    v.x = x, v.y = y, v.z = z, v.w = w;                                                       \
    return v;                                                                                 \
  }

XP_VEC_FAMILY(char, signed char)
XP_VEC_FAMILY(uchar, unsigned char)
XP_VEC_FAMILY(short, short)
XP_VEC_FAMILY(ushort, unsigned short)
XP_VEC_FAMILY(int, int)
XP_VEC_FAMILY(uint, unsigned int)
XP_VEC_FAMILY(long, long)
XP_VEC_FAMILY(ulong, unsigned long)
XP_VEC_FAMILY(longlong, long long)
XP_VEC_FAMILY(ulonglong, unsigned long long)
XP_VEC_FAMILY(float, float)
XP_VEC_FAMILY(double, double)
#undef XP_VEC_FAMILY

#ifdef XP_SIMT_VECTOR_OPERATORS
// Element-wise operators (HIP's vector types have them; CUDA's do not).
#define XP_C1(F) F(x)
#define XP_C2(F) F(x) F(y)
#define XP_C3(F) F(x) F(y) F(z)
#define XP_C4(F) F(x) F(y) F(z) F(w)
#define XP_ADD_(c) a.c += b.c;
#define XP_SUB_(c) a.c -= b.c;
#define XP_MUL_(c) a.c *= b.c;
#define XP_DIV_(c) a.c /= b.c;
#define XP_NEG_(c) a.c = -a.c;
#define XP_VEC_OP(V, T, N, OP, F)                                            \
  inline V& operator OP##=(V & a, const V& b) {                             \
    XP_C##N(F) return a;                                                    \
  }                                                                         \
  inline V& operator OP##=(V & a, T s) { return a OP## = V(s); }            \
  inline V operator OP(V a, const V& b) { return a OP## = b; }              \
  inline V operator OP(V a, T s) { return a OP## = V(s); }                  \
  inline V operator OP(T s, const V& b) {                                   \
    V a(s);                                                                 \
    return a OP## = b;                                                      \
  }
#define XP_VEC_OPS(V, T, N)                 \
  XP_VEC_OP(V, T, N, +, XP_ADD_)            \
  XP_VEC_OP(V, T, N, -, XP_SUB_)            \
  XP_VEC_OP(V, T, N, *, XP_MUL_)            \
  XP_VEC_OP(V, T, N, /, XP_DIV_)            \
  inline V operator-(V a) { XP_C##N(XP_NEG_) return a; }
#define XP_VEC_OPS_FAMILY(P, T) \
  XP_VEC_OPS(P##1, T, 1) XP_VEC_OPS(P##2, T, 2) XP_VEC_OPS(P##3, T, 3) XP_VEC_OPS(P##4, T, 4)
XP_VEC_OPS_FAMILY(char, signed char)
XP_VEC_OPS_FAMILY(uchar, unsigned char)
XP_VEC_OPS_FAMILY(short, short)
XP_VEC_OPS_FAMILY(ushort, unsigned short)
XP_VEC_OPS_FAMILY(int, int)
XP_VEC_OPS_FAMILY(uint, unsigned int)
XP_VEC_OPS_FAMILY(long, long)
XP_VEC_OPS_FAMILY(ulong, unsigned long)
XP_VEC_OPS_FAMILY(longlong, long long)
XP_VEC_OPS_FAMILY(ulonglong, unsigned long long)
XP_VEC_OPS_FAMILY(float, float)
XP_VEC_OPS_FAMILY(double, double)
#undef XP_VEC_OPS_FAMILY
#undef XP_VEC_OPS
#undef XP_VEC_OP
#endif

// dim3: a uint3 whose missing components default to 1.
struct dim3 {
  unsigned int x, y, z;
  constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1) : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
  constexpr operator uint3() const {
    uint3 v{};
    v.x = x, v.y = y, v.z = z;
    return v;
  }
};
