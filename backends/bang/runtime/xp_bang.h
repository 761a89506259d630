// xpiler CPU runtime for Cambricon BANG C (MLU): the header prepended to every .mlu translation unit.
//
// Execution model (details in xp_bang_rt.cpp):
//   * A launch is a grid of dim.x*dim.y*dim.z tasks. Block launches run tasks one after another on the
//     emulated cores (in waves of clusters*cores); UnionN launches run "union jobs" of N clusters x coreDim
//     cores (4*N consecutive taskIdX values). clusterId is relative to the union, as mlu-ops uses it.
//   * Plain mode: every task runs to completion in turn, on the calling OS thread.
//     Cooperative mode (XP_BANG_COOPERATIVE, defined by the Python backend when the source calls a
//     __sync_cluster/__sync_all-style barrier): the tasks of one union job run as fibers that switch at
//     barriers; a barrier that cannot complete is reported as a deadlock naming the waiting cores.
//   * The memory core (MPU) of a cluster is not emulated: barriers count the compute cores, __is_mpu() is
//     false, and copies the guide runs on the MPU (GDRAM2SRAM, ...) run on the calling core.
//   * __memcpy_async copies are applied when issued; the soft-rule checker reports an operand of a pending
//     async copy that an intrinsic reads (destination) or overwrites (source) before the matching __sync_*.
//   * Memory spaces are separate arenas: __nram__/__wram__/__mlu_shared__/__ldram__ objects are static
//     objects placed in the ELF sections xp_nram/xp_wram/xp_sram/xp_ldram, so membership is an address
//     test; the executable's own symbol table gives every object's extent (bounds of ONE object per
//     operand). NRAM/WRAM/LDRAM are private per core and SRAM per cluster: the runtime swaps each core's
//     (cluster's) contents in and out of the sections when the emulated core (cluster) changes.
//   * GDRAM is what the harness passes and cnrtMalloc returns (xp_gmem_*, guard pages).
//   * WRAM is modelled logically: the weights are exactly the bytes a copy wrote (no LT interleave), so
//     __bang_reshape_filter is a copy; conv/mlp/matmul read the logical layouts documented at each one.
//
// Launch text of a bare kernel: "tasks=N [clusters=C] [cores=K] [type=block|union1..union16] [dim=X,Y,Z]".
// dim defaults to (N,1,1); cores (coreDim) to the generation's cores per cluster (4); the type to UnionC when
// clusters=C is given, else Block; with an explicit type, clusters sizes the emulated device (default: the
// generation's cluster count). "tasks=16 clusters=4 cores=4" is one Union4 job of 4 clusters x 4 cores.
// Host code launches with k<<<cnrtDim3_t, cnrtFunctionType_t, cnrtQueue_t>>>(args).
//
// Runtime environment: XP_BANG_CHECK=off|warn|strict (soft manual rules: alignment, forbidden overlap, async
// operands used before their __sync_*; default warn), XP_BANG_NRAM/WRAM/SRAM (capacity overrides),
// XP_BANG_NRAM_RESERVE, XP_BANG_POISON, XP_BANG_MATMUL_RHS (see backends/bang/dialect.py, RUNTIME_ENV).
//
// Build note: use clang++ (the Python backend does). g++ 12 silently drops the section attribute of
// static locals inside templates, so a __nram__ array declared in a template function would not be NRAM.
#pragma once

#include "xp_rt.h"

#include <math.h>
#include <stdint.h>

#include <type_traits>

#if !defined(XP_BANG_RUNTIME_IMPL) && (!defined(XP_BANG_NRAM_BYTES) || !defined(__BANG_ARCH__))
#error "the BANG runtime needs the generation facts as -D macros: build through the xpiler bang backend, or add the flags printed by `python -m backends.bang.dialect`"
#endif

#ifndef __BANG__
#define __BANG__ 1
#endif

// ---------------------------------------------------------------- types
typedef xp_f16 half;
typedef xp_bf16 bfloat16_t;
typedef int8_t int8;    // BANG spellings of the fixed-point types (old headers: fix8 / fix16)
typedef int16_t int16;
typedef int8_t fix8;
typedef int16_t fix16;

// ---------------------------------------------------------------- qualifiers
#define __mlu_global__
#define __mlu_entry__
#define __mlu_func__ inline
#define __mlu_device__
#define __mlu_host__
#define __mlu_const__
// Static objects in per-space sections; `used` keeps every declared object (the capacity check counts the
// declarations) and makes the compiler treat the object as escaping (no caching across a barrier);
// aligned(64): the manual's vector-address alignment, which cncc gives on-chip arrays.
#define __nram__ static __attribute__((section("xp_nram"), used, aligned(64)))
#define __wram__ static __attribute__((section("xp_wram"), used, aligned(64)))
#define __mlu_shared__ static __attribute__((section("xp_sram"), used, aligned(64)))
#define __ldram__ static __attribute__((section("xp_ldram"), used, aligned(64)))

// ---------------------------------------------------------------- the current task (built-in variables)
struct xpb_task_t {
  int task_id, task_id_x, task_id_y, task_id_z;
  int task_dim, task_dim_x, task_dim_y, task_dim_z;
  int cluster_id, cluster_dim, core_id, core_dim;
  int is_mpu;
};
extern xpb_task_t xpb_task;
#define taskId ((int)xpb_task.task_id)
#define taskIdX ((int)xpb_task.task_id_x)
#define taskIdY ((int)xpb_task.task_id_y)
#define taskIdZ ((int)xpb_task.task_id_z)
#define taskDim ((int)xpb_task.task_dim)
#define taskDimX ((int)xpb_task.task_dim_x)
#define taskDimY ((int)xpb_task.task_dim_y)
#define taskDimZ ((int)xpb_task.task_dim_z)
#define clusterId ((int)xpb_task.cluster_id)
#define clusterDim ((int)xpb_task.cluster_dim)
#define coreId ((int)xpb_task.core_id)
#define coreDim ((int)xpb_task.core_dim)
inline bool __is_mpu(void) { return xpb_task.is_mpu != 0; }
inline bool __is_ipu(void) { return xpb_task.is_mpu == 0; }

// Source position of an intrinsic call, for fault messages (a default argument evaluated at the call site;
// explicit, so no argument ever converts into it).
struct xp_loc {
  const char* file;
  int line;
  explicit xp_loc(const char* f = __builtin_FILE(), int l = __builtin_LINE()) : file(f), line(l) {}
};
typedef long long xpb_cnt;  // element counts: signed, so that a negative count is reported as such

template <class S>
struct xpb_is_scalar
    : std::integral_constant<bool, std::is_arithmetic<S>::value || std::is_same<S, xp_f16>::value ||
                                       std::is_same<S, xp_bf16>::value> {};
template <class T>
constexpr int xpb_dt() {
  return xp_dtype_of<std::remove_cv_t<T>>::value;
}
#define XPB_IF_SCALAR(S) class = std::enable_if_t<xpb_is_scalar<S>::value>

// ---------------------------------------------------------------- launch types (CNRT)
struct cnrtDim3_t {
  unsigned int x, y, z;
};
// Encoding: Block = 1, UnionN = 4*N (the cores of one union on a 4-core-per-cluster part).
enum cnrtFunctionType_t {
  cnrtFuncTypeBlock = 1,
  cnrtFuncTypeBlock0 = 1,
  cnrtFuncTypeUnion1 = 4,
  cnrtFuncTypeUnion2 = 8,
  cnrtFuncTypeUnion4 = 16,
  cnrtFuncTypeUnion8 = 32,
  cnrtFuncTypeUnion16 = 64,
  CNRT_FUNC_TYPE_BLOCK = 1,
  CNRT_FUNC_TYPE_BLOCK0 = 1,
  CNRT_FUNC_TYPE_UNION1 = 4,
  CNRT_FUNC_TYPE_UNION2 = 8,
  CNRT_FUNC_TYPE_UNION4 = 16,
  CNRT_FUNC_TYPE_UNION8 = 32,
  CNRT_FUNC_TYPE_UNION16 = 64,
};
typedef struct xpb_queue* cnrtQueue_t;

namespace xpb {
struct Cfg {
  unsigned x, y, z;
  int union_n;         // 0 = Block, else N of UnionN
  int cores;           // coreDim (cores per cluster)
  int device_clusters; // clusters of the emulated device
};
void parse_launch(const char* text, Cfg* out);
Cfg host_cfg(cnrtDim3_t dim, int ktype);
void launch(const Cfg& cfg, void (*thunk)(void*), void* closure, const void* kernel);
}  // namespace xpb

template <class... P>
struct xpb_launcher {
  void (*k)(P...);
  xpb::Cfg cfg;
  template <class... A>
  void operator()(A&&... a) const {
    static_assert(sizeof...(A) == sizeof...(P), "kernel launched with the wrong number of arguments");
    struct Closure {
      void (*k)(P...);
      std::tuple<std::decay_t<P>...> args;
    } c{k, std::tuple<std::decay_t<P>...>(std::forward<A>(a)...)};
    xpb::launch(cfg, [](void* p) { auto* c = static_cast<Closure*>(p); std::apply(c->k, c->args); }, &c,
                reinterpret_cast<const void*>(k));
  }
};

// k<<<dim, ktype, queue>>>(args)  ->  xp_launch(k, dim, ktype, queue)(args). The launch runs at once; the
// queue only orders host calls, so cnrtQueueSync has nothing left to wait for.
template <class... P>
xpb_launcher<P...> xp_launch(void (*k)(P...), cnrtDim3_t dim, cnrtFunctionType_t ktype, cnrtQueue_t queue = nullptr) {
  (void)queue;
  return xpb_launcher<P...>{k, xpb::host_cfg(dim, int(ktype))};
}

// A bare kernel with the launch text "tasks=N [clusters=C cores=K] [type=...] [dim=X,Y,Z]".
template <class... P>
void xp_launch_entry(void (*k)(P...), void** args, const char* launch) {
  xpb::Cfg cfg;
  xpb::parse_launch(launch, &cfg);
  auto t = xp::bind_args(k, args);
  struct Closure {
    void (*k)(P...);
    decltype(t)* args;
  } c{k, &t};
  xpb::launch(cfg, [](void* p) { auto* c = static_cast<Closure*>(p); std::apply(c->k, *c->args); }, &c,
              reinterpret_cast<const void*>(k));
}

// ---------------------------------------------------------------- data movement
enum mluMemcpyDirection_t {
  GDRAM2NRAM, NRAM2GDRAM, GDRAM2WRAM, WRAM2GDRAM, NRAM2WRAM, WRAM2NRAM, GDRAM2SRAM, SRAM2GDRAM,
  SRAM2NRAM, NRAM2SRAM, SRAM2WRAM, WRAM2SRAM, NRAM2NRAM, GDRAM2GDRAM, SRAM2SRAM, WRAM2WRAM,
  GDRAM2LDRAM, LDRAM2GDRAM, NRAM2LDRAM, LDRAM2NRAM, SRAM2LDRAM, LDRAM2SRAM, WRAM2LDRAM, LDRAM2WRAM,
  LDRAM2LDRAM,
};

namespace xpb {
// geom = {dst_stride0, dst_segnum0, dst_stride1, dst_segnum1, src_stride0, src_segnum0, src_stride1, src_segnum1}
void memcpy_nd(void* dst, const void* src, xpb_cnt size, int dir, const long long* geom, int dst_cluster, bool async,
               const char* name, const xp_loc& loc);
void fill(void* dst, xpb_cnt n, const void* value, int esize, int space, const char* name, const xp_loc& loc);
void move(void* dst, const void* src, xpb_cnt size, const long long* geom, const char* name, const xp_loc& loc);
void barrier(int kind, const char* name, const xp_loc& loc);
void pipe_sync(int queues);
}  // namespace xpb

inline void __memcpy(void* dst, const void* src, xpb_cnt size, mluMemcpyDirection_t dir, xp_loc loc = xp_loc()) {
  xpb::memcpy_nd(dst, src, size, dir, nullptr, -1, false, "__memcpy", loc);
}
inline void __memcpy(void* dst, const void* src, xpb_cnt size, mluMemcpyDirection_t dir, int id_dst_cluster,
                     xp_loc loc = xp_loc()) {
  xpb::memcpy_nd(dst, src, size, dir, nullptr, id_dst_cluster, false, "__memcpy", loc);
}
inline void __memcpy(void* dst, const void* src, xpb_cnt size, mluMemcpyDirection_t dir, long long dst_stride,
                     long long src_stride, long long segnum, xp_loc loc = xp_loc()) {
  const long long g[8] = {dst_stride, segnum, 0, 0, src_stride, segnum, 0, 0};
  xpb::memcpy_nd(dst, src, size, dir, g, -1, false, "__memcpy", loc);
}
inline void __memcpy(void* dst, const void* src, xpb_cnt size, mluMemcpyDirection_t dir, long long dst_stride,
                     long long src_stride, long long segnum, int id_dst_cluster, xp_loc loc = xp_loc()) {
  const long long g[8] = {dst_stride, segnum, 0, 0, src_stride, segnum, 0, 0};
  xpb::memcpy_nd(dst, src, size, dir, g, id_dst_cluster, false, "__memcpy", loc);
}
inline void __memcpy(void* dst, const void* src, xpb_cnt size, mluMemcpyDirection_t dir, long long dst_stride0,
                     long long dst_segnum0, long long dst_stride1, long long dst_segnum1, long long src_stride0,
                     long long src_segnum0, long long src_stride1, long long src_segnum1, xp_loc loc = xp_loc()) {
  const long long g[8] = {dst_stride0, dst_segnum0, dst_stride1, dst_segnum1,
                          src_stride0, src_segnum0, src_stride1, src_segnum1};
  xpb::memcpy_nd(dst, src, size, dir, g, -1, false, "__memcpy", loc);
}
inline void __memcpy_async(void* dst, const void* src, xpb_cnt size, mluMemcpyDirection_t dir, xp_loc loc = xp_loc()) {
  xpb::memcpy_nd(dst, src, size, dir, nullptr, -1, true, "__memcpy_async", loc);
}
inline void __memcpy_async(void* dst, const void* src, xpb_cnt size, mluMemcpyDirection_t dir, long long dst_stride,
                           long long src_stride, long long segnum, xp_loc loc = xp_loc()) {
  const long long g[8] = {dst_stride, segnum, 0, 0, src_stride, segnum, 0, 0};
  xpb::memcpy_nd(dst, src, size, dir, g, -1, true, "__memcpy_async", loc);
}
inline void __memcpy_async(void* dst, const void* src, xpb_cnt size, mluMemcpyDirection_t dir,
                           long long dst_stride0, long long dst_segnum0, long long dst_stride1, long long dst_segnum1,
                           long long src_stride0, long long src_segnum0, long long src_stride1,
                           long long src_segnum1, xp_loc loc = xp_loc()) {
  const long long g[8] = {dst_stride0, dst_segnum0, dst_stride1, dst_segnum1,
                          src_stride0, src_segnum0, src_stride1, src_segnum1};
  xpb::memcpy_nd(dst, src, size, dir, g, -1, true, "__memcpy_async", loc);
}
// NRAM-to-NRAM move (3 and 6 arguments).
inline void __bang_move(void* dst, const void* src, xpb_cnt size, xp_loc loc = xp_loc()) {
  xpb::move(dst, src, size, nullptr, "__bang_move", loc);
}
inline void __bang_move(void* dst, const void* src, xpb_cnt size, long long dst_stride, long long src_stride,
                        long long segnum, xp_loc loc = xp_loc()) {
  const long long g[8] = {dst_stride, segnum, 0, 0, src_stride, segnum, 0, 0};
  xpb::move(dst, src, size, g, "__bang_move", loc);
}

// Fills. The element type is the type of `value` (a double value is taken as float).
enum { XPB_SPACE_GDRAM = 1, XPB_SPACE_NRAM = 2, XPB_SPACE_WRAM = 3, XPB_SPACE_SRAM = 4, XPB_SPACE_LDRAM = 5 };
template <class V>
inline void xpb_fill_value(void* dst, xpb_cnt n, V value, int space, const char* name, const xp_loc& loc) {
  static_assert(xpb_is_scalar<V>::value, "fill value must be a scalar");
  using E = std::conditional_t<std::is_same<V, double>::value || std::is_same<V, long double>::value, float,
                               std::conditional_t<std::is_same<V, bool>::value, char, V>>;
  E v = E(value);
  xpb::fill(dst, n, &v, int(sizeof(E)), space, name, loc);
}
#define XPB_FILL(NAME, SPACE)                                                                \
  template <class V, XPB_IF_SCALAR(V)>                                                       \
  inline void NAME(void* dst, xpb_cnt n, V value, xp_loc loc = xp_loc()) {                   \
    xpb_fill_value(dst, n, value, SPACE, #NAME, loc);                                        \
  }
XPB_FILL(__memset_nram, XPB_SPACE_NRAM)
XPB_FILL(__memset_nram_async, XPB_SPACE_NRAM)
XPB_FILL(__bang_write_value, XPB_SPACE_NRAM)
XPB_FILL(__nramset, XPB_SPACE_NRAM)
XPB_FILL(__nramset_async, XPB_SPACE_NRAM)
XPB_FILL(__sramset, XPB_SPACE_SRAM)
XPB_FILL(__sramset_async, XPB_SPACE_SRAM)
XPB_FILL(__gdramset, XPB_SPACE_GDRAM)
XPB_FILL(__ldramset, XPB_SPACE_LDRAM)
#undef XPB_FILL
inline void __nramset_half(half* d, xpb_cnt n, half v, xp_loc loc = xp_loc()) {
  xpb_fill_value(d, n, v, XPB_SPACE_NRAM, "__nramset_half", loc);
}
inline void __nramset_float(float* d, xpb_cnt n, float v, xp_loc loc = xp_loc()) {
  xpb_fill_value(d, n, v, XPB_SPACE_NRAM, "__nramset_float", loc);
}
inline void __nramset_int(int* d, xpb_cnt n, int v, xp_loc loc = xp_loc()) {
  xpb_fill_value(d, n, v, XPB_SPACE_NRAM, "__nramset_int", loc);
}
inline void __nramset_short(short* d, xpb_cnt n, short v, xp_loc loc = xp_loc()) {
  xpb_fill_value(d, n, v, XPB_SPACE_NRAM, "__nramset_short", loc);
}
// __bang_write_zero(dst, n): n elements of dst's type (bytes for a void* dst).
template <class T>
inline void __bang_write_zero(T* dst, xpb_cnt n, xp_loc loc = xp_loc()) {
  using E = std::conditional_t<std::is_void<T>::value, char, std::remove_cv_t<T>>;
  E z{};
  std::memset(static_cast<void*>(&z), 0, sizeof z);
  xpb::fill(dst, n, &z, int(sizeof(E)), XPB_SPACE_NRAM, "__bang_write_zero", loc);
}

// ---------------------------------------------------------------- synchronization
enum { XPB_BAR_CLUSTER = 1, XPB_BAR_ALL, XPB_BAR_ALL_IPU, XPB_BAR_ALL_MPU, XPB_BAR_IPU_IN_CLUSTER };
enum { XPB_Q_IO = 1, XPB_Q_MOVE = 2, XPB_Q_COMPUTE = 4 };
inline void __sync_cluster(xp_loc loc = xp_loc()) { xpb::barrier(XPB_BAR_CLUSTER, "__sync_cluster", loc); }
inline void __sync_all(xp_loc loc = xp_loc()) { xpb::barrier(XPB_BAR_ALL, "__sync_all", loc); }
inline void __sync_all_ipu(xp_loc loc = xp_loc()) { xpb::barrier(XPB_BAR_ALL_IPU, "__sync_all_ipu", loc); }
inline void __sync_all_mpu(xp_loc loc = xp_loc()) { xpb::barrier(XPB_BAR_ALL_MPU, "__sync_all_mpu", loc); }
inline void __sync_all_ipu_within_cluster(xp_loc loc = xp_loc()) {
  xpb::barrier(XPB_BAR_IPU_IN_CLUSTER, "__sync_all_ipu_within_cluster", loc);
}
// Pipeline waits. Copies are applied when issued (__memcpy_async included); these retire the bookkeeping
// that reports an async operand used before its wait.
inline void __sync_io(void) { xpb::pipe_sync(XPB_Q_IO); }
inline void __sync_move(void) { xpb::pipe_sync(XPB_Q_MOVE); }
inline void __sync_compute(void) { xpb::pipe_sync(XPB_Q_COMPUTE); }
inline void __sync(void) { xpb::pipe_sync(XPB_Q_IO | XPB_Q_MOVE | XPB_Q_COMPUTE); }
inline void __sync_io_move_compute(void) { xpb::pipe_sync(XPB_Q_IO | XPB_Q_MOVE | XPB_Q_COMPUTE); }
inline void __sync_io_move_compute(bool, bool, bool, bool, bool, bool) {
  xpb::pipe_sync(XPB_Q_IO | XPB_Q_MOVE | XPB_Q_COMPUTE);
}

// ---------------------------------------------------------------- vector intrinsics (xp_bang_ops.cpp)
// Operation codes shared with xp_bang_ops.cpp.
enum xpb_op {
  // binary / scalar / cycle
  XO_ADD, XO_SUB, XO_MUL, XO_DIV, XO_MAX, XO_MIN, XO_NAN_MAX, XO_NAN_MIN, XO_POW, XO_REM,
  XO_EQ, XO_NE, XO_GT, XO_GE, XO_LT, XO_LE, XO_AND, XO_OR, XO_XOR, XO_BAND, XO_BOR, XO_BXOR,
  XO_SLL, XO_SRL, XO_SRA,
  // unary
  XO_RELU, XO_SIGMOID, XO_TANH, XO_GELU, XO_EXP, XO_LN, XO_LOG2, XO_POW2, XO_SQRT, XO_RSQRT, XO_RECIP,
  XO_SIN, XO_COS, XO_ABS, XO_SIGN, XO_SQUARE, XO_FLOOR, XO_ROUND, XO_NEARBYINT, XO_NEG, XO_NOT, XO_BNOT,
  XO_SOFTPLUS, XO_COPY,
};
namespace xpb {
void unary(int op, int dt, void* d, const void* s, xpb_cnt n, const char* name, const xp_loc& loc);
void binary(int op, int dt, void* d, const void* a, const void* b, xpb_cnt n, const char* name, const xp_loc& loc);
void scalar(int op, int dt, void* d, const void* a, double s, xpb_cnt n, const char* name, const xp_loc& loc);
void cycle(int op, int dt, void* d, const void* a, const void* seg, xpb_cnt n, xpb_cnt segn, const char* name,
           const xp_loc& loc);
void div_workspace(int dt, void* d, const void* a, const void* b, const void* work, xpb_cnt n, const xp_loc& loc);
void fusion(int code, int dt, void* d, const void* a, const void* b, bool b_vec, double bs, const void* c,
            bool c_vec, double cs, xpb_cnt n, xpb_cnt segn, const xp_loc& loc);
}  // namespace xpb

#define XPB_UNARY(NAME, OP)                                                     \
  template <class T>                                                           \
  inline void NAME(T* d, const T* s, xpb_cnt n, xp_loc loc = xp_loc()) {       \
    xpb::unary(OP, xpb_dt<T>(), d, s, n, #NAME, loc);                          \
  }
#define XPB_BINARY(NAME, OP)                                                        \
  template <class T>                                                               \
  inline void NAME(T* d, const T* a, const T* b, xpb_cnt n, xp_loc loc = xp_loc()) { \
    xpb::binary(OP, xpb_dt<T>(), d, a, b, n, #NAME, loc);                          \
  }
#define XPB_SCALAR(NAME, OP)                                                       \
  template <class T, class S, XPB_IF_SCALAR(S)>                                   \
  inline void NAME(T* d, const T* a, S s, xpb_cnt n, xp_loc loc = xp_loc()) {     \
    xpb::scalar(OP, xpb_dt<T>(), d, a, double(s), n, #NAME, loc);                 \
  }
#define XPB_CYCLE(NAME, OP)                                                                       \
  template <class T>                                                                             \
  inline void NAME(T* d, const T* s, const T* seg, xpb_cnt n, xpb_cnt segn, xp_loc loc = xp_loc()) { \
    xpb::cycle(OP, xpb_dt<T>(), d, s, seg, n, segn, #NAME, loc);                                 \
  }

// Element-wise binary (dst, src0, src1, count); scalar forms (dst, src, value, count); `_const` = `_scalar`.
XPB_BINARY(__bang_add, XO_ADD)
XPB_BINARY(__bang_sub, XO_SUB)
XPB_BINARY(__bang_mul, XO_MUL)
XPB_BINARY(__bang_maxequal, XO_MAX)
XPB_BINARY(__bang_minequal, XO_MIN)
XPB_BINARY(__bang_maximum, XO_MAX)
XPB_BINARY(__bang_minimum, XO_MIN)
XPB_BINARY(__bang_nan_maximum, XO_NAN_MAX)
XPB_BINARY(__bang_nan_minimum, XO_NAN_MIN)
XPB_BINARY(__bang_pow, XO_POW)
XPB_BINARY(__bang_eq, XO_EQ)
XPB_BINARY(__bang_ne, XO_NE)
XPB_BINARY(__bang_gt, XO_GT)
XPB_BINARY(__bang_ge, XO_GE)
XPB_BINARY(__bang_lt, XO_LT)
XPB_BINARY(__bang_le, XO_LE)
XPB_BINARY(__bang_and, XO_AND)
XPB_BINARY(__bang_or, XO_OR)
XPB_BINARY(__bang_xor, XO_XOR)
XPB_BINARY(__bang_band, XO_BAND)
XPB_BINARY(__bang_bor, XO_BOR)
XPB_BINARY(__bang_bxor, XO_BXOR)
// __bang_div: (dst, src0, src1, n), (dst, src0, scalar, n) and the MLU270 form with a workspace
// (dst, src0, src1, src_addition, n); the workspace must be a valid NRAM vector of n elements (clobbered).
XPB_BINARY(__bang_div, XO_DIV)
XPB_SCALAR(__bang_div, XO_DIV)
template <class T>
inline void __bang_div(T* d, const T* a, const T* b, T* addition, xpb_cnt n, xp_loc loc = xp_loc()) {
  xpb::div_workspace(xpb_dt<T>(), d, a, b, addition, n, loc);
}
XPB_BINARY(__bang_rem, XO_REM)
XPB_SCALAR(__bang_rem, XO_REM)

XPB_SCALAR(__bang_add_scalar, XO_ADD)
XPB_SCALAR(__bang_sub_scalar, XO_SUB)
XPB_SCALAR(__bang_mul_scalar, XO_MUL)
XPB_SCALAR(__bang_div_scalar, XO_DIV)
XPB_SCALAR(__bang_maxeq_scalar, XO_MAX)
XPB_SCALAR(__bang_mineq_scalar, XO_MIN)
XPB_SCALAR(__bang_maximum_scalar, XO_MAX)
XPB_SCALAR(__bang_minimum_scalar, XO_MIN)
XPB_SCALAR(__bang_nan_maximum_scalar, XO_NAN_MAX)
XPB_SCALAR(__bang_nan_minimum_scalar, XO_NAN_MIN)
XPB_SCALAR(__bang_eq_scalar, XO_EQ)
XPB_SCALAR(__bang_ne_scalar, XO_NE)
XPB_SCALAR(__bang_gt_scalar, XO_GT)
XPB_SCALAR(__bang_ge_scalar, XO_GE)
XPB_SCALAR(__bang_lt_scalar, XO_LT)
XPB_SCALAR(__bang_le_scalar, XO_LE)
XPB_SCALAR(__bang_and_scalar, XO_AND)
XPB_SCALAR(__bang_or_scalar, XO_OR)
XPB_SCALAR(__bang_xor_scalar, XO_XOR)
XPB_SCALAR(__bang_band_scalar, XO_BAND)
XPB_SCALAR(__bang_bor_scalar, XO_BOR)
XPB_SCALAR(__bang_bxor_scalar, XO_BXOR)
XPB_SCALAR(__bang_add_const, XO_ADD)
XPB_SCALAR(__bang_sub_const, XO_SUB)
XPB_SCALAR(__bang_mul_const, XO_MUL)
XPB_SCALAR(__bang_div_const, XO_DIV)
XPB_SCALAR(__bang_eq_const, XO_EQ)
XPB_SCALAR(__bang_ne_const, XO_NE)
XPB_SCALAR(__bang_gt_const, XO_GT)
XPB_SCALAR(__bang_ge_const, XO_GE)
XPB_SCALAR(__bang_lt_const, XO_LT)
XPB_SCALAR(__bang_le_const, XO_LE)
// Shifts (dst, src, bits, count).
XPB_SCALAR(__bang_sll, XO_SLL)
XPB_SCALAR(__bang_srl, XO_SRL)
XPB_SCALAR(__bang_sra, XO_SRA)

// Cycle ops (dst, src, seg, src_count, seg_count): y[i] = x[i] op seg[i % seg_count].
XPB_CYCLE(__bang_cycle_add, XO_ADD)
XPB_CYCLE(__bang_cycle_sub, XO_SUB)
XPB_CYCLE(__bang_cycle_mul, XO_MUL)
XPB_CYCLE(__bang_cycle_div, XO_DIV)
XPB_CYCLE(__bang_cycle_maxequal, XO_MAX)
XPB_CYCLE(__bang_cycle_minequal, XO_MIN)
XPB_CYCLE(__bang_cycle_maximum, XO_MAX)
XPB_CYCLE(__bang_cycle_minimum, XO_MIN)
XPB_CYCLE(__bang_cycle_eq, XO_EQ)
XPB_CYCLE(__bang_cycle_ne, XO_NE)
XPB_CYCLE(__bang_cycle_gt, XO_GT)
XPB_CYCLE(__bang_cycle_ge, XO_GE)
XPB_CYCLE(__bang_cycle_lt, XO_LT)
XPB_CYCLE(__bang_cycle_le, XO_LE)
XPB_CYCLE(__bang_cycle_and, XO_AND)
XPB_CYCLE(__bang_cycle_or, XO_OR)
XPB_CYCLE(__bang_cycle_xor, XO_XOR)
XPB_CYCLE(__bang_cycle_band, XO_BAND)
XPB_CYCLE(__bang_cycle_bor, XO_BOR)
XPB_CYCLE(__bang_cycle_bxor, XO_BXOR)

// Unary math (dst, src, count). Computed exactly (double precision, rounded once to the element type);
// the activation-unit `active` forms are approximations on the hardware.
XPB_UNARY(__bang_active_relu, XO_RELU)
XPB_UNARY(__bang_relu, XO_RELU)
XPB_UNARY(__bang_active_sigmoid, XO_SIGMOID)
XPB_UNARY(__bang_sigmoid, XO_SIGMOID)
XPB_UNARY(__bang_active_tanh, XO_TANH)
XPB_UNARY(__bang_tanh, XO_TANH)
XPB_UNARY(__bang_active_gelu, XO_GELU)
XPB_UNARY(__bang_active_gelup, XO_GELU)
XPB_UNARY(__bang_gelu, XO_GELU)
XPB_UNARY(__bang_active_exp, XO_EXP)
XPB_UNARY(__bang_active_exphp, XO_EXP)
XPB_UNARY(__bang_active_exp_less_0, XO_EXP)
XPB_UNARY(__bang_exp, XO_EXP)
XPB_UNARY(__bang_active_log, XO_LN)
XPB_UNARY(__bang_active_loghp, XO_LN)
XPB_UNARY(__bang_log, XO_LOG2)  // the guide: "binary logarithm"; mlu-ops multiplies it by ln 2 to get ln
XPB_UNARY(__bang_log2, XO_LOG2)
XPB_UNARY(__bang_active_pow2, XO_POW2)
XPB_UNARY(__bang_pow2, XO_POW2)
XPB_UNARY(__bang_active_sqrt, XO_SQRT)
XPB_UNARY(__bang_active_sqrthp, XO_SQRT)
XPB_UNARY(__bang_sqrt, XO_SQRT)
XPB_UNARY(__bang_active_rsqrt, XO_RSQRT)
XPB_UNARY(__bang_active_rsqrthp, XO_RSQRT)
XPB_UNARY(__bang_rsqrt, XO_RSQRT)
XPB_UNARY(__bang_active_recip, XO_RECIP)
XPB_UNARY(__bang_active_reciphp, XO_RECIP)
XPB_UNARY(__bang_active_recip_greater_1, XO_RECIP)
XPB_UNARY(__bang_recip, XO_RECIP)
XPB_UNARY(__bang_active_sin, XO_SIN)
XPB_UNARY(__bang_sin, XO_SIN)
XPB_UNARY(__bang_active_cos, XO_COS)
XPB_UNARY(__bang_cos, XO_COS)
XPB_UNARY(__bang_active_abs, XO_ABS)
XPB_UNARY(__bang_abs, XO_ABS)
XPB_UNARY(__bang_active_sign, XO_SIGN)
XPB_UNARY(__bang_square, XO_SQUARE)
XPB_UNARY(__bang_floor, XO_FLOOR)
XPB_UNARY(__bang_round, XO_ROUND)
XPB_UNARY(__bang_nearbyint, XO_NEARBYINT)
XPB_UNARY(__bang_neg, XO_NEG)
XPB_UNARY(__bang_not, XO_NOT)
XPB_UNARY(__bang_bnot, XO_BNOT)
XPB_UNARY(__bang_taylor3_sin, XO_SIN)
XPB_UNARY(__bang_taylor4_sin, XO_SIN)
XPB_UNARY(__bang_taylor3_cos, XO_COS)
XPB_UNARY(__bang_taylor4_cos, XO_COS)
XPB_UNARY(__bang_taylor3_tanh, XO_TANH)
XPB_UNARY(__bang_taylor4_tanh, XO_TANH)
XPB_UNARY(__bang_taylor3_sigmoid, XO_SIGMOID)
XPB_UNARY(__bang_taylor4_sigmoid, XO_SIGMOID)
XPB_UNARY(__bang_taylor3_softplus, XO_SOFTPLUS)
XPB_UNARY(__bang_taylor4_softplus, XO_SOFTPLUS)
// Comparisons to a bit mask: bit i of dst (MSB first in each byte) is (src0[i] op src1[i]).
namespace xpb {
void cmp_bits(int op, int dt, void* d, const void* a, const void* b, xpb_cnt n, const char* name, const xp_loc& loc);
}
#define XPB_CMP_BITS(NAME, OP)                                                        \
  template <class T>                                                                 \
  inline void NAME(T* d, const T* a, const T* b, xpb_cnt n, xp_loc loc = xp_loc()) { \
    xpb::cmp_bits(OP, xpb_dt<T>(), d, a, b, n, #NAME, loc);                          \
  }
XPB_CMP_BITS(__bang_eq_bitindex, XO_EQ)
XPB_CMP_BITS(__bang_ne_bitindex, XO_NE)
XPB_CMP_BITS(__bang_gt_bitindex, XO_GT)
XPB_CMP_BITS(__bang_ge_bitindex, XO_GE)
XPB_CMP_BITS(__bang_lt_bitindex, XO_LT)
XPB_CMP_BITS(__bang_le_bitindex, XO_LE)
#undef XPB_CMP_BITS
#undef XPB_UNARY
#undef XPB_BINARY
#undef XPB_SCALAR
#undef XPB_CYCLE

// __bang_fusion(op, dst, src0, src1, src2, count[, seg_count]); src1/src2 may be scalars.
enum mluFusionOpCode { FUSION_FMA, FUSION_FMS, FUSION_FAM, FUSION_FSM, FUSION_FAA, FUSION_FAS, FUSION_FSS, FUSION_FSA };
template <class T, class B, class C>
inline void __bang_fusion(mluFusionOpCode op, T* d, const T* a, B b, C c, xpb_cnt n, xpb_cnt segn = -1,
                          xp_loc loc = xp_loc()) {
  constexpr bool bv = std::is_pointer<B>::value, cv = std::is_pointer<C>::value;
  static_assert(bv || xpb_is_scalar<B>::value, "src1 must be a vector or a scalar");
  static_assert(cv || xpb_is_scalar<C>::value, "src2 must be a vector or a scalar");
  const void* bp = nullptr;
  const void* cp = nullptr;
  double bs = 0, cs = 0;
  if constexpr (bv) bp = b; else bs = double(b);
  if constexpr (cv) cp = c; else cs = double(c);
  xpb::fusion(int(op), xpb_dt<T>(), d, a, bp, bv, bs, cp, cv, cs, n, segn < 0 ? n : segn, loc);
}

// ---------------------------------------------------------------- reductions, search, selection
namespace xpb {
void reduce_sum(int dt, void* d, const void* s, xpb_cnt n, const char* name, const xp_loc& loc);
void arg_extreme(int dt, void* d, const void* s, xpb_cnt n, bool is_max, const char* name, const xp_loc& loc);
unsigned count(int dt, const void* s, xpb_cnt n, bool bits, const char* name, const xp_loc& loc);
unsigned find1(int dt, const void* s, xpb_cnt n, bool last, const char* name, const xp_loc& loc);
unsigned select(int dt, void* d, const void* s, const void* mask, int mask_dt, xpb_cnt n, bool bitmask,
                const char* name, const xp_loc& loc);
void maskmove(int dt, void* d, const void* s, const void* mask, xpb_cnt n, bool bitmask, const char* name,
              const xp_loc& loc);
void lut(int dt, void* d, int idx_dt, const void* idx, const void* table, xpb_cnt n, xpb_cnt table_len,
         const char* name, const xp_loc& loc);
void incseq(int dt, void* d, xpb_cnt n, const xp_loc& loc);
void rand16(short* d, xpb_cnt n, const xp_loc& loc);
}  // namespace xpb

// __bang_reduce_sum: the first element of every 128-byte block of dst receives the sum of that block of src;
// the other elements are left unchanged (MLU3xx; MLU2xx zeroes them).
template <class T>
inline void __bang_reduce_sum(T* d, const T* s, xpb_cnt n, xp_loc loc = xp_loc()) {
  xpb::reduce_sum(xpb_dt<T>(), d, s, n, "__bang_reduce_sum", loc);
}
template <class T>  // [?] older name, assumed to have the same block-sum semantics
inline void __bang_sum(T* d, const T* s, xpb_cnt n, xp_loc loc = xp_loc()) {
  xpb::reduce_sum(xpb_dt<T>(), d, s, n, "__bang_sum", loc);
}
// Max/min with index: dst receives the value, then the index (uint32) right after it (byte offset sizeof(T)).
template <class T>
inline void __bang_argmax(T* d, const T* s, xpb_cnt n, xp_loc loc = xp_loc()) {
  xpb::arg_extreme(xpb_dt<T>(), d, s, n, true, "__bang_argmax", loc);
}
template <class T>
inline void __bang_argmin(T* d, const T* s, xpb_cnt n, xp_loc loc = xp_loc()) {
  xpb::arg_extreme(xpb_dt<T>(), d, s, n, false, "__bang_argmin", loc);
}
template <class T>
inline void __bang_max(T* d, const T* s, xpb_cnt n, xp_loc loc = xp_loc()) {
  xpb::arg_extreme(xpb_dt<T>(), d, s, n, true, "__bang_max", loc);
}
template <class T>
inline void __bang_min(T* d, const T* s, xpb_cnt n, xp_loc loc = xp_loc()) {
  xpb::arg_extreme(xpb_dt<T>(), d, s, n, false, "__bang_min", loc);
}
// Counting / searching: the 3.x form returns the result; the 2xx form writes it to dst[0] (uint32).
template <class T>
inline unsigned __bang_count(const T* s, xpb_cnt n, xp_loc loc = xp_loc()) {
  return xpb::count(xpb_dt<T>(), s, n, false, "__bang_count", loc);
}
template <class T>
inline void __bang_count(unsigned* d, const T* s, xpb_cnt n, xp_loc loc = xp_loc()) {
  unsigned v = xpb::count(xpb_dt<T>(), s, n, false, "__bang_count", loc);
  xpb::fill(d, 1, &v, 4, XPB_SPACE_NRAM, "__bang_count", loc);
}
template <class T>
inline unsigned __bang_count_bitindex(const T* s, xpb_cnt n, xp_loc loc = xp_loc()) {
  return xpb::count(xpb_dt<T>(), s, n, true, "__bang_count_bitindex", loc);
}
template <class T>
inline unsigned __bang_findfirst1(const T* s, xpb_cnt n, xp_loc loc = xp_loc()) {
  return xpb::find1(xpb_dt<T>(), s, n, false, "__bang_findfirst1", loc);
}
template <class T>
inline unsigned __bang_findlast1(const T* s, xpb_cnt n, xp_loc loc = xp_loc()) {
  return xpb::find1(xpb_dt<T>(), s, n, true, "__bang_findlast1", loc);
}
template <class T>
inline void __bang_findfirst1(unsigned* d, const T* s, xpb_cnt n, xp_loc loc = xp_loc()) {
  unsigned v = xpb::find1(xpb_dt<T>(), s, n, false, "__bang_findfirst1", loc);
  xpb::fill(d, 1, &v, 4, XPB_SPACE_NRAM, "__bang_findfirst1", loc);
}
template <class T>
inline void __bang_findlast1(unsigned* d, const T* s, xpb_cnt n, xp_loc loc = xp_loc()) {
  unsigned v = xpb::find1(xpb_dt<T>(), s, n, true, "__bang_findlast1", loc);
  xpb::fill(d, 1, &v, 4, XPB_SPACE_NRAM, "__bang_findlast1", loc);
}
// Compaction: the elements of src whose mask is non-zero, packed to the front of dst. __bang_filter returns
// their number. [?] __bang_select is taken to pack exactly like __bang_collect (no count written).
// `_bitindex` masks: bit i of the mask is bit (7 - i%8) of byte i/8 (MSB first, as __bang_bexpand shows).
template <class T, class M>
inline void __bang_collect(T* d, const T* s, const M* mask, xpb_cnt n, xp_loc loc = xp_loc()) {
  xpb::select(xpb_dt<T>(), d, s, mask, xpb_dt<M>(), n, false, "__bang_collect", loc);
}
template <class T, class M>
inline void __bang_select(T* d, const T* s, const M* mask, xpb_cnt n, xp_loc loc = xp_loc()) {
  xpb::select(xpb_dt<T>(), d, s, mask, xpb_dt<M>(), n, false, "__bang_select", loc);
}
template <class T, class M>
inline unsigned __bang_filter(T* d, const T* s, const M* mask, xpb_cnt n, xp_loc loc = xp_loc()) {
  return xpb::select(xpb_dt<T>(), d, s, mask, xpb_dt<M>(), n, false, "__bang_filter", loc);
}
template <class T>
inline void __bang_collect_bitindex(T* d, const T* s, const void* mask, xpb_cnt n, xp_loc loc = xp_loc()) {
  xpb::select(xpb_dt<T>(), d, s, mask, XP_U8, n, true, "__bang_collect_bitindex", loc);
}
template <class T>
inline void __bang_select_bitindex(T* d, const T* s, const void* mask, xpb_cnt n, xp_loc loc = xp_loc()) {
  xpb::select(xpb_dt<T>(), d, s, mask, XP_U8, n, true, "__bang_select_bitindex", loc);
}
template <class T>
inline unsigned __bang_filter_bitindex(T* d, const T* s, const void* mask, xpb_cnt n, xp_loc loc = xp_loc()) {
  return xpb::select(xpb_dt<T>(), d, s, mask, XP_U8, n, true, "__bang_filter_bitindex", loc);
}
// __bang_maskmove: where mask[i] != 0, dst[i] = src[i]; elsewhere dst is unchanged.
template <class T, class M>
inline void __bang_maskmove(T* d, const T* s, const M* mask, xpb_cnt n, xp_loc loc = xp_loc()) {
  static_assert(sizeof(M) == sizeof(T), "__bang_maskmove: mask elements have the size of the data elements");
  xpb::maskmove(xpb_dt<T>(), d, s, mask, n, false, "__bang_maskmove", loc);
}
template <class T>
inline void __bang_maskmove_bitindex(T* d, const T* s, const void* mask, xpb_cnt n, xp_loc loc = xp_loc()) {
  xpb::maskmove(xpb_dt<T>(), d, s, mask, n, true, "__bang_maskmove_bitindex", loc);
}
// __bang_lut(dst, index, table, count, table_length): dst[i] = table[index[i]]; unchanged if out of range.
template <class T, class I>
inline void __bang_lut(T* d, const I* idx, const T* table, xpb_cnt n, xpb_cnt table_len, xp_loc loc = xp_loc()) {
  xpb::lut(xpb_dt<T>(), d, xpb_dt<I>(), idx, table, n, table_len, "__bang_lut", loc);
}
template <class T, class I>
inline void __bang_lut_s16(T* d, const I* idx, const T* table, xpb_cnt n, xpb_cnt table_len, xp_loc loc = xp_loc()) {
  xpb::lut(xpb_dt<T>(), d, xpb_dt<I>(), idx, table, n, table_len, "__bang_lut_s16", loc);
}
template <class T, class I>
inline void __bang_lut_s32(T* d, const I* idx, const T* table, xpb_cnt n, xpb_cnt table_len, xp_loc loc = xp_loc()) {
  xpb::lut(xpb_dt<T>(), d, xpb_dt<I>(), idx, table, n, table_len, "__bang_lut_s32", loc);
}
template <class T>
inline void __bang_incseq(T* d, xpb_cnt n, xp_loc loc = xp_loc()) {
  xpb::incseq(xpb_dt<T>(), d, n, loc);
}
inline void __bang_rand(short* d, xpb_cnt n, xp_loc loc = xp_loc()) { xpb::rand16(d, n, loc); }

// ---------------------------------------------------------------- pooling (HWC, no padding)
enum { XPB_POOL_MAX, XPB_POOL_MIN, XPB_POOL_AVG, XPB_POOL_SUM };
namespace xpb {
// kind: XPB_POOL_*; index: 0 values, 1 index only, 2 values then indices at value_index_stride bytes
void pool(int kind, int index, int dt, void* d, int idx_dt, const void* s, xpb_cnt c, xpb_cnt h, xpb_cnt w, xpb_cnt kh,
          xpb_cnt kw, xpb_cnt sx, xpb_cnt sy, xpb_cnt value_index_stride, const char* name, const xp_loc& loc);
}
// (dst, src, channel, height, width, kernel_h, kernel_w[, stride_x (width step), stride_y (height step)])
#define XPB_POOL(NAME, KIND)                                                                                 \
  template <class T>                                                                                        \
  inline void NAME(T* d, const T* s, xpb_cnt c, xpb_cnt h, xpb_cnt w, xpb_cnt kh, xpb_cnt kw,                \
                   xp_loc loc = xp_loc()) {                                                                  \
    xpb::pool(KIND, 0, xpb_dt<T>(), d, 0, s, c, h, w, kh, kw, kw, kh, 0, #NAME, loc);                       \
  }                                                                                                         \
  template <class T>                                                                                        \
  inline void NAME(T* d, const T* s, xpb_cnt c, xpb_cnt h, xpb_cnt w, xpb_cnt kh, xpb_cnt kw, xpb_cnt sx,    \
                   xpb_cnt sy, xp_loc loc = xp_loc()) {                                                      \
    xpb::pool(KIND, 0, xpb_dt<T>(), d, 0, s, c, h, w, kh, kw, sx, sy, 0, #NAME, loc);                       \
  }
XPB_POOL(__bang_maxpool, XPB_POOL_MAX)
XPB_POOL(__bang_minpool, XPB_POOL_MIN)
XPB_POOL(__bang_avgpool, XPB_POOL_AVG)
XPB_POOL(__bang_sumpool, XPB_POOL_SUM)
#undef XPB_POOL
// Index of the first extreme inside the window, row-major over kh x kw (window-relative [?]).
#define XPB_POOL_INDEX(NAME, KIND)                                                                             \
  template <class I, class T>                                                                                 \
  inline void NAME(I* d, const T* s, xpb_cnt c, xpb_cnt h, xpb_cnt w, xpb_cnt kh, xpb_cnt kw,                  \
                   xp_loc loc = xp_loc()) {                                                                    \
    xpb::pool(KIND, 1, xpb_dt<T>(), d, xpb_dt<I>(), s, c, h, w, kh, kw, kw, kh, 0, #NAME, loc);               \
  }                                                                                                           \
  template <class I, class T>                                                                                 \
  inline void NAME(I* d, const T* s, xpb_cnt c, xpb_cnt h, xpb_cnt w, xpb_cnt kh, xpb_cnt kw, xpb_cnt sx,      \
                   xpb_cnt sy, xp_loc loc = xp_loc()) {                                                        \
    xpb::pool(KIND, 1, xpb_dt<T>(), d, xpb_dt<I>(), s, c, h, w, kh, kw, sx, sy, 0, #NAME, loc);               \
  }
XPB_POOL_INDEX(__bang_maxpool_index, XPB_POOL_MAX)
XPB_POOL_INDEX(__bang_minpool_index, XPB_POOL_MIN)
#undef XPB_POOL_INDEX
template <class T>
inline void __bang_maxpool_value_index(T* d, const T* s, xpb_cnt c, xpb_cnt h, xpb_cnt w, xpb_cnt kh, xpb_cnt kw,
                                       xpb_cnt sx, xpb_cnt sy, xpb_cnt value_index_stride, xp_loc loc = xp_loc()) {
  xpb::pool(XPB_POOL_MAX, 2, xpb_dt<T>(), d, sizeof(T) == 2 ? XP_U16 : XP_U32, s, c, h, w, kh, kw, sx, sy,
            value_index_stride, "__bang_maxpool_value_index", loc);
}
template <class T>
inline void __bang_minpool_value_index(T* d, const T* s, xpb_cnt c, xpb_cnt h, xpb_cnt w, xpb_cnt kh, xpb_cnt kw,
                                       xpb_cnt sx, xpb_cnt sy, xpb_cnt value_index_stride, xp_loc loc = xp_loc()) {
  xpb::pool(XPB_POOL_MIN, 2, xpb_dt<T>(), d, sizeof(T) == 2 ? XP_U16 : XP_U32, s, c, h, w, kh, kw, sx, sy,
            value_index_stride, "__bang_minpool_value_index", loc);
}

// ---------------------------------------------------------------- layout
enum { XPB_L_TRANSPOSE, XPB_L_ROT90, XPB_L_ROT180, XPB_L_ROT270, XPB_L_MIRROR };
namespace xpb {
void layout(int kind, int esize, void* d, const void* s, xpb_cnt h, xpb_cnt w, const char* name, const xp_loc& loc);
void pad(int esize, void* d, const void* s, xpb_cnt c, xpb_cnt h, xpb_cnt w, xpb_cnt top, xpb_cnt bottom,
         xpb_cnt left, xpb_cnt right, const xp_loc& loc);
}  // namespace xpb
#define XPB_LAYOUT(NAME, KIND)                                                        \
  template <class T>                                                                 \
  inline void NAME(T* d, const T* s, xpb_cnt h, xpb_cnt w, xp_loc loc = xp_loc()) {  \
    xpb::layout(KIND, int(sizeof(T)), d, s, h, w, #NAME, loc);                       \
  }
XPB_LAYOUT(__bang_transpose, XPB_L_TRANSPOSE)  // src [h][w] row-major -> dst [w][h]
XPB_LAYOUT(__bang_rotate90, XPB_L_ROT90)       // clockwise
XPB_LAYOUT(__bang_rotate180, XPB_L_ROT180)
XPB_LAYOUT(__bang_rotate270, XPB_L_ROT270)
XPB_LAYOUT(__bang_mirror, XPB_L_MIRROR)        // flip along W
#undef XPB_LAYOUT
// Reshapes of a 4-D tensor (n, h, w, c as NHWC extents). __bang_reshape_filter converts a filter
// [n][h][w][c] to the hardware's WRAM interleave; WRAM is modelled logically here, so it is a copy.
enum { XPB_R_FILTER, XPB_R_NHWC2NCHW, XPB_R_NCHW2NHWC };
namespace xpb {
void reshape(int kind, int esize, void* d, const void* s, xpb_cnt n, xpb_cnt h, xpb_cnt w, xpb_cnt c, const char* name,
             const xp_loc& loc);
}
#define XPB_RESHAPE(NAME, KIND)                                                                              \
  template <class T>                                                                                        \
  inline void NAME(T* d, const T* s, xpb_cnt n, xpb_cnt h, xpb_cnt w, xpb_cnt c, xp_loc loc = xp_loc()) {   \
    xpb::reshape(KIND, int(sizeof(T)), d, s, n, h, w, c, #NAME, loc);                                       \
  }
XPB_RESHAPE(__bang_reshape_filter, XPB_R_FILTER)
XPB_RESHAPE(__bang_reshape_nhwc2nchw, XPB_R_NHWC2NCHW)  // dst [n][c][h][w] from src [n][h][w][c]
XPB_RESHAPE(__bang_reshape_nchw2nhwc, XPB_R_NCHW2NHWC)  // dst [n][h][w][c] from src [n][c][h][w]
#undef XPB_RESHAPE
// Zero padding of an HWC tensor: (dst, src, C, H, W, pad_h, pad_w) or (..., top, bottom, left, right).
template <class T>
inline void __bang_pad(T* d, const T* s, xpb_cnt c, xpb_cnt h, xpb_cnt w, xpb_cnt ph, xpb_cnt pw, xp_loc loc = xp_loc()) {
  xpb::pad(int(sizeof(T)), d, s, c, h, w, ph, ph, pw, pw, loc);
}
template <class T>
inline void __bang_pad(T* d, const T* s, xpb_cnt c, xpb_cnt h, xpb_cnt w, xpb_cnt top, xpb_cnt bottom, xpb_cnt left,
                       xpb_cnt right, xp_loc loc = xp_loc()) {
  xpb::pad(int(sizeof(T)), d, s, c, h, w, top, bottom, left, right, loc);
}

// ---------------------------------------------------------------- tensor unit (filter/weights in WRAM)
namespace xpb {
void conv(int ddt, void* d, int sdt, const void* s, int kdt, const void* k, const void* bias, xpb_cnt ci, xpb_cnt h,
          xpb_cnt w, xpb_cnt kh, xpb_cnt kw, xpb_cnt sx, xpb_cnt sy, xpb_cnt co, int pos, const xp_loc& loc);
void mlp(int ddt, void* d, int sdt, const void* s, const void* bias, int wdt, const void* wt, xpb_cnt height,
         xpb_cnt width, int pos, const xp_loc& loc);
void matmul(int ddt, void* d, int ldt, const void* lhs, int rdt, const void* rhs, xpb_cnt m, xpb_cnt k, xpb_cnt n,
            int pos, const xp_loc& loc);
}  // namespace xpb
// __bang_conv(dst, src, kernel, [bias,] ci, h, w, kh, kw, stride_w, stride_h, co[, fix_position]):
// src [h][w][ci] (NRAM), kernel [co][kh][kw][ci] (WRAM), dst [oh][ow][co] (NRAM), valid convolution.
template <class D, class S, class K>
inline void __bang_conv(D* d, const S* s, const K* k, xpb_cnt ci, xpb_cnt h, xpb_cnt w, xpb_cnt kh, xpb_cnt kw,
                        xpb_cnt sx, xpb_cnt sy, xpb_cnt co, int fix_position = 0, xp_loc loc = xp_loc()) {
  xpb::conv(xpb_dt<D>(), d, xpb_dt<S>(), s, xpb_dt<K>(), k, nullptr, ci, h, w, kh, kw, sx, sy, co, fix_position, loc);
}
template <class D, class S, class K>
inline void __bang_conv(D* d, const S* s, const K* k, const D* bias, xpb_cnt ci, xpb_cnt h, xpb_cnt w, xpb_cnt kh,
                        xpb_cnt kw, xpb_cnt sx, xpb_cnt sy, xpb_cnt co, int fix_position = 0, xp_loc loc = xp_loc()) {
  xpb::conv(xpb_dt<D>(), d, xpb_dt<S>(), s, xpb_dt<K>(), k, bias, ci, h, w, kh, kw, sx, sy, co, fix_position, loc);
}
// __bang_mlp(dst, src, [bias,] filter, height, width[, fix_position]), as the developer guide states it:
// filter is a row-major [height][width] matrix in WRAM, src a vector of `width` elements, dst (and bias) of
// `height` elements: dst[h] = sum_w filter[h][w] * src[w] (+ bias[h]), times 2^fix_position.
template <class D, class S, class W>
inline void __bang_mlp(D* d, const S* s, const W* filter, xpb_cnt height, xpb_cnt width, int fix_position = 0,
                       xp_loc loc = xp_loc()) {
  xpb::mlp(xpb_dt<D>(), d, xpb_dt<S>(), s, nullptr, xpb_dt<W>(), filter, height, width, fix_position, loc);
}
template <class D, class S, class W>
inline void __bang_mlp(D* d, const S* s, const D* bias, const W* filter, xpb_cnt height, xpb_cnt width,
                       int fix_position = 0, xp_loc loc = xp_loc()) {
  xpb::mlp(xpb_dt<D>(), d, xpb_dt<S>(), s, bias, xpb_dt<W>(), filter, height, width, fix_position, loc);
}
// __bang_matmul(dst, lhs, rhs, M, K, N[, fix_position]): lhs [M][K] (NRAM) times rhs (WRAM), dst [M][N]
// (NRAM). rhs is [K][N] row-major, or [N][K] with XP_BANG_MATMUL_RHS=nk (see dialect.py, MATMUL_RHS_DEFAULT).
template <class D, class L, class R>
inline void __bang_matmul(D* d, const L* lhs, const R* rhs, xpb_cnt m, xpb_cnt k, xpb_cnt n, int fix_position = 0,
                          xp_loc loc = xp_loc()) {
  xpb::matmul(xpb_dt<D>(), d, xpb_dt<L>(), lhs, xpb_dt<R>(), rhs, m, k, n, fix_position, loc);
}

// ---------------------------------------------------------------- type conversion
// Rounding: rn nearest-even, tz toward zero, oz away from zero, up toward +inf, dn toward -inf,
// rd nearest with ties away from zero ("round-nearest-off-zero"), rm [?] "round-math", taken as ties up.
enum { XPB_RN, XPB_TZ, XPB_OZ, XPB_UP, XPB_DN, XPB_RD, XPB_RM };
namespace xpb {
// Fixed point: an integer destination holds round(x / 2^dst_pos); an integer source means q * 2^src_pos.
void convert(int ddt, void* d, int sdt, const void* s, xpb_cnt n, int mode, int dst_pos, int src_pos,
             const long long* strided, const char* name, const xp_loc& loc);
double round_to_int(double x, int mode);
xp_f16 to_half(double x, int mode);
xp_bf16 to_bf16(double x, int mode);
}  // namespace xpb
#define XPB_CONV(NAME, TD, TS, MODE)                                                                       \
  inline void NAME(TD* d, const TS* s, xpb_cnt n, xp_loc loc = xp_loc()) {                                \
    xpb::convert(xpb_dt<TD>(), d, xpb_dt<TS>(), s, n, MODE, 0, 0, nullptr, #NAME, loc);                   \
  }                                                                                                       \
  inline void NAME(TD* d, const TS* s, xpb_cnt n, long long dst_stride, long long src_stride,             \
                   long long segnum, xp_loc loc = xp_loc()) {                                             \
    const long long g[3] = {dst_stride, src_stride, segnum};                                              \
    xpb::convert(xpb_dt<TD>(), d, xpb_dt<TS>(), s, n, MODE, 0, 0, g, #NAME, loc);                         \
  }
// to fixed point: (dst, src, count, fix_position) with fix_position optional
#define XPB_CONV_TOQ(NAME, TD, TS, MODE)                                                                   \
  inline void NAME(TD* d, const TS* s, xpb_cnt n, int pos = 0, xp_loc loc = xp_loc()) {                   \
    xpb::convert(xpb_dt<TD>(), d, xpb_dt<TS>(), s, n, MODE, pos, 0, nullptr, #NAME, loc);                 \
  }
#define XPB_CONV_FROMQ(NAME, TD, TS, MODE)                                                                 \
  inline void NAME(TD* d, const TS* s, xpb_cnt n, int pos = 0, xp_loc loc = xp_loc()) {                   \
    xpb::convert(xpb_dt<TD>(), d, xpb_dt<TS>(), s, n, MODE, 0, pos, nullptr, #NAME, loc);                 \
  }
#define XPB_CONV_MODES(MAC, BASE, TD, TS)                                                                  \
  MAC(BASE##_rn, TD, TS, XPB_RN) MAC(BASE##_tz, TD, TS, XPB_TZ) MAC(BASE##_oz, TD, TS, XPB_OZ)             \
  MAC(BASE##_up, TD, TS, XPB_UP) MAC(BASE##_dn, TD, TS, XPB_DN) MAC(BASE##_rd, TD, TS, XPB_RD)             \
  MAC(BASE##_rm, TD, TS, XPB_RM)
XPB_CONV(__bang_half2float, float, half, XPB_RN)
XPB_CONV(__bang_float2half, half, float, XPB_RN)
XPB_CONV_MODES(XPB_CONV, __bang_float2half, half, float)
XPB_CONV(__bang_bfloat162float, float, bfloat16_t, XPB_RN)
XPB_CONV(__bang_float2bfloat16, bfloat16_t, float, XPB_RN)
XPB_CONV_MODES(XPB_CONV, __bang_float2bfloat16, bfloat16_t, float)
XPB_CONV(__bang_half2bfloat16, bfloat16_t, half, XPB_RN)
XPB_CONV_MODES(XPB_CONV, __bang_half2bfloat16, bfloat16_t, half)
XPB_CONV(__bang_bfloat162half, half, bfloat16_t, XPB_TZ)
XPB_CONV_MODES(XPB_CONV, __bang_bfloat162half, half, bfloat16_t)
// float/half/bf16 -> fixed point (default rounding without suffix: toward zero, as the guide states for
// its un-suffixed integer conversions)
XPB_CONV_TOQ(__bang_float2int8, int8_t, float, XPB_TZ)
XPB_CONV_TOQ(__bang_float2int16, int16_t, float, XPB_TZ)
XPB_CONV_TOQ(__bang_float2int32, int32_t, float, XPB_TZ)
XPB_CONV_TOQ(__bang_half2int8, int8_t, half, XPB_TZ)
XPB_CONV_TOQ(__bang_half2int16, int16_t, half, XPB_TZ)
XPB_CONV_TOQ(__bang_half2int32, int32_t, half, XPB_TZ)
XPB_CONV_TOQ(__bang_bfloat162int8, int8_t, bfloat16_t, XPB_TZ)
XPB_CONV_TOQ(__bang_bfloat162int16, int16_t, bfloat16_t, XPB_TZ)
XPB_CONV_TOQ(__bang_bfloat162int32, int32_t, bfloat16_t, XPB_TZ)
XPB_CONV_TOQ(__bang_float2uchar, uint8_t, float, XPB_TZ)
XPB_CONV_TOQ(__bang_half2uchar, uint8_t, half, XPB_TZ)
XPB_CONV_TOQ(__bang_half2short, int16_t, half, XPB_TZ)
XPB_CONV_TOQ(__bang_float2short, int16_t, float, XPB_TZ)
XPB_CONV_MODES(XPB_CONV_TOQ, __bang_float2int8, int8_t, float)
XPB_CONV_MODES(XPB_CONV_TOQ, __bang_float2int16, int16_t, float)
XPB_CONV_MODES(XPB_CONV_TOQ, __bang_float2int32, int32_t, float)
XPB_CONV_MODES(XPB_CONV_TOQ, __bang_half2int8, int8_t, half)
XPB_CONV_MODES(XPB_CONV_TOQ, __bang_half2int16, int16_t, half)
XPB_CONV_MODES(XPB_CONV_TOQ, __bang_half2int32, int32_t, half)
XPB_CONV_MODES(XPB_CONV_TOQ, __bang_bfloat162int8, int8_t, bfloat16_t)
XPB_CONV_MODES(XPB_CONV_TOQ, __bang_bfloat162int16, int16_t, bfloat16_t)
XPB_CONV_MODES(XPB_CONV_TOQ, __bang_float2uchar, uint8_t, float)
XPB_CONV_MODES(XPB_CONV_TOQ, __bang_half2uchar, uint8_t, half)
XPB_CONV_MODES(XPB_CONV_TOQ, __bang_half2short, int16_t, half)
XPB_CONV_MODES(XPB_CONV_TOQ, __bang_float2short, int16_t, float)
// fixed point -> float/half/bf16 (y = q * 2^position)
XPB_CONV_FROMQ(__bang_int82float, float, int8_t, XPB_RN)
XPB_CONV_FROMQ(__bang_int162float, float, int16_t, XPB_RN)
XPB_CONV_FROMQ(__bang_int322float, float, int32_t, XPB_RN)
XPB_CONV_FROMQ(__bang_int82half, half, int8_t, XPB_RN)
XPB_CONV_FROMQ(__bang_int162half, half, int16_t, XPB_RN)
XPB_CONV_FROMQ(__bang_int322half, half, int32_t, XPB_RN)
XPB_CONV_FROMQ(__bang_int82bfloat16, bfloat16_t, int8_t, XPB_RN)
XPB_CONV_FROMQ(__bang_int162bfloat16, bfloat16_t, int16_t, XPB_RN)
XPB_CONV_FROMQ(__bang_int322bfloat16, bfloat16_t, int32_t, XPB_RN)
XPB_CONV_FROMQ(__bang_uchar2half, half, uint8_t, XPB_RN)
XPB_CONV_FROMQ(__bang_uchar2float, float, uint8_t, XPB_RN)
XPB_CONV_FROMQ(__bang_short2half, half, int16_t, XPB_RN)
XPB_CONV_FROMQ(__bang_short2float, float, int16_t, XPB_RN)
XPB_CONV_MODES(XPB_CONV_FROMQ, __bang_int322float, float, int32_t)
XPB_CONV_MODES(XPB_CONV_FROMQ, __bang_int162half, half, int16_t)
XPB_CONV_MODES(XPB_CONV_FROMQ, __bang_int322half, half, int32_t)
#undef XPB_CONV
#undef XPB_CONV_TOQ
#undef XPB_CONV_FROMQ
#undef XPB_CONV_MODES
// __bang_int322int16(dst, src, count, dst_position, src_position)
inline void __bang_int322int16(int16_t* d, const int32_t* s, xpb_cnt n, int dst_pos, int src_pos, xp_loc loc = xp_loc()) {
  xpb::convert(XP_I16, d, XP_I32, s, n, XPB_TZ, dst_pos, src_pos, nullptr, "__bang_int322int16", loc);
}

// Scalar conversions.
inline float __half2float(half h) { return float(h); }
inline float __bfloat162float(bfloat16_t b) { return float(b); }
inline half __float2half(float f) { return half(f); }
inline bfloat16_t __float2bfloat16(float f) { return bfloat16_t(f); }
inline half __int2half(int i) { return half(float(i)); }
inline float __int2float(int i) { return float(i); }
#define XPB_SCONV_MODE(SUFFIX, MODE)                                                                            \
  inline half __float2half_##SUFFIX(float f) { return xpb::to_half(f, MODE); }                                 \
  inline bfloat16_t __float2bfloat16_##SUFFIX(float f) { return xpb::to_bf16(f, MODE); }                       \
  inline int __float2int_##SUFFIX(float f) { return int(xpb::round_to_int(f, MODE)); }                          \
  inline short __float2short_##SUFFIX(float f) { return short(xpb::round_to_int(f, MODE)); }                    \
  inline int __half2int_##SUFFIX(half h) { return int(xpb::round_to_int(float(h), MODE)); }                     \
  inline short __half2short_##SUFFIX(half h) { return short(xpb::round_to_int(float(h), MODE)); }               \
  inline half __int2half_##SUFFIX(int i) { return xpb::to_half(double(i), MODE); }                             \
  inline half __short2half_##SUFFIX(short i) { return xpb::to_half(double(i), MODE); }
XPB_SCONV_MODE(rn, XPB_RN)
XPB_SCONV_MODE(tz, XPB_TZ)
XPB_SCONV_MODE(oz, XPB_OZ)
XPB_SCONV_MODE(up, XPB_UP)
XPB_SCONV_MODE(dn, XPB_DN)
XPB_SCONV_MODE(rd, XPB_RD)
XPB_SCONV_MODE(rm, XPB_RM)
#undef XPB_SCONV_MODE

// ---------------------------------------------------------------- atomics (GDRAM)
enum { XPB_AT_ADD, XPB_AT_MAX, XPB_AT_MIN, XPB_AT_AND, XPB_AT_OR, XPB_AT_XOR, XPB_AT_EXCH, XPB_AT_INC, XPB_AT_DEC };
namespace xpb {
// dst (NRAM) = old src1 (GDRAM); src1 = src1 op src2 (vector in NRAM, or a scalar). reduce: dst_gdram op= src.
void atomic(int op, int dt, void* dst, void* src1, const void* src2_vec, double src2, xpb_cnt n, const char* name,
            const xp_loc& loc);
void atomic_reduce(int op, int dt, void* dst_gdram, const void* src, xpb_cnt n, const char* name, const xp_loc& loc);
void atomic_cas(int dt, void* dst, void* src1, double cmp, double val, const xp_loc& loc);
}  // namespace xpb
#define XPB_ATOMIC(NAME, OP)                                                                               \
  template <class T, class S, XPB_IF_SCALAR(S)>                                                           \
  inline void NAME(T* d, T* src1, S src2, xpb_cnt n = 1, xp_loc loc = xp_loc()) {                         \
    xpb::atomic(OP, xpb_dt<T>(), d, src1, nullptr, double(src2), n, #NAME, loc);                          \
  }                                                                                                       \
  template <class T>                                                                                      \
  inline void NAME(T* d, T* src1, const T* src2, xpb_cnt n, xp_loc loc = xp_loc()) {                      \
    xpb::atomic(OP, xpb_dt<T>(), d, src1, src2, 0, n, #NAME, loc);                                        \
  }
XPB_ATOMIC(__bang_atomic_add, XPB_AT_ADD)
XPB_ATOMIC(__bang_atomic_max, XPB_AT_MAX)
XPB_ATOMIC(__bang_atomic_min, XPB_AT_MIN)
XPB_ATOMIC(__bang_atomic_and, XPB_AT_AND)
XPB_ATOMIC(__bang_atomic_or, XPB_AT_OR)
XPB_ATOMIC(__bang_atomic_xor, XPB_AT_XOR)
XPB_ATOMIC(__bang_atomic_exch, XPB_AT_EXCH)
XPB_ATOMIC(__bang_atomic_inc, XPB_AT_INC)
XPB_ATOMIC(__bang_atomic_dec, XPB_AT_DEC)
#undef XPB_ATOMIC
template <class T, class S, XPB_IF_SCALAR(S)>
inline void __bang_atomic_cas(T* d, T* src1, S cmp, S val, xp_loc loc = xp_loc()) {
  xpb::atomic_cas(xpb_dt<T>(), d, src1, double(cmp), double(val), loc);
}
#define XPB_ATOMIC_REDUCE(NAME, OP)                                                          \
  template <class T>                                                                        \
  inline void NAME(T* dst, const T* src, xpb_cnt n, xp_loc loc = xp_loc()) {               \
    xpb::atomic_reduce(OP, xpb_dt<T>(), dst, src, n, #NAME, loc);                           \
  }
XPB_ATOMIC_REDUCE(__bang_atomic_reduce_add, XPB_AT_ADD)
XPB_ATOMIC_REDUCE(__bang_atomic_reduce_max, XPB_AT_MAX)
XPB_ATOMIC_REDUCE(__bang_atomic_reduce_min, XPB_AT_MIN)
XPB_ATOMIC_REDUCE(__bang_atomic_reduce_and, XPB_AT_AND)
XPB_ATOMIC_REDUCE(__bang_atomic_reduce_or, XPB_AT_OR)
XPB_ATOMIC_REDUCE(__bang_atomic_reduce_xor, XPB_AT_XOR)
#undef XPB_ATOMIC_REDUCE

// ---------------------------------------------------------------- scalar loads/stores with a space check
namespace xpb {
void require_scalar(int space, const void* p, int bytes, const char* name, const xp_loc& loc);
}
#define XPB_LOADSTORE(SP, SPACE)                                                                   \
  template <class T>                                                                              \
  inline T __load_##SP(const T* p, xp_loc loc = xp_loc()) {                                       \
    xpb::require_scalar(SPACE, p, int(sizeof(T)), "__load_" #SP, loc);                            \
    return *p;                                                                                    \
  }                                                                                               \
  template <class T, class V>                                                                     \
  inline void __store_##SP(T* p, V v, xp_loc loc = xp_loc()) {                                    \
    xpb::require_scalar(SPACE, p, int(sizeof(T)), "__store_" #SP, loc);                           \
    *p = T(v);                                                                                    \
  }
XPB_LOADSTORE(nram, XPB_SPACE_NRAM)
XPB_LOADSTORE(sram, XPB_SPACE_SRAM)
XPB_LOADSTORE(gdram, XPB_SPACE_GDRAM)
XPB_LOADSTORE(ldram, XPB_SPACE_LDRAM)
#undef XPB_LOADSTORE

// ---------------------------------------------------------------- misc device functions
#define __bang_printf printf
[[noreturn]] inline void __abort(void) { xp_fault("invalid-argument", "__abort() called by the kernel"); }
// Device code calls min/max as free functions (cncc provides them).
template <class A, class B>
inline std::common_type_t<A, B> min(A a, B b) {
  return b < a ? b : a;
}
template <class A, class B>
inline std::common_type_t<A, B> max(A a, B b) {
  return a < b ? b : a;
}

// ---------------------------------------------------------------- CNRT host API
enum cnrtRet_t {
  cnrtSuccess = 0,
  CNRT_RET_SUCCESS = 0,
  cnrtErrorArgsInvalid = 1,
  CNRT_RET_ERR_INVALID = 1,
  cnrtErrorNoMem = 2,
  CNRT_RET_ERR_NOMEM = 2,
};
typedef cnrtRet_t cnrtStatus;
enum cnrtMemTransDir_t {
  cnrtMemcpyHostToDev = 0,
  cnrtMemcpyDevToDev = 1,
  cnrtMemcpyDevToHost = 2,
  cnrtMemcpyHostToHost = 3,
  cnrtMemcpyPeerToPeer = 4,
  cnrtMemcpyNoDirection = 5,
  CNRT_MEM_TRANS_DIR_HOST2DEV = 0,
  CNRT_MEM_TRANS_DIR_DEV2DEV = 1,
  CNRT_MEM_TRANS_DIR_DEV2HOST = 2,
  CNRT_MEM_TRANS_DIR_HOST2HOST = 3,
  CNRT_MEM_TRANS_DIR_PEER2PEER = 4,
  CNRT_MEM_TRANS_DIR_NODIR = 5,
};
typedef cnrtMemTransDir_t cnrtMemTransDir;
enum cnrtDeviceAttr_t { cnrtAttrClusterCount, cnrtAttrMcorePerCluster, cnrtAttrNramSizePerMcore, cnrtAttrWramSizePerMcore };
typedef struct xpb_notifier* cnrtNotifier_t;
typedef int cnrtDev_t;

cnrtRet_t cnrtMalloc(void** ptr, size_t bytes);
cnrtRet_t cnrtMallocHost(void** ptr, size_t bytes);
cnrtRet_t cnrtFree(void* ptr);
cnrtRet_t cnrtFreeHost(void* ptr);
cnrtRet_t cnrtMemcpy(void* dst, const void* src, size_t bytes, cnrtMemTransDir_t dir);
cnrtRet_t cnrtMemcpyAsync(void* dst, void* src, size_t bytes, cnrtQueue_t q, cnrtMemTransDir_t dir);
cnrtRet_t cnrtMemset(void* ptr, int value, size_t bytes);
cnrtRet_t cnrtQueueCreate(cnrtQueue_t* q);
cnrtRet_t cnrtQueueDestroy(cnrtQueue_t q);
cnrtRet_t cnrtQueueSync(cnrtQueue_t q);
cnrtRet_t cnrtCreateQueue(cnrtQueue_t* q);
cnrtRet_t cnrtDestroyQueue(cnrtQueue_t q);
cnrtRet_t cnrtSyncQueue(cnrtQueue_t q);
cnrtRet_t cnrtSyncDevice(void);
cnrtRet_t cnrtInit(unsigned int flags);
void cnrtDestroy(void);
cnrtRet_t cnrtGetDeviceCount(unsigned int* count);
cnrtRet_t cnrtGetDevice(int* dev);
cnrtRet_t cnrtSetDevice(int dev);
cnrtRet_t cnrtDeviceGetAttribute(int* value, cnrtDeviceAttr_t attr, int dev);
cnrtRet_t cnrtNotifierCreate(cnrtNotifier_t* n);
cnrtRet_t cnrtNotifierDestroy(cnrtNotifier_t n);
cnrtRet_t cnrtPlaceNotifier(cnrtNotifier_t n, cnrtQueue_t q);
cnrtRet_t cnrtNotifierElapsedTime(cnrtNotifier_t start, cnrtNotifier_t end, float* ms);
cnrtRet_t cnrtGetLastError(void);
const char* cnrtGetErrorStr(cnrtRet_t r);
#define CNRT_CHECK(expr)                                                                        \
  do {                                                                                          \
    cnrtRet_t xpb_ret_ = (expr);                                                                \
    if (xpb_ret_ != cnrtSuccess) xp_fault("invalid-argument", "%s returned %d", #expr, int(xpb_ret_)); \
  } while (0)

// ---------------------------------------------------------------- generation facts for the runtime
// The compiled-in facts (from the Python backend's -D macros) reach the separately compiled runtime through
// this function, defined once in the user's translation unit.
struct xpb_facts {
  const char* generation;
  int arch;
  long long nram, wram, sram;
  int clusters, cores_per_cluster;
  int vector_addr_align, nfu_align, wram_align, lt_num, reduce_block;
  const char* default_check;
  int cooperative;  // XP_BANG_COOPERATIVE: run the tasks of a union job as fibers (barriers work)
  const char* matmul_rhs_default;
};
extern "C" const xpb_facts* xpb_compiled_facts(void);
#ifndef XP_BANG_RUNTIME_IMPL
extern "C" const xpb_facts* xpb_compiled_facts(void) {
  static const xpb_facts f = {XP_BANG_GEN_NAME,         __BANG_ARCH__,         XP_BANG_NRAM_BYTES,
                              XP_BANG_WRAM_BYTES,       XP_BANG_SRAM_BYTES,    XP_BANG_CLUSTERS,
                              XP_BANG_CORES_PER_CLUSTER, XP_BANG_VECTOR_ADDR_ALIGN, XP_BANG_NFU_ALIGN_SIZE,
                              XP_BANG_WRAM_ALIGN_SIZE,  XP_BANG_LT_NUM,        XP_BANG_REDUCE_BLOCK,
                              XP_BANG_DEFAULT_CHECK,
#ifdef XP_BANG_COOPERATIVE
                              1,
#else
                              0,
#endif
                              XP_BANG_MATMUL_RHS_DEFAULT};
  return &f;
}
#endif
