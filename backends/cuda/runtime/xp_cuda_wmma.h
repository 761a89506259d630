// xpiler CUDA runtime: nvcuda::wmma (warp matrix functions) as warp-collective operations.
//
// Element-to-lane mapping (documented here because CUDA leaves it unspecified): a fragment stands for an
// R x C matrix (matrix_a: M x K, matrix_b: K x N, accumulator: M x N), numbered row-major; lane l holds
// elements l*num_elements .. (l+1)*num_elements-1 in x[0..num_elements). num_elements = R*C/32.
// Portable code only applies uniform element-wise operations to x[], which this mapping keeps exact.
//
// fill / load / store / mma_sync are rendezvous of all 32 lanes (a partial warp or a missing lane is a
// "collective" fault); the last lane to arrive performs the whole operation for the warp: it checks that
// every lane passed the same pointer / ldm / layout, the 32-byte pointer alignment and the ldm multiple
// (16 bytes), then moves or computes every lane's slice.
#pragma once

namespace nvcuda {
namespace wmma {

struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
enum layout_t { mem_row_major, mem_col_major };
namespace precision {
struct tf32 {};
}  // namespace precision

namespace xp {
template <class T>
struct storage {
  typedef T type;
};
template <>
struct storage<precision::tf32> {
  typedef float type;
};

template <class Use, int M, int N, int K>
struct dims;
template <int M, int N, int K>
struct dims<matrix_a, M, N, K> {
  static constexpr int rows = M, cols = K;
};
template <int M, int N, int K>
struct dims<matrix_b, M, N, K> {
  static constexpr int rows = K, cols = N;
};
template <int M, int N, int K>
struct dims<accumulator, M, N, K> {
  static constexpr int rows = M, cols = N;
};

enum { K_NONE, K_HALF, K_BF16, K_S8, K_U8, K_TF32, K_DOUBLE, K_FLOAT, K_INT };
template <class T>
constexpr int kind() {
  return std::is_same<T, __half>::value               ? K_HALF
         : std::is_same<T, __nv_bfloat16>::value      ? K_BF16
         : std::is_same<T, signed char>::value        ? K_S8
         : std::is_same<T, unsigned char>::value      ? K_U8
         : std::is_same<T, precision::tf32>::value    ? K_TF32
         : std::is_same<T, double>::value             ? K_DOUBLE
         : std::is_same<T, float>::value              ? K_FLOAT
         : std::is_same<T, int>::value                ? K_INT
                                                      : K_NONE;
}
constexpr bool shape16(int M, int N, int K) {
  return K == 16 && ((M == 16 && N == 16) || (M == 32 && N == 8) || (M == 8 && N == 32));
}
template <class Use, int M, int N, int K, class T>
constexpr bool valid() {
  constexpr int k = kind<T>();
  if (std::is_same<Use, accumulator>::value)
    return ((k == K_FLOAT || k == K_HALF || k == K_INT) && shape16(M, N, K)) ||
           (k == K_FLOAT && M == 16 && N == 16 && K == 8) || (k == K_DOUBLE && M == 8 && N == 8 && K == 4);
  return ((k == K_HALF || k == K_BF16 || k == K_S8 || k == K_U8) && shape16(M, N, K)) ||
         (k == K_TF32 && M == 16 && N == 16 && K == 8) || (k == K_DOUBLE && M == 8 && N == 8 && K == 4);
}
// Which accumulator types go with which input type.
template <class TA, class TC>
constexpr bool mma_types() {
  constexpr int a = kind<TA>(), c = kind<TC>();
  return (a == K_HALF && (c == K_FLOAT || c == K_HALF)) || (a == K_BF16 && c == K_FLOAT) ||
         ((a == K_S8 || a == K_U8) && c == K_INT) || (a == K_TF32 && c == K_FLOAT) ||
         (a == K_DOUBLE && c == K_DOUBLE);
}
}  // namespace xp

template <class Use, int M, int N, int K, class T, class Layout = void>
class fragment {
  static_assert(xp::valid<Use, M, N, K, T>(),
                "nvcuda::wmma: unsupported fragment (see the supported shapes and element types of wmma)");
  static_assert(std::is_same<Use, accumulator>::value == std::is_void<Layout>::value,
                "nvcuda::wmma: matrix_a/matrix_b fragments need a layout (row_major or col_major); accumulator "
                "fragments take none");

 public:
  typedef T element_type;
  typedef typename xp::storage<T>::type storage_element_type;
  static constexpr int rows = xp::dims<Use, M, N, K>::rows, cols = xp::dims<Use, M, N, K>::cols;
  enum { num_elements = rows * cols / 32 };
  storage_element_type x[num_elements];
};

inline float __float_to_tf32(float in) {  // round to nearest, ties away from zero, 10 mantissa bits
  uint32_t u;
  std::memcpy(&u, &in, 4);
  if ((u & 0x7f800000u) != 0x7f800000u) u = (u + 0x1000u) & 0xffffe000u;
  float out;
  std::memcpy(&out, &u, 4);
  return out;
}

namespace xp {
struct fill_rec : xp_simt_coll {
  void* frag;
  double value;
};
struct mem_rec : xp_simt_coll {
  void* frag;
  const void* ptr;
  unsigned ldm;
  int col_major;
};
struct mma_rec : xp_simt_coll {
  void* d;
  const void* a;
  const void* b;
  const void* c;
  bool satf;
};

template <class R>
inline void init(R& r, const char* what, unsigned line, unsigned col, void (*resolve)(xp_simt_coll**, int)) {
  r.what = what, r.line = line, r.col = col, r.mask = 0xffffffffu, r.full = 1, r.resolve = resolve;
}

inline void check_mem(xp_simt_coll** lanes, int n, size_t elem) {
  const mem_rec* r0 = static_cast<const mem_rec*>(lanes[0]);
  for (int l = 1; l < n; ++l) {
    const mem_rec* r = static_cast<const mem_rec*>(lanes[l]);
    if (r->ptr != r0->ptr || r->ldm != r0->ldm || r->col_major != r0->col_major)
      xp_fault("collective",
               "%s at line %u: lanes pass different arguments (lane 0: %p, ldm %u; lane %d: %p, ldm %u); all 32 "
               "lanes must pass the same pointer, ldm and layout",
               r0->what, r0->line, r0->ptr, r0->ldm, l, r->ptr, r->ldm);
  }
  if (reinterpret_cast<uintptr_t>(r0->ptr) % 32)
    xp_fault("alignment", "%s at line %u: the pointer %p is not 256-bit (32-byte) aligned", r0->what, r0->line,
             r0->ptr);
  unsigned mult = unsigned(16 / elem);
  if (r0->ldm % mult)
    xp_fault("alignment", "%s at line %u: ldm %u is not a multiple of %u elements (16 bytes of %zu-byte elements)",
             r0->what, r0->line, r0->ldm, mult, elem);
}

template <class F>
void fill_resolve(xp_simt_coll** lanes, int n) {
  const fill_rec* r0 = static_cast<const fill_rec*>(lanes[0]);
  for (int l = 0; l < n; ++l) {
    const fill_rec* r = static_cast<const fill_rec*>(lanes[l]);
    if (std::memcmp(&r->value, &r0->value, sizeof(double)) != 0)
      xp_fault("collective", "%s at line %u: lanes fill with different values (lane 0: %g, lane %d: %g)", r0->what,
               r0->line, r0->value, l, r->value);
    F* f = static_cast<F*>(r->frag);
    for (int s = 0; s < F::num_elements; ++s) f->x[s] = typename F::storage_element_type(r->value);
  }
}

template <class F, class S>
void load_resolve(xp_simt_coll** lanes, int n) {
  check_mem(lanes, n, sizeof(S));
  const mem_rec* r0 = static_cast<const mem_rec*>(lanes[0]);
  const S* p = static_cast<const S*>(r0->ptr);
  size_t ldm = r0->ldm;
  for (int l = 0; l < n; ++l) {
    F* f = static_cast<F*>(static_cast<const mem_rec*>(lanes[l])->frag);
    for (int s = 0; s < F::num_elements; ++s) {
      int e = l * F::num_elements + s, r = e / F::cols, c = e % F::cols;
      f->x[s] = r0->col_major ? p[size_t(c) * ldm + size_t(r)] : p[size_t(r) * ldm + size_t(c)];
    }
  }
}

template <class F, class S>
void store_resolve(xp_simt_coll** lanes, int n) {
  check_mem(lanes, n, sizeof(S));
  const mem_rec* r0 = static_cast<const mem_rec*>(lanes[0]);
  S* p = static_cast<S*>(const_cast<void*>(r0->ptr));
  size_t ldm = r0->ldm;
  for (int l = 0; l < n; ++l) {
    const F* f = static_cast<const F*>(static_cast<const mem_rec*>(lanes[l])->frag);
    for (int s = 0; s < F::num_elements; ++s) {
      int e = l * F::num_elements + s, r = e / F::cols, c = e % F::cols;
      (r0->col_major ? p[size_t(c) * ldm + size_t(r)] : p[size_t(r) * ldm + size_t(c)]) = f->x[s];
    }
  }
}

// Compute type of the products: fp32 for half/bf16/tf32 (whose products are exact in fp32), fp64 for
// double, wrapping int32 for 8-bit integers.
template <class TA>
struct acc_type {
  typedef float type;
};
template <>
struct acc_type<double> {
  typedef double type;
};
template <>
struct acc_type<signed char> {
  typedef uint32_t type;
};
template <>
struct acc_type<unsigned char> {
  typedef uint32_t type;
};

template <class TA, class S>
inline typename acc_type<TA>::type input(S v) {
  if constexpr (std::is_same<TA, precision::tf32>::value) {  // the tensor core reads 10 mantissa bits
    uint32_t u;
    float f = v;
    std::memcpy(&u, &f, 4);
    u &= 0xffffe000u;
    std::memcpy(&f, &u, 4);
    return f;
  } else if constexpr (std::is_same<typename acc_type<TA>::type, uint32_t>::value) {
    return uint32_t(int32_t(v));
  } else {
    return typename acc_type<TA>::type(v);
  }
}

template <class FD, class FA, class FB, class FC, class TA, int M, int N, int K>
void mma_resolve(xp_simt_coll** lanes, int n) {
  typedef typename acc_type<TA>::type A;
  A a[M * K], b[K * N], c[M * N];
  for (int l = 0; l < n; ++l) {
    const mma_rec* r = static_cast<const mma_rec*>(lanes[l]);
    const FA* fa = static_cast<const FA*>(r->a);
    const FB* fb = static_cast<const FB*>(r->b);
    const FC* fc = static_cast<const FC*>(r->c);
    for (int s = 0; s < FA::num_elements; ++s) a[l * FA::num_elements + s] = input<TA>(fa->x[s]);
    for (int s = 0; s < FB::num_elements; ++s) b[l * FB::num_elements + s] = input<TA>(fb->x[s]);
    for (int s = 0; s < FC::num_elements; ++s) {
      if constexpr (std::is_same<A, uint32_t>::value) c[l * FC::num_elements + s] = uint32_t(fc->x[s]);
      else c[l * FC::num_elements + s] = A(fc->x[s]);
    }
  }
  bool satf = static_cast<const mma_rec*>(lanes[0])->satf;
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      A acc = c[i * N + j];
      for (int k = 0; k < K; ++k) acc += a[i * K + k] * b[k * N + j];
      if constexpr (!std::is_same<A, uint32_t>::value) {
        if (satf) acc = isnan(acc) ? A(0) : acc > A(3.4028234663852886e38) ? A(3.4028234663852886e38)
                                          : acc < A(-3.4028234663852886e38) ? A(-3.4028234663852886e38) : acc;
      }
      c[i * N + j] = acc;
    }
  for (int l = 0; l < n; ++l) {
    FD* fd = static_cast<FD*>(static_cast<const mma_rec*>(lanes[l])->d);
    for (int s = 0; s < FD::num_elements; ++s) {
      if constexpr (std::is_same<A, uint32_t>::value) fd->x[s] = int32_t(c[l * FD::num_elements + s]);
      else fd->x[s] = typename FD::storage_element_type(c[l * FD::num_elements + s]);
    }
  }
}
}  // namespace xp

template <class Use, int M, int N, int K, class T, class L>
inline void fill_fragment(fragment<Use, M, N, K, T, L>& f,
                          const typename fragment<Use, M, N, K, T, L>::storage_element_type& v, XP_SITE_PARAMS) {
  xp::fill_rec r;
  xp::init(r, "wmma::fill_fragment", XP_SITE, &xp::fill_resolve<fragment<Use, M, N, K, T, L>>);
  r.frag = &f, r.value = double(v);
  xp_simt_warp_collective(&r);
}

template <class F, class S>
inline void xp_load(F& f, const S* p, unsigned ldm, bool col, unsigned line, unsigned column) {
  xp::mem_rec r;
  xp::init(r, "wmma::load_matrix_sync", line, column, &xp::load_resolve<F, S>);
  r.frag = &f, r.ptr = p, r.ldm = ldm, r.col_major = col;
  xp_simt_warp_collective(&r);
}
template <int M, int N, int K, class T, class L>
inline void load_matrix_sync(fragment<matrix_a, M, N, K, T, L>& f, const typename xp::storage<T>::type* p,
                             unsigned ldm, XP_SITE_PARAMS) {
  xp_load(f, p, ldm, std::is_same<L, col_major>::value, XP_SITE);
}
template <int M, int N, int K, class T, class L>
inline void load_matrix_sync(fragment<matrix_b, M, N, K, T, L>& f, const typename xp::storage<T>::type* p,
                             unsigned ldm, XP_SITE_PARAMS) {
  xp_load(f, p, ldm, std::is_same<L, col_major>::value, XP_SITE);
}
template <int M, int N, int K, class T>
inline void load_matrix_sync(fragment<accumulator, M, N, K, T>& f, const T* p, unsigned ldm, layout_t layout,
                             XP_SITE_PARAMS) {
  xp_load(f, p, ldm, layout == mem_col_major, XP_SITE);
}
template <int M, int N, int K, class T>
inline void store_matrix_sync(T* p, const fragment<accumulator, M, N, K, T>& f, unsigned ldm, layout_t layout,
                              XP_SITE_PARAMS) {
  typedef fragment<accumulator, M, N, K, T> F;
  xp::mem_rec r;
  xp::init(r, "wmma::store_matrix_sync", XP_SITE, &xp::store_resolve<F, T>);
  r.frag = const_cast<F*>(&f), r.ptr = p, r.ldm = ldm, r.col_major = layout == mem_col_major;
  xp_simt_warp_collective(&r);
}

template <int M, int N, int K, class TD, class TA, class LA, class LB, class TC>
inline void mma_sync(fragment<accumulator, M, N, K, TD>& d, const fragment<matrix_a, M, N, K, TA, LA>& a,
                     const fragment<matrix_b, M, N, K, TA, LB>& b, const fragment<accumulator, M, N, K, TC>& c,
                     bool satf = false, XP_SITE_PARAMS) {
  static_assert(xp::mma_types<TA, TC>() && xp::mma_types<TA, TD>(),
                "nvcuda::wmma::mma_sync: the accumulator type does not go with the input type");
  xp::mma_rec r;
  xp::init(r, "wmma::mma_sync", XP_SITE,
           &xp::mma_resolve<fragment<accumulator, M, N, K, TD>, fragment<matrix_a, M, N, K, TA, LA>,
                            fragment<matrix_b, M, N, K, TA, LB>, fragment<accumulator, M, N, K, TC>, TA, M, N, K>);
  r.d = &d, r.a = &a, r.b = &b, r.c = &c, r.satf = satf;
  xp_simt_warp_collective(&r);
}

}  // namespace wmma
}  // namespace nvcuda

// Kernels written for the common harness use `wmma::` without `using namespace nvcuda;`.
namespace wmma = nvcuda::wmma;
