// xpiler SIMT runtime: fibers, the block scheduler, barrier/collective rendezvous, launch checks and the
// host-API helpers shared by the CUDA and HIP spellings. Compiled once per compiler (dialect-neutral:
// the dialect's facts arrive with every launch in an xp_simt_dialect_t).
#define XP_WARP_SIZE 0  // xp_simt.h wants one; this file takes the warp size from the launch
#include "xp_simt.h"

#include <stdarg.h>
#include <time.h>

#include <vector>

#if !defined(__x86_64__) || defined(XP_SIMT_UCONTEXT)
#define XP_SIMT_USE_UCONTEXT 1
#include <ucontext.h>
#endif

xp_simt_state_t xp_simt;

// The linker's bounds of the section holding static shared memory outside kernels (device functions,
// file scope); weak: absent when there is none.
extern "C" char __start_xp_shared[] __attribute__((weak));
extern "C" char __stop_xp_shared[] __attribute__((weak));
// Bounds of the program image (static data: __device__ and __constant__ variables live there).
extern "C" char __executable_start[] __attribute__((weak));
extern "C" char _end[] __attribute__((weak));

namespace {

// ---------------------------------------------------------------- launch state
const xp_simt_dialect_t* g_dialect;
const void* g_kernel;
size_t g_shmem;
void* g_arena;
bool g_in_launch;
bool g_coop;
std::vector<void (*)(void*)>* g_dyn_slots;
struct KernelAttr {
  const void* kernel;
  size_t max_dynamic_shared;
};
std::vector<KernelAttr>* g_attrs;

void context_hook(char* buf, size_t n) {
  if (!g_in_launch) return;
  const xp_simt_kinfo* k = xp_simt.kinfo;
  const uint3& b = xp_simt.block_idx;
  const uint3& t = xp_simt.thread_idx;
  snprintf(buf, n, "kernel %s block (%u,%u,%u) thread (%u,%u,%u)", k ? k->name : "(starting)", b.x, b.y, b.z, t.x, t.y,
           t.z);
}

// ---------------------------------------------------------------- fibers
enum FiberState { F_RUNNABLE, F_BARRIER, F_WARP, F_DONE };

struct Fiber {
  void* sp;
  int state;
  unsigned tx, ty, tz;
  unsigned bar_line, bar_col;
  int bar_kind, bar_pred, bar_result;
  xp_simt_coll* coll;
#ifdef XP_SIMT_USE_UCONTEXT
  ucontext_t uc;
#endif
};

struct WarpState {
  uint64_t waiting;  // lanes blocked in a collective
  uint64_t exited;   // lanes whose thread has finished
  uint64_t exists;   // lanes present in the block (the last warp may be partial)
};

std::vector<Fiber> g_fibers;
std::vector<WarpState> g_warps;
std::vector<char*> g_stacks;
size_t g_stack_bytes;
int g_n;           // threads per block
int g_cur;         // running fiber
int g_W;           // warp size
int g_at_barrier;  // fibers waiting at __syncthreads
int g_done;        // fibers that finished
void (*g_thunk)(void*);
void* g_closure;
void* g_sched_sp;
#ifdef XP_SIMT_USE_UCONTEXT
ucontext_t g_sched_uc;
#endif

}  // namespace

#ifndef XP_SIMT_USE_UCONTEXT
// void xp_simt_switch(void** save_sp, void* next_sp): saves the callee-saved registers on the current
// stack, stores the stack pointer in *save_sp, and resumes the stack next_sp (saved the same way).
extern "C" void xp_simt_switch(void** save_sp, void* next_sp);
asm(".text\n"
    ".p2align 4\n"
    ".globl xp_simt_switch\n"
    ".hidden xp_simt_switch\n"
    ".type xp_simt_switch,@function\n"
    "xp_simt_switch:\n"
    "  pushq %rbp\n"
    "  pushq %rbx\n"
    "  pushq %r12\n"
    "  pushq %r13\n"
    "  pushq %r14\n"
    "  pushq %r15\n"
    "  movq %rsp, (%rdi)\n"
    "  movq %rsi, %rsp\n"
    "  popq %r15\n"
    "  popq %r14\n"
    "  popq %r13\n"
    "  popq %r12\n"
    "  popq %rbx\n"
    "  popq %rbp\n"
    "  ret\n"
    ".size xp_simt_switch,.-xp_simt_switch\n");
#endif

namespace {

void thread_exit();

void fiber_main() {
  g_thunk(g_closure);
  thread_exit();
}

#ifndef XP_SIMT_USE_UCONTEXT
void fiber_start(Fiber& f, char* stack) {
  // A frame that xp_simt_switch "returns" into: six zero registers, then fiber_main as the return
  // address, then a null fake return address of fiber_main (keeps the ABI's 16-byte alignment).
  uintptr_t top = (reinterpret_cast<uintptr_t>(stack) + g_stack_bytes) & ~uintptr_t(15);
  void** sp = reinterpret_cast<void**>(top);
  *--sp = nullptr;
  *--sp = reinterpret_cast<void*>(&fiber_main);
  for (int i = 0; i < 6; ++i) *--sp = nullptr;
  f.sp = sp;
}
inline void resume(int i) { xp_simt_switch(&g_sched_sp, g_fibers[size_t(i)].sp); }
inline void switch_fiber(int from, int to) { xp_simt_switch(&g_fibers[size_t(from)].sp, g_fibers[size_t(to)].sp); }
inline void to_scheduler(int from) { xp_simt_switch(&g_fibers[size_t(from)].sp, g_sched_sp); }
#else
void fiber_start(Fiber& f, char* stack) {
  getcontext(&f.uc);
  f.uc.uc_stack.ss_sp = stack;
  f.uc.uc_stack.ss_size = g_stack_bytes;
  f.uc.uc_link = nullptr;
  makecontext(&f.uc, fiber_main, 0);
}
inline void resume(int i) { swapcontext(&g_sched_uc, &g_fibers[size_t(i)].uc); }
inline void switch_fiber(int from, int to) { swapcontext(&g_fibers[size_t(from)].uc, &g_fibers[size_t(to)].uc); }
inline void to_scheduler(int from) { swapcontext(&g_fibers[size_t(from)].uc, &g_sched_uc); }
#endif

void ensure_stacks(int n) {
  if (!g_stack_bytes) {
    const char* e = getenv("XP_SIMT_STACK_KB");
    long kb = e ? atol(e) : 64;
    g_stack_bytes = size_t(kb < 16 ? 16 : kb) * 1024;
  }
  while (int(g_stacks.size()) < n) g_stacks.push_back(static_cast<char*>(xp_stack_alloc(g_stack_bytes)));
}

// Makes fiber i the current thread (the built-ins read these globals).
inline void enter(int i) {
  const Fiber& f = g_fibers[size_t(i)];
  g_cur = i;
  xp_simt.thread_idx = uint3{f.tx, f.ty, f.tz};
}

// The running fiber blocks (or has finished): continue with the next runnable fiber of this sweep in
// thread order, or return to the scheduler at the end of the sweep.
void switch_away() {
  int from = g_cur;
  for (int j = from + 1; j < g_n; ++j)
    if (g_fibers[size_t(j)].state == F_RUNNABLE) {
      enter(j);
      switch_fiber(from, j);
      return;
    }
  to_scheduler(from);
}

uint64_t lane_bit(int lane) { return uint64_t(1) << lane; }

// "0-15,20,22-23"
void format_lanes(uint64_t m, char* buf, size_t n) {
  size_t k = 0;
  buf[0] = 0;
  for (int i = 0; i < 64 && k + 12 < n; ++i) {
    if (!(m >> i & 1)) continue;
    int j = i;
    while (j + 1 < 64 && (m >> (j + 1) & 1)) ++j;
    k += size_t(snprintf(buf + k, n - k, k ? ",%d" : "%d", i));
    if (j > i) k += size_t(snprintf(buf + k, n - k, "-%d", j));
    i = j;
  }
}

const char* barrier_name(int kind) {
  static const char* names[] = {"__syncthreads", "__syncthreads_count", "__syncthreads_and", "__syncthreads_or"};
  return names[kind & 3];
}

void describe_fiber(const Fiber& f, char* buf, size_t n) {
  switch (f.state) {
    case F_BARRIER: snprintf(buf, n, "waits at %s (line %u)", barrier_name(f.bar_kind), f.bar_line); break;
    case F_WARP: snprintf(buf, n, "waits at %s (line %u)", f.coll->what, f.coll->line); break;
    case F_DONE: snprintf(buf, n, "has exited"); break;
    default: snprintf(buf, n, "is running"); break;
  }
}

[[noreturn]] void fault_unsupported(const char* what, unsigned line) {
  xp_fault("unsupported",
           "%s at line %u needs the cooperative SIMT mode, but this program was built in plain mode (the "
           "backend defines XP_SIMT_COOPERATIVE when it sees collectives in the source)",
           what, line);
}

// ---------------------------------------------------------------- barriers
void release_barrier() {
  if (g_done) {
    int waiting = -1, gone = -1;
    for (int i = 0; i < g_n; ++i) {
      if (g_fibers[size_t(i)].state == F_BARRIER && waiting < 0) waiting = i;
      if (g_fibers[size_t(i)].state == F_DONE && gone < 0) gone = i;
    }
    const Fiber& w = g_fibers[size_t(waiting)];
    const Fiber& d = g_fibers[size_t(gone)];
    xp_fault("barrier",
             "%s at line %u: %d threads of the block wait there (e.g. thread (%u,%u,%u)) while %d have exited "
             "(e.g. thread (%u,%u,%u)); every thread of the block must reach the same barrier",
             barrier_name(w.bar_kind), w.bar_line, g_at_barrier, w.tx, w.ty, w.tz, g_done, d.tx, d.ty, d.tz);
  }
  const Fiber& ref = g_fibers[0];
  int count = 0;
  for (int i = 0; i < g_n; ++i) {
    const Fiber& f = g_fibers[size_t(i)];
    if (f.bar_line != ref.bar_line || f.bar_col != ref.bar_col || f.bar_kind != ref.bar_kind)
      xp_fault("barrier",
               "threads of the block wait at different barriers: thread (%u,%u,%u) at %s (line %u), thread "
               "(%u,%u,%u) at %s (line %u); every thread of the block must reach the same barrier",
               ref.tx, ref.ty, ref.tz, barrier_name(ref.bar_kind), ref.bar_line, f.tx, f.ty, f.tz,
               barrier_name(f.bar_kind), f.bar_line);
    count += f.bar_pred;
  }
  int result = ref.bar_kind == 1 ? count : ref.bar_kind == 2 ? (count == g_n) : ref.bar_kind == 3 ? (count > 0) : 0;
  for (int i = 0; i < g_n; ++i) {
    g_fibers[size_t(i)].state = F_RUNNABLE;
    g_fibers[size_t(i)].bar_result = result;
  }
  g_at_barrier = 0;
}

// ---------------------------------------------------------------- warp collectives
bool same_site(const xp_simt_coll* a, const xp_simt_coll* b) {
  return a->line == b->line && a->col == b->col && a->mask == b->mask &&
         (a->what == b->what || std::strcmp(a->what, b->what) == 0);
}

// Completes the collective lane `lane` of warp `w` waits in, if every participant has arrived.
bool try_complete(int w, int lane) {
  WarpState& ws = g_warps[size_t(w)];
  Fiber* base = &g_fibers[size_t(w * g_W)];
  xp_simt_coll* c = base[lane].coll;
  uint64_t need = c->mask & ws.exists;
  if (c->full && (need & ws.exited)) {
    char lanes[256];
    format_lanes(need & ws.exited, lanes, sizeof lanes);
    xp_fault("collective", "%s at line %u needs all %d lanes of the warp, but lanes %s have exited", c->what,
             c->line, g_W, lanes);
  }
  need &= ~ws.exited;
  if ((ws.waiting & need) != need) return false;
  xp_simt_coll* recs[64] = {};
  for (uint64_t m = need; m; m &= m - 1) {
    int l = __builtin_ctzll(m);
    if (!same_site(base[l].coll, c)) return false;  // waits elsewhere; a stall reports it if it never moves
    recs[l] = base[l].coll;
  }
  c->resolve(recs, g_W);
  for (uint64_t m = need; m; m &= m - 1) {
    int l = __builtin_ctzll(m);
    base[l].state = F_RUNNABLE;
    base[l].coll = nullptr;
  }
  ws.waiting &= ~need;
  return true;
}

// Nothing can run. Implicit (mask-less) collectives complete with the lanes that reached them (the lanes
// elsewhere took another branch: AMD's EXEC mask). Returns true if that let something run again.
bool resolve_implicit() {
  bool progressed = false;
  for (int w = 0; w < int(g_warps.size()); ++w) {
    WarpState& ws = g_warps[size_t(w)];
    Fiber* base = &g_fibers[size_t(w * g_W)];
    for (uint64_t m = ws.waiting; m; m &= m - 1) {
      int lane = __builtin_ctzll(m);
      if (!(ws.waiting >> lane & 1) || !base[lane].coll->implicit) continue;
      xp_simt_coll* c = base[lane].coll;
      xp_simt_coll* recs[64] = {};
      uint64_t here = 0;
      for (uint64_t q = ws.waiting; q; q &= q - 1) {
        int l = __builtin_ctzll(q);
        if (same_site(base[l].coll, c)) here |= lane_bit(l), recs[l] = base[l].coll;
      }
      c->resolve(recs, g_W);
      for (uint64_t q = here; q; q &= q - 1) {
        int l = __builtin_ctzll(q);
        base[l].state = F_RUNNABLE;
        base[l].coll = nullptr;
      }
      ws.waiting &= ~here;
      progressed = true;
    }
  }
  return progressed;
}

// Nothing can run and some threads have not finished: say why.
[[noreturn]] void stall() {
  for (int w = 0; w < int(g_warps.size()); ++w) {
    WarpState& ws = g_warps[size_t(w)];
    if (!ws.waiting) continue;
    Fiber* base = &g_fibers[size_t(w * g_W)];
    int lane = __builtin_ctzll(ws.waiting);
    xp_simt_coll* c = base[lane].coll;
    uint64_t need = c->mask & ws.exists & ~ws.exited, here = 0, missing = 0;
    for (uint64_t m = need; m; m &= m - 1) {
      int l = __builtin_ctzll(m);
      if (base[l].state == F_WARP && same_site(base[l].coll, c)) here |= lane_bit(l);
      else missing |= lane_bit(l);
    }
    int first = missing ? __builtin_ctzll(missing) : lane;
    char arrived[256], absent[256], where[160];
    format_lanes(here, arrived, sizeof arrived);
    format_lanes(missing, absent, sizeof absent);
    describe_fiber(base[first], where, sizeof where);
    xp_fault("collective",
             "%s at line %u (warp %d, mask 0x%llx): lanes %s arrived but lanes %s never do (lane %d %s); every "
             "lane named in the mask must execute the same collective",
             c->what, c->line, w, (unsigned long long)c->mask, arrived, absent, first, where);
  }
  xp_fault("deadlock", "the threads of the block wait for each other forever");
}

void thread_exit() {
  Fiber& f = g_fibers[size_t(g_cur)];
  f.state = F_DONE;
  ++g_done;
  int w = g_cur / g_W, lane = g_cur % g_W;
  WarpState& ws = g_warps[size_t(w)];
  ws.exited |= lane_bit(lane);
  if (g_at_barrier && g_at_barrier + g_done == g_n) release_barrier();  // faults: a thread exited
  // Collectives of this warp that named the lane may now be complete (exited lanes are excused).
  for (uint64_t m = ws.waiting; m; m &= m - 1) {
    int l = __builtin_ctzll(m);
    Fiber& o = g_fibers[size_t(w * g_W + l)];
    if ((ws.waiting >> l & 1) && o.coll && (o.coll->mask >> lane & 1)) try_complete(w, l);
  }
  switch_away();
  xp_fault("deadlock", "internal error: a finished SIMT thread was resumed");
}

void check_limits(dim3 grid, dim3 block) {
  const char* why = nullptr;
  unsigned long long threads = (unsigned long long)block.x * block.y * block.z;
  if (!grid.x || !grid.y || !grid.z || !block.x || !block.y || !block.z) why = "a dimension is zero";
  else if (threads > 1024) why = "more than 1024 threads per block";
  else if (block.x > 1024 || block.y > 1024) why = "blockDim.x and blockDim.y must be at most 1024";
  else if (block.z > 64) why = "blockDim.z must be at most 64";
  else if (grid.x > 2147483647u) why = "gridDim.x must be at most 2^31-1";
  else if (grid.y > 65535 || grid.z > 65535) why = "gridDim.y and gridDim.z must be at most 65535";
  if (why)
    xp_fault("launch", "invalid launch configuration grid (%u,%u,%u) block (%u,%u,%u): %s", grid.x, grid.y, grid.z,
             block.x, block.y, block.z, why);
}

size_t attr_max_dynamic(const void* kernel) {
  if (g_attrs)
    for (auto& a : *g_attrs)
      if (a.kernel == kernel) return a.max_dynamic_shared;
  return 0;
}

}  // namespace

// ---------------------------------------------------------------- entry points
extern "C" void xp_simt_launch_begin(const void* kernel, dim3 grid, dim3 block, size_t shmem,
                                     const xp_simt_dialect_t* d) {
  if (g_in_launch) xp_fault("unsupported", "a kernel launch from device code (dynamic parallelism) is not supported");
  check_limits(grid, block);
  if (shmem > d->shared_optin_max)
    xp_fault("capacity", "a launch asks for %zu bytes of dynamic shared memory; the %s maximum per block is %zu",
             shmem, d->name, d->shared_optin_max);
  static bool hooked;
  if (!hooked) xp_set_context_hook(&context_hook), hooked = true;
  g_dialect = d;
  g_kernel = kernel;
  g_shmem = shmem;
  g_arena = shmem ? xp_gmem_alloc_space(shmem, "dynamic shared memory", XP_SPACE_DEVICE) : nullptr;
  if (g_dyn_slots)
    for (auto set : *g_dyn_slots) set(g_arena);
  xp_simt.grid_dim = grid;
  xp_simt.block_dim = block;
  xp_simt.block_idx = uint3{0, 0, 0};
  xp_simt.thread_idx = uint3{0, 0, 0};
  xp_simt.kinfo = nullptr;
  g_in_launch = true;
}

extern "C" void xp_simt_launch_end(void) {
  g_in_launch = false;
  xp_simt.kinfo = nullptr;
  if (g_arena) xp_gmem_free(g_arena);  // also checks for writes past its end
  g_arena = nullptr;
  if (g_dyn_slots)
    for (auto set : *g_dyn_slots) set(nullptr);
}

extern "C" void xp_simt_kernel_enter(const xp_simt_kinfo* k) {
  xp_simt.kinfo = k;
  const dim3& b = xp_simt.block_dim;
  long threads = long(b.x) * b.y * b.z;
  if (k->max_threads > 0 && threads > k->max_threads)
    xp_fault("launch", "kernel %s is declared __launch_bounds__(%ld) but launched with %ld threads per block",
             k->name, k->max_threads, threads);
  const xp_simt_dialect_t* d = g_dialect;
  size_t st = size_t(k->shared_end - k->shared_begin) + size_t(__stop_xp_shared - __start_xp_shared);
  if (st > d->static_shared_max)
    xp_fault("capacity", "kernel %s uses %zu bytes of static __shared__ memory; the %s limit is %zu bytes per block",
             k->name, st, d->name, d->static_shared_max);
  size_t total = st + g_shmem;
  size_t optin = attr_max_dynamic(g_kernel);
  if (d->shared_optin_max > d->shared_default_max && optin) {
    if (g_shmem > optin)
      xp_fault("capacity",
               "kernel %s is launched with %zu bytes of dynamic shared memory, more than the %zu bytes set with "
               "%sFuncSetAttribute(..., MaxDynamicSharedMemorySize, ...)",
               k->name, g_shmem, optin, d->api);
    if (total > d->shared_optin_max)
      xp_fault("capacity", "kernel %s needs %zu bytes of shared memory (%zu static + %zu dynamic); the %s limit is %zu",
               k->name, total, st, g_shmem, d->name, d->shared_optin_max);
  } else if (total > d->shared_default_max) {
    if (d->shared_optin_max > d->shared_default_max)
      xp_fault("capacity",
               "kernel %s needs %zu bytes of shared memory (%zu static + %zu dynamic); above %zu bytes the kernel "
               "must opt in with %sFuncSetAttribute(kernel, %sFuncAttributeMaxDynamicSharedMemorySize, bytes)",
               k->name, total, st, g_shmem, d->shared_default_max, d->api, d->api);
    xp_fault("capacity", "kernel %s needs %zu bytes of shared memory (%zu static + %zu dynamic); the %s limit is %zu",
             k->name, total, st, g_shmem, d->name, d->shared_default_max);
  }
}

extern "C" void xp_simt_run_cooperative(void (*thunk)(void*), void* closure) {
  const dim3 g = xp_simt.grid_dim, b = xp_simt.block_dim;
  int n = int(b.x * b.y * b.z), W = g_dialect->warp_size;
  g_thunk = thunk, g_closure = closure, g_n = n, g_W = W;
  ensure_stacks(n);
  g_fibers.assign(size_t(n), Fiber{});
  g_warps.assign(size_t((n + W - 1) / W), WarpState{});
  for (int i = 0; i < n; ++i) {
    Fiber& f = g_fibers[size_t(i)];
    f.tx = unsigned(i) % b.x, f.ty = unsigned(i) / b.x % b.y, f.tz = unsigned(i) / (b.x * b.y);
    g_warps[size_t(i / W)].exists |= lane_bit(i % W);
  }
  g_coop = true;
  for (unsigned bz = 0; bz < g.z; ++bz)
    for (unsigned by = 0; by < g.y; ++by)
      for (unsigned bx = 0; bx < g.x; ++bx) {
        xp_simt.block_idx = uint3{bx, by, bz};
        for (int i = 0; i < n; ++i) {
          Fiber& f = g_fibers[size_t(i)];
          f.state = F_RUNNABLE, f.coll = nullptr;
          fiber_start(f, g_stacks[size_t(i)]);
        }
        for (auto& w : g_warps) w.waiting = 0, w.exited = 0;
        g_at_barrier = 0, g_done = 0;
        while (g_done < n) {  // one sweep: the runnable fibers in thread order, each until it blocks
          int i = 0;
          while (i < n && g_fibers[size_t(i)].state != F_RUNNABLE) ++i;
          if (i < n) {
            enter(i);
            resume(i);
          } else if (!resolve_implicit()) {
            stall();
          }
        }
      }
  g_coop = false;
}

extern "C" int xp_simt_barrier(int kind, int pred, unsigned line, unsigned col) {
  if (!g_coop) fault_unsupported(barrier_name(kind), line);
  Fiber& f = g_fibers[size_t(g_cur)];
  f.state = F_BARRIER;
  f.bar_kind = kind, f.bar_pred = pred, f.bar_line = line, f.bar_col = col;
  ++g_at_barrier;
  if (g_at_barrier + g_done == g_n) release_barrier();
  else switch_away();
  return f.bar_result;
}

extern "C" void xp_simt_warp_collective(xp_simt_coll* c) {
  if (!g_coop) fault_unsupported(c->what, c->line);
  int w = g_cur / g_W, lane = g_cur % g_W;
  WarpState& ws = g_warps[size_t(w)];
  if (!(c->mask >> lane & 1))
    xp_fault("collective", "%s at line %u: lane %d passes mask 0x%llx, which does not include the lane itself",
             c->what, c->line, lane, (unsigned long long)c->mask);
  if (c->full && ws.exists != (g_W == 64 ? ~uint64_t(0) : lane_bit(g_W) - 1))
    xp_fault("collective",
             "%s at line %u needs all %d lanes of the warp, but warp %d has only %d threads (the block has %d "
             "threads)",
             c->what, c->line, g_W, w, __builtin_popcountll(ws.exists), g_n);
  Fiber& f = g_fibers[size_t(g_cur)];
  f.coll = c;
  f.state = F_WARP;
  ws.waiting |= lane_bit(lane);
  if (!try_complete(w, lane)) switch_away();
}

extern "C" unsigned xp_simt_lane(void) {
  if (g_coop) return unsigned(g_cur % g_W);
  const dim3& b = xp_simt.block_dim;
  const uint3& t = xp_simt.thread_idx;
  unsigned lin = t.x + t.y * b.x + t.z * b.x * b.y;
  return lin % unsigned(g_dialect ? g_dialect->warp_size : 32);
}

extern "C" void xp_simt_warn_undefined_read(const xp_simt_coll* c, int lane, int src) {
  static std::vector<const xp_simt_coll*> seen;  // one warning per (what, line)
  for (auto* o : seen)
    if (o->line == c->line && std::strcmp(o->what, c->what) == 0) return;
  static xp_simt_coll keep[64];
  if (seen.size() < 64) {
    keep[seen.size()] = *c;
    seen.push_back(&keep[seen.size()]);
  }
  xp_warn("collective",
          "%s at line %u: lane %d reads lane %d, which does not take part (exited or not in the mask); the value "
          "is undefined on hardware and poisoned here (all bits set)",
          c->what, c->line, lane, src);
}

extern "C" void xp_simt_check_pointer_arg(int index, const void* p) {
  if (!p || xp_gmem_space(p) >= 0) return;
  const char* c = static_cast<const char*>(p);
  if (xp_gmem_space(c - 1) >= 0) return;  // one past the end of a buffer
  if (__executable_start && c >= __executable_start && c < _end) return;  // __device__ / __constant__ data
  xp_fault("memory-space",
           "argument %d of a kernel launch is %p, which is not device memory (host memory cannot be "
           "dereferenced by a kernel: allocate it with %sMalloc and copy the data there)",
           index, p, g_dialect ? g_dialect->api : "cuda");
}

extern "C" void xp_simt_parse_launch(const char* text, dim3* grid, dim3* block, size_t* shmem) {
  if (!text || !*text)
    xp_fault("launch", "a bare kernel needs a launch configuration: grid=X,Y,Z block=X,Y,Z [shmem=BYTES]");
  bool have_grid = false, have_block = false;
  const char* s = text;
  while (*s) {
    while (*s == ' ' || *s == '\t') ++s;
    if (!*s) break;
    const char* eq = strchr(s, '=');
    if (!eq) xp_fault("launch", "malformed launch configuration '%s'", text);
    std::string key(s, size_t(eq - s));
    s = eq + 1;
    unsigned long long v[3] = {1, 1, 1};
    int nv = 0;
    while (nv < 3) {
      char* end;
      v[nv++] = strtoull(s, &end, 10);
      if (end == s) xp_fault("launch", "malformed number in launch configuration '%s'", text);
      s = end;
      if (*s != ',') break;
      ++s;
    }
    if (*s && *s != ' ' && *s != '\t') xp_fault("launch", "malformed launch configuration '%s'", text);
    if (key == "grid") *grid = dim3(unsigned(v[0]), unsigned(v[1]), unsigned(v[2])), have_grid = true;
    else if (key == "block") *block = dim3(unsigned(v[0]), unsigned(v[1]), unsigned(v[2])), have_block = true;
    else if (key == "shmem" && nv == 1) *shmem = size_t(v[0]);
    else xp_fault("launch", "unknown item '%s' in launch configuration '%s' (expected grid=, block=, shmem=)",
                  key.c_str(), text);
  }
  if (!have_grid || !have_block) xp_fault("launch", "launch configuration '%s' needs grid= and block=", text);
}

extern "C" void* xp_simt_dynsmem_register(void (*set)(void*)) {
  if (!g_dyn_slots) g_dyn_slots = new std::vector<void (*)(void*)>();
  g_dyn_slots->push_back(set);
  return g_arena;
}

extern "C" void xp_simt_set_max_dynamic_shared(const void* kernel, size_t bytes) {
  if (!g_attrs) g_attrs = new std::vector<KernelAttr>();
  for (auto& a : *g_attrs)
    if (a.kernel == kernel) {
      a.max_dynamic_shared = bytes;
      return;
    }
  g_attrs->push_back(KernelAttr{kernel, bytes});
}

// ---------------------------------------------------------------- host API helpers
namespace {
const char* space_name(int s) {
  switch (s) {
    case XP_SPACE_ARG: return "a buffer passed in by the caller";
    case XP_SPACE_HOST: return "pinned host memory";
    case XP_SPACE_DEVICE: return "device memory";
    default: return "host memory";
  }
}

const char* kind_name(int kind) {
  static const char* names[] = {"HostToHost", "HostToDevice", "DeviceToHost", "DeviceToDevice", "Default"};
  return kind >= 0 && kind <= 4 ? names[kind] : "?";
}

// want: 0 host side, 1 device side, 2 either (Default).
void check_side(const void* p, size_t n, int want, const char* api, int kind, const char* role) {
  char what[128];
  snprintf(what, sizeof what, "%sMemcpy(%sMemcpy%s) %s", api, api, kind_name(kind), role);
  int s = xp_gmem_space(p);
  if (want == 1) {
    xp_gmem_require(p, n, what);  // not device memory at all, freed, or too short
    if (s == XP_SPACE_HOST)
      xp_fault("memory-space", "%s %p is %s, but the copy direction says device memory", what, p, space_name(s));
  } else if (want == 0 && s == XP_SPACE_DEVICE) {
    xp_fault("memory-space", "%s %p is device memory (from %sMalloc), but the copy direction says host memory", what,
             p, api);
  } else if (s >= 0) {
    xp_gmem_require(p, n, what);
  }
}
}  // namespace

extern "C" int xp_simt_malloc(void** p, size_t bytes, int space, const char* api) {
  if (!p) return 1;
  if (bytes == 0) {
    *p = nullptr;
    return 0;
  }
  static int count;
  char* label = static_cast<char*>(malloc(48));
  snprintf(label, 48, "%s #%d", api, ++count);
  *p = xp_gmem_alloc_space(bytes, label, space);
  return 0;
}

extern "C" int xp_simt_free(void* p, int space, const char* api) {
  if (!p) return 0;
  int s = xp_gmem_space(p);
  if (s >= 0 && s != space)
    xp_fault("invalid-argument", "%s(%p): the pointer is %s, not memory from the matching allocator", api, p,
             space_name(s));
  xp_gmem_free(p);  // faults on foreign pointers, interior pointers and double frees
  return 0;
}

extern "C" int xp_simt_memcpy(void* dst, const void* src, size_t bytes, int kind, const char* api) {
  if (kind < 0 || kind > 4) xp_fault("invalid-argument", "%sMemcpy: invalid copy kind %d", api, kind);
  if (bytes == 0) return 0;
  int dst_side = kind == 1 || kind == 3 ? 1 : kind == 4 ? 2 : 0;
  int src_side = kind == 2 || kind == 3 ? 1 : kind == 4 ? 2 : 0;
  check_side(dst, bytes, dst_side, api, kind, "destination");
  check_side(src, bytes, src_side, api, kind, "source");
  std::memmove(dst, src, bytes);
  return 0;
}

extern "C" int xp_simt_memset(void* p, int value, size_t bytes, const char* api) {
  if (bytes == 0) return 0;
  char what[64];
  snprintf(what, sizeof what, "%sMemset destination", api);
  xp_gmem_require(p, bytes, what);
  std::memset(p, value, bytes);
  return 0;
}

extern "C" void xp_simt_symbol_check(size_t symbol_bytes, size_t bytes, size_t offset, const char* api) {
  if (offset > symbol_bytes || bytes > symbol_bytes - offset)
    xp_fault("out-of-bounds", "%s: %zu bytes at offset %zu overrun the %zu-byte symbol", api, bytes, offset,
             symbol_bytes);
}

extern "C" double xp_simt_now_ms(void) {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return double(t.tv_sec) * 1e3 + double(t.tv_nsec) / 1e6;
}
