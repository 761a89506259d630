// xpiler SIMT runtime: CUDA/HIP grid execution on the CPU.
//
// Included by a dialect header (xp_cuda.h, xp_hip.h) that first defines XP_WARP_SIZE and then fills in
// its own spellings. The model:
//
//   * Blocks run one after another in the one OS thread, so `__shared__` variables can be plain statics
//     (one copy per block is what a sequential run needs). `__shared__` inside a kernel is rewritten by the
//     backend's prepare() to XP_SIMT_SHARED_IN(kernel), which puts the variable into the linker section
//     xp_sh_<kernel>; the section's size is that kernel's static shared memory, checked at kernel entry.
//   * Plain mode (default): the threads of a block run as a simple loop. Exact for kernels without
//     barriers or warp collectives; those fault as "unsupported" if reached.
//   * Cooperative mode (XP_SIMT_COOPERATIVE, chosen by the backend when the source uses collectives):
//     every thread is a fiber with its own guarded stack (64 KiB; XP_SIMT_STACK_KB in the environment
//     changes it). __syncthreads() and warp/wave collectives are rendezvous points; threads that can never
//     meet are reported (barrier / collective faults).
//   * threadIdx, blockIdx, blockDim, gridDim read the current thread's context, which the scheduler sets
//     before it resumes a fiber.
#pragma once

#ifndef XP_WARP_SIZE
#error "include a dialect header (xp_cuda.h or xp_hip.h); it defines XP_WARP_SIZE before xp_simt.h"
#endif

#include "xp_rt.h"

#include <math.h>
#include <limits.h>
#include <stdint.h>

#include "xp_simt_types.h"

// ---------------------------------------------------------------- execution state
struct xp_simt_kinfo {  // one per kernel, from XP_SIMT_KENTER at the top of its body
  const char* name;
  long max_threads;  // __launch_bounds__ (0: none)
  const char* shared_begin;  // the kernel's section of static __shared__ variables
  const char* shared_end;
};

struct xp_simt_dialect_t {
  const char* name;           // "CUDA", "HIP"
  const char* api;            // API prefix for messages: "cuda", "hip"
  int warp_size;
  size_t static_shared_max;   // static __shared__ bytes per block
  size_t shared_default_max;  // static + dynamic without opting in
  size_t shared_optin_max;    // static + dynamic with the per-kernel attribute
};

struct xp_simt_state_t {
  uint3 thread_idx;
  uint3 block_idx;
  dim3 block_dim;
  dim3 grid_dim;
  const xp_simt_kinfo* kinfo;  // the running kernel once its first thread entered it
};
extern xp_simt_state_t xp_simt;

// Read-only views of the current thread's context. References rather than macros, so that host code may
// still name a local `dim3 blockDim(...)` as CUDA allows.
static const uint3& threadIdx = xp_simt.thread_idx;
static const uint3& blockIdx = xp_simt.block_idx;
static const dim3& blockDim = xp_simt.block_dim;
static const dim3& gridDim = xp_simt.grid_dim;
static constexpr int warpSize = XP_WARP_SIZE;

// ---------------------------------------------------------------- qualifiers
#define __global__
#define __device__
#define __host__
#define __constant__
#define __managed__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __align__(n) __attribute__((aligned(n)))
#define __launch_bounds__(...)
// Static shared memory outside kernels (device functions, file scope): one section for all of it.
#define __shared__ static __attribute__((section("xp_shared"), used))
// Inside kernel K (prepare() rewrites `__shared__` there): K's own section.
#define XP_SIMT_SHARED_IN(K) static __attribute__((section("xp_sh_" #K), used))
// Inserted by prepare() in front of kernel K's declaration and at the top of its body.
#define XP_SIMT_KDECL(K) \
  extern "C" char __start_xp_sh_##K[] __attribute__((weak)), __stop_xp_sh_##K[] __attribute__((weak));
#define XP_SIMT_KENTER(K, BOUNDS)                                                                     \
  static const xp_simt_kinfo xp_simt_kinfo_ = {#K, (long)(BOUNDS), __start_xp_sh_##K, __stop_xp_sh_##K}; \
  if (__builtin_expect(xp_simt.kinfo != &xp_simt_kinfo_, 0)) xp_simt_kernel_enter(&xp_simt_kinfo_);

// ---------------------------------------------------------------- runtime entry points (xp_simt.cpp)
extern "C" {
void xp_simt_kernel_enter(const xp_simt_kinfo* k);
void xp_simt_launch_begin(const void* kernel, dim3 grid, dim3 block, size_t shmem, const xp_simt_dialect_t* d);
void xp_simt_launch_end(void);
void xp_simt_run_cooperative(void (*thunk)(void*), void* closure);
void xp_simt_check_pointer_arg(int index, const void* p);
void xp_simt_parse_launch(const char* text, dim3* grid, dim3* block, size_t* shmem);
// Barriers: kind 0 plain, 1 count, 2 and, 3 or. Returns the count / and / or result.
int xp_simt_barrier(int kind, int pred, unsigned line, unsigned col);
unsigned xp_simt_lane(void);
struct xp_simt_coll;
// A shuffle read a lane that does not take part (exited, or not in the mask): warns once per call site.
void xp_simt_warn_undefined_read(const xp_simt_coll* c, int lane, int src);
// Dynamic shared memory: every `extern __shared__ T x[]` is a T*& bound to a slot that each launch sets.
void* xp_simt_dynsmem_register(void (*set)(void*));
void xp_simt_set_max_dynamic_shared(const void* kernel, size_t bytes);
// Host API helpers shared by the CUDA and HIP spellings; they return the dialect's error code.
int xp_simt_malloc(void** p, size_t bytes, int space, const char* api);
int xp_simt_free(void* p, int space, const char* api);
int xp_simt_memcpy(void* dst, const void* src, size_t bytes, int kind, const char* api);
int xp_simt_memset(void* p, int value, size_t bytes, const char* api);
void xp_simt_symbol_check(size_t symbol_bytes, size_t bytes, size_t offset, const char* api);
double xp_simt_now_ms(void);
}

// ---------------------------------------------------------------- warp / wave collectives
// A collective call posts one record per lane. When every participating lane has posted (participants:
// the lanes in `mask` that exist and have not exited; `full` collectives need the whole warp), the last
// one to arrive calls `resolve` with the records indexed by lane (null for non-participants), so resolve
// sees all lanes at once and writes each lane's result into its record. An `implicit` collective (no
// mask) also completes when the block stalls with only some lanes there: like AMD's EXEC mask, the lanes
// that reached it in divergent code are the active ones.
struct xp_simt_coll {
  const char* what;
  unsigned line, col;
  uint64_t mask;
  int full = 0;      // needs every lane of the warp (wmma, MFMA)
  int implicit = 0;  // no mask (HIP __shfl, __ballot, __activemask): the lanes that reach it take part
  void (*resolve)(xp_simt_coll** lanes, int nlanes);
};
extern "C" void xp_simt_warp_collective(xp_simt_coll* c);

#if defined(__has_builtin)
#if __has_builtin(__builtin_COLUMN)
#define XP_SIMT_COL __builtin_COLUMN()
#endif
#endif
#ifndef XP_SIMT_COL
#define XP_SIMT_COL 0
#endif
// Call-site parameters appended to every synchronizing function: the site identifies "the same barrier".
#define XP_SITE_PARAMS unsigned xp_line = __builtin_LINE(), unsigned xp_col = XP_SIMT_COL
#define XP_SITE xp_line, xp_col

enum { XP_SHFL_IDX, XP_SHFL_UP, XP_SHFL_DOWN, XP_SHFL_XOR };

template <class T>
struct xp_simt_shfl_rec : xp_simt_coll {
  T val, out;
  int op, arg, width;
};

template <class T>
void xp_simt_shfl_resolve(xp_simt_coll** lanes, int n) {
  for (int l = 0; l < n; ++l) {
    auto* c = static_cast<xp_simt_shfl_rec<T>*>(lanes[l]);
    if (!c) continue;
    int w = c->width, seg = l & ~(w - 1), src = l;
    unsigned a = unsigned(c->arg);
    switch (c->op) {
      case XP_SHFL_IDX: src = seg + int(a & unsigned(w - 1)); break;
      case XP_SHFL_UP: src = unsigned(l - seg) >= a ? l - int(a) : l; break;
      case XP_SHFL_DOWN: src = unsigned(l - seg) + a < unsigned(w) ? l + int(a) : l; break;
      default:  // xor: lanes may read earlier segments; past the end of their own segment they keep var
        src = l ^ c->arg;
        if (src < 0 || src > seg + w - 1) src = l;
    }
    if (src >= 0 && src < n && lanes[src]) {
      c->out = static_cast<xp_simt_shfl_rec<T>*>(lanes[src])->val;
    } else {  // the source lane does not take part: an undefined value on hardware; poison it
      std::memset(static_cast<void*>(&c->out), 0xff, sizeof(T));
      xp_simt_warn_undefined_read(c, l, src);
    }
  }
}

template <class T>
inline T xp_simt_shfl(uint64_t mask, T var, int op, int arg, int width, const char* what, unsigned line,
                      unsigned col, int implicit = 0) {
  static_assert(std::is_trivially_copyable<T>::value, "shuffle of a type that is not trivially copyable");
  if (width <= 0 || width > XP_WARP_SIZE || (width & (width - 1)))
    xp_fault("invalid-argument", "%s at line %u: width %d is not a power of two between 1 and %d", what, line,
             width, XP_WARP_SIZE);
  xp_simt_shfl_rec<T> r;
  r.what = what, r.line = line, r.col = col, r.mask = mask, r.implicit = implicit;
  r.resolve = &xp_simt_shfl_resolve<T>;
  r.val = var, r.op = op, r.arg = arg, r.width = width;
  xp_simt_warp_collective(&r);
  return r.out;
}

enum {
  XP_VOTE_SYNC,
  XP_VOTE_BALLOT,
  XP_VOTE_ANY,
  XP_VOTE_ALL,
  XP_VOTE_ADD,
  XP_VOTE_MIN,
  XP_VOTE_MAX,
  XP_VOTE_UMIN,
  XP_VOTE_UMAX,
  XP_VOTE_AND,
  XP_VOTE_OR,
  XP_VOTE_XOR,
  XP_VOTE_MATCH_ANY,
  XP_VOTE_MATCH_ALL,
  XP_VOTE_ACTIVE,
};

struct xp_simt_vote_rec : xp_simt_coll {
  int op;
  uint64_t val, out;
  int pred_out;
};

inline void xp_simt_vote_resolve(xp_simt_coll** lanes, int n) {
  uint64_t ballot = 0, any = 0, all = 1, bor = 0, bxor = 0, band = ~uint64_t(0), part = 0;
  uint32_t add = 0;
  int32_t smin = INT32_MAX, smax = INT32_MIN;
  uint32_t umin = UINT32_MAX, umax = 0;
  int op = -1;
  bool same = true;
  uint64_t first = 0;
  for (int l = 0; l < n; ++l) {
    auto* c = static_cast<xp_simt_vote_rec*>(lanes[l]);
    if (!c) continue;
    if (!part) first = c->val;
    same = same && c->val == first;
    op = c->op;
    part |= uint64_t(1) << l;
    uint64_t v = c->val;
    if (v) ballot |= uint64_t(1) << l, any = 1;
    else all = 0;
    add += uint32_t(v);
    smin = int32_t(v) < smin ? int32_t(v) : smin;
    smax = int32_t(v) > smax ? int32_t(v) : smax;
    umin = uint32_t(v) < umin ? uint32_t(v) : umin;
    umax = uint32_t(v) > umax ? uint32_t(v) : umax;
    band &= v, bor |= v, bxor ^= v;
  }
  for (int l = 0; l < n; ++l) {
    auto* c = static_cast<xp_simt_vote_rec*>(lanes[l]);
    if (!c) continue;
    switch (op) {
      case XP_VOTE_BALLOT: c->out = ballot; break;
      case XP_VOTE_ANY: c->out = any; break;
      case XP_VOTE_ALL: c->out = all; break;
      case XP_VOTE_ADD: c->out = add; break;
      case XP_VOTE_MIN: c->out = uint32_t(smin); break;
      case XP_VOTE_MAX: c->out = uint32_t(smax); break;
      case XP_VOTE_UMIN: c->out = umin; break;
      case XP_VOTE_UMAX: c->out = umax; break;
      case XP_VOTE_AND: c->out = uint32_t(band); break;
      case XP_VOTE_OR: c->out = uint32_t(bor); break;
      case XP_VOTE_XOR: c->out = uint32_t(bxor); break;
      case XP_VOTE_MATCH_ANY: {
        uint64_t m = 0;
        for (int k = 0; k < n; ++k)
          if (lanes[k] && static_cast<xp_simt_vote_rec*>(lanes[k])->val == c->val) m |= uint64_t(1) << k;
        c->out = m;
        break;
      }
      case XP_VOTE_MATCH_ALL: c->out = same ? part : 0, c->pred_out = same; break;
      case XP_VOTE_ACTIVE: c->out = part; break;
      default: c->out = 0;
    }
  }
}

inline uint64_t xp_simt_vote(uint64_t mask, int op, uint64_t val, const char* what, unsigned line, unsigned col,
                             int* pred_out = nullptr, int implicit = 0) {
  xp_simt_vote_rec r;
  r.what = what, r.line = line, r.col = col, r.mask = mask, r.implicit = implicit;
  r.resolve = &xp_simt_vote_resolve;
  r.op = op, r.val = val, r.out = 0, r.pred_out = 0;
  xp_simt_warp_collective(&r);
  if (pred_out) *pred_out = r.pred_out;
  return r.out;
}

// The lanes of the warp that reach this call together (the converged lanes): an implicit rendezvous.
inline uint64_t xp_simt_active_mask(unsigned line, unsigned col) {
  return xp_simt_vote(~0ull, XP_VOTE_ACTIVE, 0, "__activemask", line, col, nullptr, 1);
}

// ---------------------------------------------------------------- barriers
inline void __syncthreads(XP_SITE_PARAMS) { xp_simt_barrier(0, 0, XP_SITE); }
inline int __syncthreads_count(int pred, XP_SITE_PARAMS) { return xp_simt_barrier(1, pred != 0, XP_SITE); }
inline int __syncthreads_and(int pred, XP_SITE_PARAMS) { return xp_simt_barrier(2, pred != 0, XP_SITE); }
inline int __syncthreads_or(int pred, XP_SITE_PARAMS) { return xp_simt_barrier(3, pred != 0, XP_SITE); }
// Memory fences order memory; with one OS thread and switches only at synchronization points, every
// access is already ordered.
inline void __threadfence(void) {}
inline void __threadfence_block(void) {}
inline void __threadfence_system(void) {}

// ---------------------------------------------------------------- launch
// Dynamic shared memory: prepare() rewrites `extern __shared__ T name[];` to
// `T*& name = xp_dynsmem_slot<T>::p;`. Every slot is set to the launch's arena by xp_simt_launch_begin.
template <class T>
struct xp_dynsmem_slot {
  static T* p;
  static void set(void* v) { p = static_cast<T*>(v); }
};
template <class T>
T* xp_dynsmem_slot<T>::p = static_cast<T*>(xp_simt_dynsmem_register(&xp_dynsmem_slot<T>::set));

extern const xp_simt_dialect_t xp_simt_dialect;  // defined by the dialect header

template <class T>
inline void xp_simt_check_arg(int, const T&) {}
template <class T>
inline void xp_simt_check_arg(int i, T* p) {
  xp_simt_check_pointer_arg(i, static_cast<const void*>(p));
}
template <class T>
inline T xp_simt_implicit(T v) {  // converts like a function call would (narrowing allowed, void* not)
  return v;
}

template <class... P, size_t... I>
void xp_simt_run(void (*k)(P...), std::tuple<P...>& args, dim3 grid, dim3 block, size_t shmem,
                 std::index_sequence<I...>) {
  xp_simt_launch_begin(reinterpret_cast<const void*>(k), grid, block, shmem, &xp_simt_dialect);
  (xp_simt_check_arg(int(I), std::get<I>(args)), ...);
#ifdef XP_SIMT_COOPERATIVE
  struct Closure {
    void (*k)(P...);
    std::tuple<P...>* args;
  } c{k, &args};
  xp_simt_run_cooperative([](void* p) {
    auto* cl = static_cast<Closure*>(p);
    cl->k(std::get<I>(*cl->args)...);
  }, &c);
#else
  for (unsigned bz = 0; bz < grid.z; ++bz)
    for (unsigned by = 0; by < grid.y; ++by)
      for (unsigned bx = 0; bx < grid.x; ++bx) {
        xp_simt.block_idx.x = bx, xp_simt.block_idx.y = by, xp_simt.block_idx.z = bz;
        for (unsigned tz = 0; tz < block.z; ++tz)
          for (unsigned ty = 0; ty < block.y; ++ty)
            for (unsigned tx = 0; tx < block.x; ++tx) {
              xp_simt.thread_idx.x = tx, xp_simt.thread_idx.y = ty, xp_simt.thread_idx.z = tz;
              k(std::get<I>(args)...);
            }
      }
#endif
  xp_simt_launch_end();
}

template <class... P>
struct xp_simt_launcher {
  void (*kernel)(P...);
  dim3 grid, block;
  size_t shmem;
  template <class... A>
  void operator()(A&&... a) const {
    static_assert(sizeof...(A) == sizeof...(P), "kernel launched with the wrong number of arguments");
    std::tuple<P...> args(xp_simt_implicit<P>(std::forward<A>(a))...);
    xp_simt_run(kernel, args, grid, block, shmem, std::index_sequence_for<P...>{});
  }
};

// The rewrite of `kernel<<<grid, block[, shmem[, stream]]>>>(args...)`.
template <class... P>
inline xp_simt_launcher<P...> xp_launch(void (*kernel)(P...), dim3 grid, dim3 block, size_t shmem = 0,
                                        const void* stream = nullptr) {
  (void)stream;  // streams run in order, synchronously
  return xp_simt_launcher<P...>{kernel, grid, block, shmem};
}

// A bare kernel launched by the harness: "grid=X,Y,Z block=X,Y,Z [shmem=N]".
template <class... P>
void xp_launch_entry(void (*kernel)(P...), void** args, const char* launch) {
  dim3 grid, block;
  size_t shmem = 0;
  xp_simt_parse_launch(launch, &grid, &block, &shmem);
  auto t = xp::bind_args(kernel, args);
  std::tuple<P...> a(t);
  xp_simt_run(kernel, a, grid, block, shmem, std::index_sequence_for<P...>{});
}

// ---------------------------------------------------------------- atomics
// Threads interleave only at synchronization points, so a read-modify-write is indivisible as written.
// (XP_ATOMIC stays defined for the dialect headers' extra overloads.)
#define XP_ATOMIC(NAME, T, EXPR) \
  inline T NAME(T* address, T val) { \
    T old = *address;                 \
    *address = (EXPR);                \
    return old;                       \
  }
XP_ATOMIC(atomicAdd, int, int(unsigned(old) + unsigned(val)))
XP_ATOMIC(atomicAdd, unsigned int, old + val)
XP_ATOMIC(atomicAdd, unsigned long long, old + val)
XP_ATOMIC(atomicAdd, float, old + val)
XP_ATOMIC(atomicAdd, double, old + val)
XP_ATOMIC(atomicAdd, xp_f16, xp_f16(float(old) + float(val)))
XP_ATOMIC(atomicAdd, xp_bf16, xp_bf16(float(old) + float(val)))
XP_ATOMIC(atomicSub, int, int(unsigned(old) - unsigned(val)))
XP_ATOMIC(atomicSub, unsigned int, old - val)
XP_ATOMIC(atomicExch, int, val)
XP_ATOMIC(atomicExch, unsigned int, val)
XP_ATOMIC(atomicExch, unsigned long long, val)
XP_ATOMIC(atomicExch, float, val)
XP_ATOMIC(atomicMin, int, val < old ? val : old)
XP_ATOMIC(atomicMin, unsigned int, val < old ? val : old)
XP_ATOMIC(atomicMin, unsigned long long, val < old ? val : old)
XP_ATOMIC(atomicMin, long long, val < old ? val : old)
XP_ATOMIC(atomicMax, int, val > old ? val : old)
XP_ATOMIC(atomicMax, unsigned int, val > old ? val : old)
XP_ATOMIC(atomicMax, unsigned long long, val > old ? val : old)
XP_ATOMIC(atomicMax, long long, val > old ? val : old)
XP_ATOMIC(atomicInc, unsigned int, old >= val ? 0u : old + 1)
XP_ATOMIC(atomicDec, unsigned int, (old == 0 || old > val) ? val : old - 1)
XP_ATOMIC(atomicAnd, int, old & val)
XP_ATOMIC(atomicAnd, unsigned int, old & val)
XP_ATOMIC(atomicAnd, unsigned long long, old & val)
XP_ATOMIC(atomicOr, int, old | val)
XP_ATOMIC(atomicOr, unsigned int, old | val)
XP_ATOMIC(atomicOr, unsigned long long, old | val)
XP_ATOMIC(atomicXor, int, old ^ val)
XP_ATOMIC(atomicXor, unsigned int, old ^ val)
XP_ATOMIC(atomicXor, unsigned long long, old ^ val)
#define XP_ATOMIC_CAS(T)                                  \
  inline T atomicCAS(T* address, T compare, T val) { \
    T old = *address;                                \
    if (old == compare) *address = val;              \
    return old;                                      \
  }
XP_ATOMIC_CAS(int)
XP_ATOMIC_CAS(unsigned int)
XP_ATOMIC_CAS(unsigned long long)
XP_ATOMIC_CAS(unsigned short)
#undef XP_ATOMIC_CAS
// Scoped variants (_block, _system) have the same effect here.
#define XP_ATOMIC_SCOPED(NAME)                                                         \
  template <class... A>                                                                \
  inline auto NAME##_block(A... a) -> decltype(NAME(a...)) { return NAME(a...); }      \
  template <class... A>                                                                \
  inline auto NAME##_system(A... a) -> decltype(NAME(a...)) { return NAME(a...); }
XP_ATOMIC_SCOPED(atomicAdd)
XP_ATOMIC_SCOPED(atomicSub)
XP_ATOMIC_SCOPED(atomicExch)
XP_ATOMIC_SCOPED(atomicMin)
XP_ATOMIC_SCOPED(atomicMax)
XP_ATOMIC_SCOPED(atomicInc)
XP_ATOMIC_SCOPED(atomicDec)
XP_ATOMIC_SCOPED(atomicCAS)
XP_ATOMIC_SCOPED(atomicAnd)
XP_ATOMIC_SCOPED(atomicOr)
XP_ATOMIC_SCOPED(atomicXor)
#undef XP_ATOMIC_SCOPED

// ---------------------------------------------------------------- device math
// max/min as CUDA device code overloads them (mixing int and float is ambiguous there too).
#define XP_MINMAX(T1, T2, R)                                       \
  inline R max(T1 a, T2 b) { return static_cast<R>(a) > static_cast<R>(b) ? static_cast<R>(a) : static_cast<R>(b); } \
  inline R min(T1 a, T2 b) { return static_cast<R>(a) < static_cast<R>(b) ? static_cast<R>(a) : static_cast<R>(b); }
XP_MINMAX(int, int, int)
XP_MINMAX(unsigned int, unsigned int, unsigned int)
XP_MINMAX(int, unsigned int, unsigned int)
XP_MINMAX(unsigned int, int, unsigned int)
XP_MINMAX(long, long, long)
XP_MINMAX(unsigned long, unsigned long, unsigned long)
XP_MINMAX(long long, long long, long long)
XP_MINMAX(unsigned long long, unsigned long long, unsigned long long)
XP_MINMAX(long long, unsigned long long, unsigned long long)
XP_MINMAX(unsigned long long, long long, unsigned long long)
#undef XP_MINMAX
inline float max(float a, float b) { return fmaxf(a, b); }
inline float min(float a, float b) { return fminf(a, b); }
inline double max(double a, double b) { return fmax(a, b); }
inline double min(double a, double b) { return fmin(a, b); }
inline double max(float a, double b) { return fmax(a, b); }
inline double min(float a, double b) { return fmin(a, b); }
inline double max(double a, float b) { return fmax(a, b); }
inline double min(double a, float b) { return fmin(a, b); }
inline unsigned int umax(unsigned int a, unsigned int b) { return a > b ? a : b; }
inline unsigned int umin(unsigned int a, unsigned int b) { return a < b ? a : b; }
inline long long llmax(long long a, long long b) { return a > b ? a : b; }
inline long long llmin(long long a, long long b) { return a < b ? a : b; }
inline unsigned long long ullmax(unsigned long long a, unsigned long long b) { return a > b ? a : b; }
inline unsigned long long ullmin(unsigned long long a, unsigned long long b) { return a < b ? a : b; }

inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
inline float rcbrtf(float x) { return 1.0f / cbrtf(x); }
inline float sinpif(float x) { return sinf(float(M_PI) * x); }
inline float cospif(float x) { return cosf(float(M_PI) * x); }
inline float normcdff(float x) { return 0.5f * erfcf(-x * float(M_SQRT1_2)); }
inline float fdividef(float a, float b) { return a / b; }
inline float __fdividef(float a, float b) { return a / b; }
inline float __expf(float x) { return expf(x); }
inline float __exp10f(float x) { return powf(10.0f, x); }
inline float __logf(float x) { return logf(x); }
inline float __log2f(float x) { return log2f(x); }
inline float __log10f(float x) { return log10f(x); }
inline float __sinf(float x) { return sinf(x); }
inline float __cosf(float x) { return cosf(x); }
inline float __tanf(float x) { return tanf(x); }
inline void __sincosf(float x, float* s, float* c) { *s = sinf(x), *c = cosf(x); }
inline float __powf(float a, float b) { return powf(a, b); }
inline float __saturatef(float x) { return x > 1.0f ? 1.0f : (x > 0.0f ? x : 0.0f); }  // NaN -> 0
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
inline float __frcp_rn(float x) { return 1.0f / x; }
inline float __fsqrt_rn(float x) { return sqrtf(x); }
inline float __frsqrt_rn(float x) { return 1.0f / sqrtf(x); }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __fma_rn(double a, double b, double c) { return fma(a, b, c); }
inline int __float2int_rn(float x) { return int(nearbyintf(x)); }
inline int __float2int_rz(float x) { return int(x); }
inline int __float2int_rd(float x) { return int(floorf(x)); }
inline int __float2int_ru(float x) { return int(ceilf(x)); }
inline unsigned __float2uint_rn(float x) { return unsigned(nearbyintf(x)); }
inline unsigned __float2uint_rz(float x) { return unsigned(x); }
inline unsigned __float2uint_rd(float x) { return unsigned(floorf(x)); }
inline unsigned __float2uint_ru(float x) { return unsigned(ceilf(x)); }
inline long long __float2ll_rn(float x) { return (long long)nearbyintf(x); }
inline long long __float2ll_rz(float x) { return (long long)x; }
inline int __double2int_rn(double x) { return int(nearbyint(x)); }
inline int __double2int_rz(double x) { return int(x); }
inline float __double2float_rn(double x) { return float(x); }
inline float __int2float_rn(int x) { return float(x); }
inline float __uint2float_rn(unsigned x) { return float(x); }
inline float __ll2float_rn(long long x) { return float(x); }
inline double __int2double_rn(int x) { return double(x); }
inline int __float_as_int(float x) {
  int i;
  std::memcpy(&i, &x, 4);
  return i;
}
inline unsigned __float_as_uint(float x) {
  unsigned i;
  std::memcpy(&i, &x, 4);
  return i;
}
inline float __int_as_float(int i) {
  float x;
  std::memcpy(&x, &i, 4);
  return x;
}
inline float __uint_as_float(unsigned i) {
  float x;
  std::memcpy(&x, &i, 4);
  return x;
}
inline long long __double_as_longlong(double x) {
  long long i;
  std::memcpy(&i, &x, 8);
  return i;
}
inline double __longlong_as_double(long long i) {
  double x;
  std::memcpy(&x, &i, 8);
  return x;
}
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __clz(int x) { return x ? __builtin_clz(unsigned(x)) : 32; }
inline int __clzll(long long x) { return x ? __builtin_clzll((unsigned long long)x) : 64; }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __ffsll(long long x) { return __builtin_ffsll(x); }
inline unsigned __brev(unsigned x) {
  x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
  x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
  x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
  return __builtin_bswap32(x);
}
inline unsigned long long __brevll(unsigned long long x) {
  return (uint64_t(__brev(unsigned(x))) << 32) | __brev(unsigned(x >> 32));
}
inline int __mulhi(int a, int b) { return int((int64_t(a) * b) >> 32); }
inline unsigned __umulhi(unsigned a, unsigned b) { return unsigned((uint64_t(a) * b) >> 32); }
inline long long __mul64hi(long long a, long long b) { return (long long)((__int128(a) * b) >> 64); }
inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) {
  return (unsigned long long)((unsigned __int128)a * b >> 64);
}
inline int __mul24(int a, int b) { return int(unsigned(a << 8 >> 8) * unsigned(b << 8 >> 8)); }
inline unsigned __umul24(unsigned a, unsigned b) { return (a & 0xffffffu) * (b & 0xffffffu); }
inline unsigned __byte_perm(unsigned x, unsigned y, unsigned s) {
  uint64_t v = (uint64_t(y) << 32) | x;
  unsigned r = 0;
  for (int i = 0; i < 4; ++i) r |= unsigned((v >> (8 * ((s >> (4 * i)) & 7))) & 0xff) << (8 * i);
  return r;
}
template <class T>
inline T __ldg(const T* p) { return *p; }
template <class T>
inline T __ldcg(const T* p) { return *p; }
template <class T>
inline T __ldca(const T* p) { return *p; }
template <class T>
inline T __ldcs(const T* p) { return *p; }
template <class T>
inline T __ldlu(const T* p) { return *p; }
template <class T>
inline T __ldcv(const T* p) { return *p; }
template <class T>
inline void __stwb(T* p, T v) { *p = v; }
template <class T>
inline void __stcg(T* p, T v) { *p = v; }
template <class T>
inline void __stcs(T* p, T v) { *p = v; }
template <class T>
inline void __stwt(T* p, T v) { *p = v; }
inline long long clock64(void) { return (long long)(xp_simt_now_ms() * 1e6); }
inline void __nanosleep(unsigned) {}
[[noreturn]] inline void __trap(void) { xp_fault("invalid-argument", "the kernel executed __trap()"); }
[[noreturn]] inline void __brkpt(void) { xp_fault("invalid-argument", "the kernel executed __brkpt()"); }

// ---------------------------------------------------------------- half and bfloat16
typedef xp_f16 __half;
typedef xp_f16 half;
typedef xp_bf16 __nv_bfloat16;

struct alignas(4) __half2 {
  __half x, y;
  __half2() = default;
  constexpr __half2(__half a, __half b) : x(a), y(b) {}
};
typedef __half2 half2;
struct alignas(4) xp_bf16x2 {
  xp_bf16 x, y;
  xp_bf16x2() = default;
  xp_bf16x2(xp_bf16 a, xp_bf16 b) : x(a), y(b) {}
};
typedef xp_bf16x2 __nv_bfloat162;

// bfloat16 arithmetic rounds every result to bfloat16, as the device operators do.
#define XP_BF16_OP(OP)                                                                               \
  inline xp_bf16 operator OP(xp_bf16 a, xp_bf16 b) { return xp_bf16(float(a) OP float(b)); }        \
  inline xp_bf16& operator OP##=(xp_bf16 & a, xp_bf16 b) { return a = xp_bf16(float(a) OP float(b)); }
XP_BF16_OP(+)
XP_BF16_OP(-)
XP_BF16_OP(*)
XP_BF16_OP(/)
#undef XP_BF16_OP
inline xp_bf16 operator-(xp_bf16 a) {
  xp_bf16 r;
  r.bits = uint16_t(a.bits ^ 0x8000u);
  return r;
}
#define XP_H2_OP(V, OP)                                                                   \
  inline V operator OP(V a, V b) { return V(a.x OP b.x, a.y OP b.y); }                    \
  inline V& operator OP##=(V & a, V b) { return a = V(a.x OP b.x, a.y OP b.y); }
XP_H2_OP(__half2, +)
XP_H2_OP(__half2, -)
XP_H2_OP(__half2, *)
XP_H2_OP(__half2, /)
XP_H2_OP(xp_bf16x2, +)
XP_H2_OP(xp_bf16x2, -)
XP_H2_OP(xp_bf16x2, *)
XP_H2_OP(xp_bf16x2, /)
#undef XP_H2_OP

inline uint16_t xp_f16_bits(__half h) {
  uint16_t b;
  std::memcpy(&b, &h, 2);
  return b;
}
inline __half xp_f16_from_bits(uint16_t b) {
  __half h;
  std::memcpy(&h, &b, 2);
  return h;
}
// Directed rounding: round to nearest, then step one ulp in the wanted direction where that overshot.
inline __half xp_f16_round(float f, int dir) {  // dir: 0 nearest, 1 toward zero, 2 down, 3 up
  __half h = __half(f);
  float back = float(h);
  if (dir == 0 || isnan(f) || back == f) return h;
  bool above = back > f;
  bool down = (dir == 2 && above) || (dir == 1 && f > 0 && above);
  bool up = (dir == 3 && !above) || (dir == 1 && f < 0 && !above);
  uint16_t b = xp_f16_bits(h);
  if (down) b = (b & 0x8000u) ? uint16_t(b + 1) : (b == 0 ? uint16_t(0x8001u) : uint16_t(b - 1));
  else if (up) b = (b & 0x8000u) ? (b == 0x8000u ? uint16_t(1) : uint16_t(b - 1)) : uint16_t(b + 1);
  return xp_f16_from_bits(b);
}

inline __half __float2half(float f) { return __half(f); }
inline __half __float2half_rn(float f) { return __half(f); }
inline __half __float2half_rz(float f) { return xp_f16_round(f, 1); }
inline __half __float2half_rd(float f) { return xp_f16_round(f, 2); }
inline __half __float2half_ru(float f) { return xp_f16_round(f, 3); }
inline __half __double2half(double d) { return __half(d); }
inline float __half2float(__half h) { return float(h); }
inline __half2 __float2half2_rn(float f) { return __half2(__half(f), __half(f)); }
inline __half2 __floats2half2_rn(float a, float b) { return __half2(__half(a), __half(b)); }
inline __half2 __float22half2_rn(float2 v) { return __half2(__half(v.x), __half(v.y)); }
inline float2 __half22float2(__half2 h) { return make_float2(float(h.x), float(h.y)); }
inline __half __low2half(__half2 h) { return h.x; }
inline __half __high2half(__half2 h) { return h.y; }
inline float __low2float(__half2 h) { return float(h.x); }
inline float __high2float(__half2 h) { return float(h.y); }
inline __half2 __halves2half2(__half a, __half b) { return __half2(a, b); }
inline __half2 __half2half2(__half a) { return __half2(a, a); }
inline __half2 __lows2half2(__half2 a, __half2 b) { return __half2(a.x, b.x); }
inline __half2 __highs2half2(__half2 a, __half2 b) { return __half2(a.y, b.y); }
inline __half2 __low2half2(__half2 a) { return __half2(a.x, a.x); }
inline __half2 __high2half2(__half2 a) { return __half2(a.y, a.y); }
inline __half __int2half_rn(int i) { return __half(float(i)); }
inline __half __uint2half_rn(unsigned i) { return __half(float(i)); }
inline __half __short2half_rn(short i) { return __half(float(i)); }
inline int __half2int_rn(__half h) { return int(nearbyintf(float(h))); }
inline int __half2int_rz(__half h) { return int(float(h)); }
inline int __half2int_rd(__half h) { return int(floorf(float(h))); }
inline int __half2int_ru(__half h) { return int(ceilf(float(h))); }
inline unsigned __half2uint_rz(__half h) { return unsigned(float(h)); }
inline short __half2short_rz(__half h) { return short(float(h)); }
inline short __half_as_short(__half h) { return short(xp_f16_bits(h)); }
inline unsigned short __half_as_ushort(__half h) { return xp_f16_bits(h); }
inline __half __short_as_half(short s) { return xp_f16_from_bits(uint16_t(s)); }
inline __half __ushort_as_half(unsigned short s) { return xp_f16_from_bits(s); }

inline xp_bf16 __float2bfloat16(float f) { return xp_bf16(f); }
inline xp_bf16 __float2bfloat16_rn(float f) { return xp_bf16(f); }
inline float __bfloat162float(xp_bf16 b) { return float(b); }
inline xp_bf16x2 __floats2bfloat162_rn(float a, float b) { return xp_bf16x2(xp_bf16(a), xp_bf16(b)); }
inline xp_bf16x2 __float2bfloat162_rn(float a) { return xp_bf16x2(xp_bf16(a), xp_bf16(a)); }
inline float2 __bfloat1622float2(xp_bf16x2 h) { return make_float2(float(h.x), float(h.y)); }
inline xp_bf16 __low2bfloat16(xp_bf16x2 h) { return h.x; }
inline xp_bf16 __high2bfloat16(xp_bf16x2 h) { return h.y; }
inline xp_bf16x2 __halves2bfloat162(xp_bf16 a, xp_bf16 b) { return xp_bf16x2(a, b); }
inline short __bfloat16_as_short(xp_bf16 b) { return short(b.bits); }
inline unsigned short __bfloat16_as_ushort(xp_bf16 b) { return b.bits; }
inline xp_bf16 __ushort_as_bfloat16(unsigned short s) {
  xp_bf16 b;
  b.bits = s;
  return b;
}
inline xp_bf16 __short_as_bfloat16(short s) { return __ushort_as_bfloat16((unsigned short)s); }

// Arithmetic and math on __half / __nv_bfloat16 (and the *2 forms), rounded to the type after each op.
#define XP_H_FAMILY(H, H2)                                                                            \
  inline H __hadd(H a, H b) { return H(float(a) + float(b)); }                                        \
  inline H __hsub(H a, H b) { return H(float(a) - float(b)); }                                        \
  inline H __hmul(H a, H b) { return H(float(a) * float(b)); }                                        \
  inline H __hdiv(H a, H b) { return H(float(a) / float(b)); }                                        \
  inline H __hfma(H a, H b, H c) { return H(fmaf(float(a), float(b), float(c))); }                    \
  inline H __hneg(H a) { return H(-float(a)); }                                                       \
  inline H __habs(H a) { return H(fabsf(float(a))); }                                                 \
  inline H __hadd_sat(H a, H b) { return H(__saturatef(float(a) + float(b))); }                        \
  inline H __hsub_sat(H a, H b) { return H(__saturatef(float(a) - float(b))); }                        \
  inline H __hmul_sat(H a, H b) { return H(__saturatef(float(a) * float(b))); }                        \
  inline H __hfma_sat(H a, H b, H c) { return H(__saturatef(fmaf(float(a), float(b), float(c)))); }   \
  inline H __hfma_relu(H a, H b, H c) {                                                               \
    float r = fmaf(float(a), float(b), float(c));                                                     \
    return H(r < 0 ? 0.0f : r);                                                                       \
  }                                                                                                   \
  inline H __hmax(H a, H b) { return H(fmaxf(float(a), float(b))); }                                  \
  inline H __hmin(H a, H b) { return H(fminf(float(a), float(b))); }                                  \
  inline bool __heq(H a, H b) { return float(a) == float(b); }                                        \
  inline bool __hne(H a, H b) { return float(a) != float(b); }                                        \
  inline bool __hlt(H a, H b) { return float(a) < float(b); }                                         \
  inline bool __hle(H a, H b) { return float(a) <= float(b); }                                        \
  inline bool __hgt(H a, H b) { return float(a) > float(b); }                                         \
  inline bool __hge(H a, H b) { return float(a) >= float(b); }                                        \
  inline bool __hisnan(H a) { return isnan(float(a)); }                                               \
  inline int __hisinf(H a) { return isinf(float(a)) ? (float(a) < 0 ? -1 : 1) : 0; }                 \
  inline H hexp(H a) { return H(expf(float(a))); }                                                    \
  inline H hexp2(H a) { return H(exp2f(float(a))); }                                                  \
  inline H hexp10(H a) { return H(powf(10.0f, float(a))); }                                           \
  inline H hlog(H a) { return H(logf(float(a))); }                                                    \
  inline H hlog2(H a) { return H(log2f(float(a))); }                                                  \
  inline H hlog10(H a) { return H(log10f(float(a))); }                                                \
  inline H hsqrt(H a) { return H(sqrtf(float(a))); }                                                  \
  inline H hrsqrt(H a) { return H(1.0f / sqrtf(float(a))); }                                         \
  inline H hrcp(H a) { return H(1.0f / float(a)); }                                                   \
  inline H hsin(H a) { return H(sinf(float(a))); }                                                    \
  inline H hcos(H a) { return H(cosf(float(a))); }                                                    \
  inline H htanh(H a) { return H(tanhf(float(a))); }                                                  \
  inline H hceil(H a) { return H(ceilf(float(a))); }                                                  \
  inline H hfloor(H a) { return H(floorf(float(a))); }                                                \
  inline H htrunc(H a) { return H(truncf(float(a))); }                                                \
  inline H hrint(H a) { return H(nearbyintf(float(a))); }                                             \
  inline H2 __hadd2(H2 a, H2 b) { return H2(__hadd(a.x, b.x), __hadd(a.y, b.y)); }                    \
  inline H2 __hsub2(H2 a, H2 b) { return H2(__hsub(a.x, b.x), __hsub(a.y, b.y)); }                    \
  inline H2 __hmul2(H2 a, H2 b) { return H2(__hmul(a.x, b.x), __hmul(a.y, b.y)); }                    \
  inline H2 __h2div(H2 a, H2 b) { return H2(__hdiv(a.x, b.x), __hdiv(a.y, b.y)); }                    \
  inline H2 __hfma2(H2 a, H2 b, H2 c) { return H2(__hfma(a.x, b.x, c.x), __hfma(a.y, b.y, c.y)); }    \
  inline H2 __hneg2(H2 a) { return H2(__hneg(a.x), __hneg(a.y)); }                                    \
  inline H2 __habs2(H2 a) { return H2(__habs(a.x), __habs(a.y)); }                                    \
  inline H2 __hmax2(H2 a, H2 b) { return H2(__hmax(a.x, b.x), __hmax(a.y, b.y)); }                    \
  inline H2 __hmin2(H2 a, H2 b) { return H2(__hmin(a.x, b.x), __hmin(a.y, b.y)); }                    \
  inline H2 h2exp(H2 a) { return H2(hexp(a.x), hexp(a.y)); }                                          \
  inline H2 h2log(H2 a) { return H2(hlog(a.x), hlog(a.y)); }                                          \
  inline H2 h2sqrt(H2 a) { return H2(hsqrt(a.x), hsqrt(a.y)); }                                       \
  inline H2 h2rsqrt(H2 a) { return H2(hrsqrt(a.x), hrsqrt(a.y)); }                                    \
  inline H2 h2rcp(H2 a) { return H2(hrcp(a.x), hrcp(a.y)); }                                          \
  inline H2 h2sin(H2 a) { return H2(hsin(a.x), hsin(a.y)); }                                          \
  inline H2 h2cos(H2 a) { return H2(hcos(a.x), hcos(a.y)); }
XP_H_FAMILY(__half, __half2)
XP_H_FAMILY(xp_bf16, xp_bf16x2)
#undef XP_H_FAMILY
