// BANG runtime core: memory spaces and their checks, launches (plain and cooperative), barriers,
// data movement, CNRT host API. The typed __bang_* computations live in xp_bang_ops.cpp.
//
// Memory spaces. __nram__/__wram__/__mlu_shared__/__ldram__ objects are statics in the ELF sections
// xp_nram/xp_wram/xp_sram/xp_ldram (see xp_bang.h). At start-up the runtime reads the executable's own symbol
// table (/proc/self/exe) to learn each object's address and size, checks the total size of each section
// against the capacity of the selected generation ("capacity" fault), and snapshots the sections' initial
// contents. Each emulated core owns a private copy of the NRAM/WRAM/LDRAM sections (each cluster one of the
// SRAM section); the copy of the core (cluster) that runs is the one in the section, swapped on change.
//
// Launch model. Block: task t runs on physical core t % (clusters*cores) (waves), clusterDim = 0.
// UnionN: each run of N*coreDim consecutive taskIdX values (same taskIdY/Z) is one union job on N clusters;
// clusterId = (taskIdX / coreDim) % N, coreId = taskIdX % coreDim. dim.x must be a multiple of N*coreDim.
// Plain mode runs tasks one after another. Cooperative mode (XP_BANG_COOPERATIVE) runs the tasks of one union
// job as fibers that switch only at barriers; when no fiber can run and some wait, that is a deadlock.
// The MPU (memory core) of each cluster is not emulated: barriers count the compute cores, __is_mpu() is 0.
#include "xp_bang_internal.h"

#include <cxxabi.h>
#include <elf.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

xpb_task_t xpb_task;

extern "C" char __start_xp_nram[] __attribute__((weak));
extern "C" char __stop_xp_nram[] __attribute__((weak));
extern "C" char __start_xp_wram[] __attribute__((weak));
extern "C" char __stop_xp_wram[] __attribute__((weak));
extern "C" char __start_xp_sram[] __attribute__((weak));
extern "C" char __stop_xp_sram[] __attribute__((weak));
extern "C" char __start_xp_ldram[] __attribute__((weak));
extern "C" char __stop_xp_ldram[] __attribute__((weak));

namespace xpb {
namespace {

struct Obj {
  char* lo;
  size_t size;
  std::string name;
};

// One on-chip (or LDRAM) space: a section, its objects, and the private copies of every core/cluster.
struct Arena {
  const char* label = "";
  const char* section = "";
  int space = S_OTHER;
  bool per_cluster = false;
  char* lo = nullptr;
  char* hi = nullptr;
  long long capacity = 0;  // 0: not checked
  std::vector<Obj> objs;   // sorted by address
  std::vector<char> init;  // contents at start-up (static initializers)
  std::vector<std::vector<char>> copies;
  int resident = -1;  // owner (core or cluster index) of what the section holds now
  size_t size() const { return size_t(hi - lo); }
};

struct Pending {  // an __memcpy_async operand not yet retired by a __sync_*
  const char* lo;
  const char* hi;
  bool written;  // the copy's destination (else its source)
  int queue;
  const char* op;
  xp_loc loc;
};

struct Fiber;

struct State {
  bool inited = false;
  xpb_facts f{};
  int check = 1;  // 0 off, 1 warn, 2 strict
  bool poison = false;
  bool rhs_nk = false;
  Arena arena[6];
  std::vector<Obj> funcs;  // for naming the kernel in messages
  long long bias = 0;
  // the running task
  bool in_kernel = false;
  bool union_job = false;
  int phys_core = 0, phys_cluster = 0, job_cluster_base = 0;
  const void* kernel = nullptr;
  const char* op = nullptr;
  xp_loc op_loc{nullptr, 0};
  std::vector<Pending>* pending = nullptr;
  std::vector<Pending> plain_pending;
  // soft-rule warnings already printed
  std::vector<std::string> warned;
  int warnings = 0;
  // cooperative scheduling
  Fiber* cur = nullptr;
};
State g;

const char* kSpaceNames[] = {"host memory", "GDRAM", "NRAM", "WRAM", "SRAM", "LDRAM"};

long long parse_bytes(const char* s, const char* what) {
  char* end = nullptr;
  double v = strtod(s, &end);
  if (end == s || v < 0) xp_fault("invalid-argument", "%s=%s is not a byte count", what, s);
  if (*end == 'k' || *end == 'K') v *= 1024, ++end;
  else if (*end == 'm' || *end == 'M') v *= 1024 * 1024, ++end;
  if (*end == 'i' || *end == 'B' || *end == 'b') ++end;
  return (long long)v;
}

int check_level(const char* s) {
  if (!strcmp(s, "off")) return 0;
  if (!strcmp(s, "warn")) return 1;
  if (!strcmp(s, "strict")) return 2;
  xp_fault("invalid-argument", "XP_BANG_CHECK must be off, warn or strict (got '%s')", s);
}

std::string demangle(const char* name) {
  int status = 0;
  char* d = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string r = (status == 0 && d) ? d : name;
  free(d);
  // static locals demangle as "kernel(float*)::buf": keep the function name, drop its parameter list
  size_t p = r.find(")::");
  if (p != std::string::npos) {
    size_t open = r.rfind('(', p);
    if (open != std::string::npos) r = r.substr(0, open) + r.substr(p + 1);
  }
  return r;
}

// Read the executable's section headers and symbol table; fill the arenas' object lists.
void read_symbols() {
  int fd = open("/proc/self/exe", O_RDONLY);
  if (fd < 0) return;
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
    close(fd);
    return;
  }
  void* m = mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (m == MAP_FAILED) return;
  const char* base = static_cast<const char*>(m);
  const Elf64_Ehdr* eh = reinterpret_cast<const Elf64_Ehdr*>(base);
  if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shoff == 0) {
    munmap(m, size_t(st.st_size));
    return;
  }
  const Elf64_Shdr* sh = reinterpret_cast<const Elf64_Shdr*>(base + eh->e_shoff);
  const char* shstr = base + sh[eh->e_shstrndx].sh_offset;
  int sec_of_space[6] = {-1, -1, -1, -1, -1, -1};
  const Elf64_Shdr* symtab = nullptr;
  for (int i = 0; i < eh->e_shnum; ++i) {
    const char* nm = shstr + sh[i].sh_name;
    for (int s = S_NRAM; s <= S_LDRAM; ++s)
      if (g.arena[s].lo && !strcmp(nm, g.arena[s].section)) {
        sec_of_space[s] = i;
        g.bias = (long long)reinterpret_cast<uintptr_t>(g.arena[s].lo) - (long long)sh[i].sh_addr;
      }
    if (sh[i].sh_type == SHT_SYMTAB) symtab = &sh[i];
  }
  if (symtab) {
    // without an on-chip section, learn the load bias from a function of this file
    if (sec_of_space[S_NRAM] < 0 && sec_of_space[S_WRAM] < 0 && sec_of_space[S_SRAM] < 0 && sec_of_space[S_LDRAM] < 0)
      g.bias = -1;
    const Elf64_Sym* sym = reinterpret_cast<const Elf64_Sym*>(base + symtab->sh_offset);
    const char* str = base + sh[symtab->sh_link].sh_offset;
    size_t n = symtab->sh_size / sizeof(Elf64_Sym);
    for (size_t i = 0; i < n; ++i) {
      int type = ELF64_ST_TYPE(sym[i].st_info);
      if (sym[i].st_size == 0) continue;
      if (type == STT_FUNC) {
        g.funcs.push_back(Obj{reinterpret_cast<char*>(sym[i].st_value), sym[i].st_size, str + sym[i].st_name});
        continue;
      }
      if (type != STT_OBJECT) continue;
      for (int s = S_NRAM; s <= S_LDRAM; ++s)
        if (sec_of_space[s] >= 0 && sym[i].st_shndx == sec_of_space[s])
          g.arena[s].objs.push_back(
              Obj{reinterpret_cast<char*>(sym[i].st_value + g.bias), sym[i].st_size, demangle(str + sym[i].st_name)});
    }
  }
  munmap(m, size_t(st.st_size));
  if (g.bias == -1) {  // find our own function in the table to get the bias
    g.bias = 0;
    for (auto& fn : g.funcs)
      if (fn.name == "xpb_compiled_facts") g.bias = (long long)(reinterpret_cast<char*>(&xpb_compiled_facts) - fn.lo);
  }
  for (auto& fn : g.funcs) fn.lo += g.bias;
  for (int s = S_NRAM; s <= S_LDRAM; ++s) {
    Arena& a = g.arena[s];
    std::sort(a.objs.begin(), a.objs.end(), [](const Obj& x, const Obj& y) { return x.lo < y.lo; });
    a.objs.erase(std::unique(a.objs.begin(), a.objs.end(), [](const Obj& x, const Obj& y) { return x.lo == y.lo; }),
                 a.objs.end());
    if (a.lo && a.objs.empty() && a.hi > a.lo)  // stripped executable: the section is one object
      a.objs.push_back(Obj{a.lo, a.size(), std::string("<") + a.label + " section>"});
  }
}

std::string human(long long b) {
  char buf[64];
  if (b % (1024 * 1024) == 0) snprintf(buf, sizeof buf, "%lld MiB", b / (1024 * 1024));
  else if (b % 1024 == 0) snprintf(buf, sizeof buf, "%lld KiB", b / 1024);
  else snprintf(buf, sizeof buf, "%lld bytes", b);
  return buf;
}

void check_capacity(const Arena& a, long long reserve) {
  if (!a.capacity || !a.lo) return;
  long long used = (long long)a.size();
  long long cap = a.capacity - reserve;
  if (used <= cap) return;
  std::vector<const Obj*> big;
  for (auto& o : a.objs) big.push_back(&o);
  std::sort(big.begin(), big.end(), [](const Obj* x, const Obj* y) { return x->size > y->size; });
  std::string top;
  for (size_t i = 0; i < big.size() && i < 4; ++i)
    top += (i ? ", " : "") + big[i]->name + " (" + std::to_string(big[i]->size) + " B)";
  xp_fault("capacity", "the %s objects take %lld bytes (%s) but %s %s holds %s per %s%s%s; largest: %s", a.label,
           used, human(used).c_str(), g.f.generation, a.label, human(cap).c_str(), a.per_cluster ? "cluster" : "core",
           reserve ? " after the stack reserve of " : "", reserve ? human(reserve).c_str() : "", top.c_str());
}

void context_hook(char* buf, size_t n) {
  size_t k = 0;
  if (g.op) {
    int w = snprintf(buf, n, "at %s:%d in %s", g.op_loc.file ? g.op_loc.file : "?", g.op_loc.line, g.op);
    k = w > 0 ? size_t(w) : 0;
  }
  if (g.in_kernel && k < n) {
    std::string kname = "kernel";
    const char* kp = static_cast<const char*>(g.kernel);
    for (auto& fn : g.funcs)
      if (kp >= fn.lo && kp < fn.lo + fn.size) kname = demangle(fn.name.c_str());
    snprintf(buf + k, n - k, "%s%s: taskId %d (x=%d y=%d z=%d), cluster %d core %d", k ? "; " : "", kname.c_str(),
             xpb_task.task_id, xpb_task.task_id_x, xpb_task.task_id_y, xpb_task.task_id_z, xpb_task.cluster_id,
             xpb_task.core_id);
  }
}

const Obj* find_obj(const Arena& a, const char* p) {
  auto it = std::upper_bound(a.objs.begin(), a.objs.end(), p, [](const char* x, const Obj& o) { return x < o.lo; });
  if (it == a.objs.begin()) return nullptr;
  --it;
  return p < it->lo + it->size ? &*it : nullptr;
}

std::string describe(const void* p) {
  const char* c = static_cast<const char*>(p);
  char buf[512];
  if (!p) return "a null pointer";
  int s = space_of(p);
  if (s == S_GDRAM) {
    void* base = nullptr;
    size_t size = 0;
    const char* label = nullptr;
    xp_gmem_lookup(p, &base, &size, &label);
    snprintf(buf, sizeof buf, "GDRAM buffer %s+%zd (%zu bytes)", label, c - static_cast<char*>(base), size);
    return buf;
  }
  if (s >= S_NRAM) {
    const Obj* o = find_obj(g.arena[s], c);
    if (o) snprintf(buf, sizeof buf, "%s object '%s'+%zd (%zu bytes)", kSpaceNames[s], o->name.c_str(), c - o->lo, o->size);
    else snprintf(buf, sizeof buf, "%s (padding between objects)", kSpaceNames[s]);
    return buf;
  }
  int hs = xp_gmem_space(p);
  if (hs == XP_SPACE_HOST) return "host memory (cnrtMallocHost)";
  snprintf(buf, sizeof buf, "host memory %p (a local, global or heap object, not an MLU memory space)", p);
  return buf;
}

// A pointer outside `space` that lies just past (or before) an object of it is most likely an out-of-bounds
// pointer into that object rather than a pointer into the wrong space: say so. (Fault path only.)
[[noreturn]] void wrong_space(int space, const void* p, const char* op, const char* what) {
  const char* c = static_cast<const char*>(p);
  const long long kNear = 1 << 16;
  if (space == S_GDRAM) {
    for (long long d = 1; d <= kNear; d *= 2) {
      void* base = nullptr;
      size_t size = 0;
      const char* label = nullptr;
      if (xp_gmem_lookup(c - d, &base, &size, &label) && xp_gmem_space(c - d) != XP_SPACE_HOST)
        xp_fault("out-of-bounds", "%s: %s starts %lld bytes past the end of GDRAM buffer %s (%zu bytes)", op, what,
                 (long long)(c - (static_cast<char*>(base) + size)), label, size);
      if (xp_gmem_lookup(c + d, &base, &size, &label) && xp_gmem_space(c + d) != XP_SPACE_HOST)
        xp_fault("out-of-bounds", "%s: %s starts %lld bytes before GDRAM buffer %s (%zu bytes)", op, what,
                 (long long)(static_cast<char*>(base) - c), label, size);
    }
  } else if (space >= S_NRAM && g.arena[space].lo && !g.arena[space].objs.empty()) {
    // (a pointer to the start of an object of another space is that object: a genuine wrong-space operand)
    int actual = space_of(p);
    const Obj* own = actual >= S_NRAM ? find_obj(g.arena[actual], c) : nullptr;
    if (own && own->lo == c)
      xp_fault("memory-space", "%s: %s must be in %s, but it is %s", op, what, kSpaceNames[space], describe(p).c_str());
    const Arena& a = g.arena[space];
    const Obj& last = a.objs.back();
    if (c >= a.hi && c - a.hi < kNear)
      xp_fault("out-of-bounds", "%s: %s lies %lld bytes past the end of %s object '%s' (%zu bytes), the last %s object",
               op, what, (long long)(c - (last.lo + last.size)), a.label, last.name.c_str(), last.size, a.label);
    if (c < a.lo && a.lo - c <= kNear)
      xp_fault("out-of-bounds", "%s: %s lies %lld bytes before %s object '%s', the first %s object", op, what,
               (long long)(a.objs.front().lo - c), a.label, a.objs.front().name.c_str(), a.label);
  }
  xp_fault("memory-space", "%s: %s must be in %s, but it is %s", op, what, kSpaceNames[space], describe(p).c_str());
}

void check_async(const void* p, long long bytes, const char* op, const char* role, bool write) {
  const char* lo = static_cast<const char*>(p);
  const char* hi = lo + bytes;
  for (auto& e : *g.pending) {
    if (!(lo < e.hi && e.lo < hi)) continue;
    if (e.written)
      soft(R_ASYNC, op, "%s %s an operand of the %s at %s:%d before the __sync_* that completes it", role,
           write ? "overwrites the destination of" : "reads the destination of", e.op, e.loc.file, e.loc.line);
    else if (write)
      soft(R_ASYNC, op, "%s overwrites the source of the %s at %s:%d before the __sync_* that completes it", role,
           e.op, e.loc.file, e.loc.line);
  }
}

void activate(Arena& a, int owner) {
  if (a.resident == owner || a.size() == 0) return;
  size_t n = a.size();
  if ((int)a.copies.size() <= owner) a.copies.resize(size_t(owner) + 1);
  if (a.resident >= 0) {
    auto& out = a.copies[size_t(a.resident)];
    out.assign(a.lo, a.lo + n);
  }
  auto& in = a.copies[size_t(owner)];
  if (in.empty()) in = a.init;
  memcpy(a.lo, in.data(), n);
  a.resident = owner;
}

// Make the on-chip memories those of physical core `core` in cluster `cluster`.
void enter_core(int core, int cluster) {
  g.phys_core = core;
  g.phys_cluster = cluster;
  activate(g.arena[S_NRAM], core);
  activate(g.arena[S_WRAM], core);
  activate(g.arena[S_LDRAM], core);
  activate(g.arena[S_SRAM], cluster);
}

// ---------------------------------------------------------------- fibers (cooperative mode)
enum { F_RUNNABLE, F_BLOCKED, F_DONE };
struct Fiber {
  ucontext_t ctx;
  void* stack = nullptr;
  int state = F_RUNNABLE;
  xpb_task_t task{};
  int phys_core = 0, phys_cluster = 0;
  int bar_kind = 0, bar_group = 0;
  const char* bar_name = nullptr;
  xp_loc bar_loc{nullptr, 0};
  std::vector<Pending> pending;
};
const size_t kFiberStack = size_t(4) << 20;
ucontext_t g_sched;
void (*g_thunk)(void*) = nullptr;
void* g_closure = nullptr;
std::vector<Fiber*> g_fibers;
struct BarCount {
  int kind, group, arrived;
};
std::vector<BarCount> g_bars;

void fiber_main() {
  g_thunk(g_closure);
  g.cur->state = F_DONE;
  // returning resumes g_sched through uc_link
}

// Out of line: getcontext "returns twice", which would pessimize (and warn about) the caller's locals.
__attribute__((noinline)) void make_fiber(Fiber& f) {
  getcontext(&f.ctx);
  f.ctx.uc_stack.ss_sp = f.stack;
  f.ctx.uc_stack.ss_size = kFiberStack;
  f.ctx.uc_link = &g_sched;
  makecontext(&f.ctx, fiber_main, 0);
}

void switch_to(Fiber* f) {
  g.cur = f;
  enter_core(f->phys_core, f->phys_cluster);
  xpb_task = f->task;
  g.pending = &f->pending;
  g.op = nullptr;
  swapcontext(&g_sched, &f->ctx);
}

int bar_parties(int kind, const Fiber* f) {
  (void)f;
  if (kind == XPB_BAR_CLUSTER || kind == XPB_BAR_IPU_IN_CLUSTER) return xpb_task.core_dim;
  return xpb_task.core_dim * xpb_task.cluster_dim;
}

// Every fiber is blocked or finished: name each barrier that waits, and the cores it waits for.
[[noreturn]] void report_deadlock() {
  std::string msg;
  std::vector<std::pair<int, int>> seen;
  for (Fiber* f : g_fibers) {
    if (f->state != F_BLOCKED) continue;
    std::pair<int, int> key{f->bar_kind, f->bar_group};
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
    seen.push_back(key);
    int arrived = 0;
    for (auto& b : g_bars)
      if (b.kind == key.first && b.group == key.second) arrived = b.arrived;
    char buf[300];
    snprintf(buf, sizeof buf, "%s%s at %s:%d waits for %d cores but only %d arrived; the cores that do not arrive:",
             msg.empty() ? "" : "; ", f->bar_name, f->bar_loc.file, f->bar_loc.line, bar_parties(f->bar_kind, f),
             arrived);
    msg += buf;
    int listed = 0;
    for (Fiber* o : g_fibers) {
      bool party = key.first == XPB_BAR_ALL || o->task.cluster_id == key.second;
      bool waiting_here = o->state == F_BLOCKED && o->bar_kind == key.first && o->bar_group == key.second;
      if (!party || waiting_here) continue;
      if (listed++ == 6) {
        msg += " ...";
        break;
      }
      const char* sep = listed > 1 ? ", " : " ";
      if (o->state == F_DONE)
        snprintf(buf, sizeof buf, "%scluster %d core %d (taskId %d, finished)", sep, o->task.cluster_id,
                 o->task.core_id, o->task.task_id);
      else
        snprintf(buf, sizeof buf, "%scluster %d core %d (taskId %d, waits in %s at %s:%d)", sep, o->task.cluster_id,
                 o->task.core_id, o->task.task_id, o->bar_name, o->bar_loc.file, o->bar_loc.line);
      msg += buf;
    }
  }
  g.in_kernel = false;
  g.op = nullptr;
  xp_fault("deadlock", "a barrier is never reached by all its cores: %s", msg.c_str());
}

void run_job_cooperative(std::vector<Fiber*>& fibers) {
  g_fibers = fibers;
  g_bars.clear();
  size_t next = 0;
  for (;;) {
    Fiber* pick = nullptr;
    for (size_t i = 0; i < fibers.size(); ++i) {
      Fiber* f = fibers[(next + i) % fibers.size()];
      if (f->state == F_RUNNABLE) {
        pick = f;
        next = (next + i + 1) % fibers.size();
        break;
      }
    }
    if (!pick) {
      for (Fiber* f : fibers)
        if (f->state == F_BLOCKED) report_deadlock();
      break;
    }
    switch_to(pick);
  }
  g.cur = nullptr;
}

void set_task(xpb_task_t& t, const Cfg& c, long long id) {
  t.task_dim_x = int(c.x);
  t.task_dim_y = int(c.y);
  t.task_dim_z = int(c.z);
  t.task_dim = int(c.x * c.y * c.z);
  t.task_id = int(id);
  t.task_id_x = int(id % c.x);
  t.task_id_y = int((id / c.x) % c.y);
  t.task_id_z = int(id / (long long)(c.x * c.y));
  t.core_dim = c.cores;
  t.is_mpu = 0;
}

const char* type_name(int n) {
  switch (n) {
    case 0: return "Block";
    case 1: return "Union1";
    case 2: return "Union2";
    case 4: return "Union4";
    case 8: return "Union8";
    case 16: return "Union16";
    default: return "Union?";
  }
}

}  // namespace

// ---------------------------------------------------------------- init, facts, spaces
void ensure_init() {
  if (g.inited) return;
  g.inited = true;
  const xpb_facts* f = xpb_compiled_facts();
  g.f = *f;
  const char* e;
  g.check = check_level((e = getenv("XP_BANG_CHECK")) && *e ? e : g.f.default_check);
  g.poison = (e = getenv("XP_BANG_POISON")) && *e && strcmp(e, "0");
  e = getenv("XP_BANG_MATMUL_RHS");
  if (!e || !*e) e = g.f.matmul_rhs_default;
  if (!strcmp(e, "nk")) g.rhs_nk = true;
  else if (strcmp(e, "kn")) xp_fault("invalid-argument", "XP_BANG_MATMUL_RHS must be kn or nk (got '%s')", e);
  if ((e = getenv("XP_BANG_NRAM")) && *e) g.f.nram = parse_bytes(e, "XP_BANG_NRAM");
  if ((e = getenv("XP_BANG_WRAM")) && *e) g.f.wram = parse_bytes(e, "XP_BANG_WRAM");
  if ((e = getenv("XP_BANG_SRAM")) && *e) g.f.sram = parse_bytes(e, "XP_BANG_SRAM");
  long long reserve = (e = getenv("XP_BANG_NRAM_RESERVE")) && *e ? parse_bytes(e, "XP_BANG_NRAM_RESERVE") : 0;
  struct {
    int s;
    const char* label;
    const char* section;
    char* lo;
    char* hi;
    long long cap;
    bool per_cluster;
  } spec[] = {
      {S_NRAM, "NRAM", "xp_nram", __start_xp_nram, __stop_xp_nram, g.f.nram, false},
      {S_WRAM, "WRAM", "xp_wram", __start_xp_wram, __stop_xp_wram, g.f.wram, false},
      {S_SRAM, "SRAM", "xp_sram", __start_xp_sram, __stop_xp_sram, g.f.sram, true},
      {S_LDRAM, "LDRAM", "xp_ldram", __start_xp_ldram, __stop_xp_ldram, 0, false},
  };
  for (auto& s : spec) {
    Arena& a = g.arena[s.s];
    a.space = s.s;
    a.label = s.label;
    a.section = s.section;
    a.lo = s.lo;
    a.hi = s.lo ? s.hi : s.lo;
    a.capacity = s.cap;
    a.per_cluster = s.per_cluster;
  }
  read_symbols();
  check_capacity(g.arena[S_NRAM], reserve);
  check_capacity(g.arena[S_WRAM], 0);
  check_capacity(g.arena[S_SRAM], 0);
  for (int s = S_NRAM; s <= S_LDRAM; ++s) {
    Arena& a = g.arena[s];
    a.init.assign(a.lo, a.lo + a.size());
    if (g.poison)
      for (auto& o : a.objs) {
        char* b = a.init.data() + (o.lo - a.lo);
        if (std::all_of(b, b + o.size, [](char c) { return c == 0; })) memset(b, 0xFF, o.size);
      }
  }
  g.pending = &g.plain_pending;
  xp_set_context_hook(context_hook);
}

const xpb_facts& facts() {
  ensure_init();
  return g.f;
}

bool matmul_rhs_nk() {
  ensure_init();
  return g.rhs_nk;
}

int space_of(const void* p) {
  const char* c = static_cast<const char*>(p);
  for (int s = S_NRAM; s <= S_LDRAM; ++s)
    if (c >= g.arena[s].lo && c < g.arena[s].hi) return s;
  int gs = xp_gmem_space(p);
  if (gs == XP_SPACE_ARG || gs == XP_SPACE_DEVICE) return S_GDRAM;
  return S_OTHER;
}

OpScope::OpScope(const char* name, const xp_loc& loc) {
  ensure_init();
  g.op = name;
  g.op_loc = loc;
}
OpScope::~OpScope() { g.op = nullptr; }

void need_count(long long n, const char* op, const char* what) {
  if (n <= 0) xp_fault("invalid-argument", "%s: %s must be greater than zero (got %lld)", op, what, n);
}

void need(int space, const void* p, long long bytes, const char* op, const char* role, bool write) {
  int s = space_of(p);
  if (s != space) wrong_space(space, p, op, role);
  const char* c = static_cast<const char*>(p);
  if (s == S_GDRAM) {
    void* base = nullptr;
    size_t size = 0;
    const char* label = nullptr;
    xp_gmem_lookup(p, &base, &size, &label);
    long long off = c - static_cast<char*>(base);
    if (off + bytes > (long long)size)
      xp_fault("out-of-bounds", "%s: %s covers %lld bytes from offset %lld of GDRAM buffer %s, which has %zu bytes",
               op, role, bytes, off, label, size);
  } else {
    const Obj* o = find_obj(g.arena[s], c);
    if (!o)
      xp_fault("out-of-bounds", "%s: %s (%p) points between the %s objects, not into one", op, role, p,
               kSpaceNames[s]);
    long long off = c - o->lo;
    if (off + bytes > (long long)o->size)
      xp_fault("out-of-bounds", "%s: %s covers %lld bytes from offset %lld of %s object '%s', which has %zu bytes", op,
               role, bytes, off, kSpaceNames[s], o->name.c_str(), o->size);
  }
  if (!g.pending->empty()) check_async(p, bytes, op, role, write);
}

bool soft_enabled() { return g.check > 0; }

void soft(int rule, const char* op, const char* fmt, ...) {
  if (g.check == 0) return;
  static const char* kinds[] = {"alignment", "invalid-argument", "invalid-argument"};
  static const char* rules[] = {"alignment", "overlap", "async"};
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (g.check == 2)
    xp_fault(kinds[rule], "%s: %s (XP_BANG_CHECK=strict)", op, msg);
  std::string key = std::string(op) + "|" + rules[rule] + "|" + fmt;
  if (std::find(g.warned.begin(), g.warned.end(), key) != g.warned.end()) return;
  g.warned.push_back(key);
  if (++g.warnings > 16) return;
  xp_warn(rules[rule], "%s: %s%s", op, msg, g.warnings == 16 ? " (further soft-rule warnings are not shown)" : "");
}

void vec_align(const char* op, const void* p, long long bytes, const char* role) {
  if (g.check == 0) return;
  const xpb_facts& f = g.f;
  if (reinterpret_cast<uintptr_t>(p) % uintptr_t(f.vector_addr_align))
    soft(R_ALIGN, op, "%s is not %d-byte aligned (%s)", role, f.vector_addr_align, describe(p).c_str());
  if (bytes % f.nfu_align)
    soft(R_ALIGN, op, "%s spans %lld bytes, not a multiple of %d (the MLU2xx vector rule; MLU3xx accepts it)", role,
         bytes, f.nfu_align);
}

void no_overlap(const char* op, const void* d, long long dn, const void* s, long long sn, const char* role,
                bool same_ok) {
  if (g.check == 0 || !overlap(d, dn, s, sn) || (same_ok && d == s)) return;
  soft(R_OVERLAP, op, "dst overlaps %s (the manual forbids it; the result is computed as if they were disjoint)",
       role);
}

int dt_size(int dt) {
  switch (dt) {
    case XP_F16: case XP_BF16: case XP_I16: case XP_U16: return 2;
    case XP_F32: case XP_I32: case XP_U32: return 4;
    case XP_I8: case XP_U8: case XP_BOOL: return 1;
    case XP_F64: case XP_I64: case XP_U64: return 8;
    default: return 0;
  }
}

const char* dt_name(int dt) {
  switch (dt) {
    case XP_F16: return "half";
    case XP_BF16: return "bfloat16_t";
    case XP_F32: return "float";
    case XP_F64: return "double";
    case XP_I8: return "int8";
    case XP_U8: return "uint8";
    case XP_I16: return "int16";
    case XP_U16: return "uint16";
    case XP_I32: return "int32";
    case XP_U32: return "uint32";
    case XP_I64: return "int64";
    case XP_U64: return "uint64";
    case XP_BOOL: return "bool";
    default: return "an unsupported type";
  }
}

bool dt_is_float(int dt) { return dt == XP_F16 || dt == XP_BF16 || dt == XP_F32 || dt == XP_F64; }

// ---------------------------------------------------------------- launch
void parse_launch(const char* text, Cfg* out) {
  ensure_init();
  long long tasks = -1, clusters = -1, cores = -1;
  long long dx = -1, dy = 1, dz = 1;
  int type = -1;
  std::string t = text ? text : "";
  size_t i = 0;
  while (i < t.size()) {
    while (i < t.size() && isspace((unsigned char)t[i])) ++i;
    size_t j = i;
    while (j < t.size() && !isspace((unsigned char)t[j])) ++j;
    if (j == i) break;
    std::string tok = t.substr(i, j - i);
    i = j;
    size_t eq = tok.find('=');
    if (eq == std::string::npos) xp_fault("launch", "launch text: expected key=value, got '%s'", tok.c_str());
    std::string k = tok.substr(0, eq), v = tok.substr(eq + 1);
    auto num = [&](const std::string& s) {
      char* end = nullptr;
      long long x = strtoll(s.c_str(), &end, 10);
      if (s.empty() || *end || x < 1) xp_fault("launch", "launch text: %s needs a positive integer, got '%s'", k.c_str(), s.c_str());
      return x;
    };
    if (k == "tasks") tasks = num(v);
    else if (k == "clusters") clusters = num(v);
    else if (k == "cores") cores = num(v);
    else if (k == "dim") {
      long long d[3] = {1, 1, 1};
      size_t p = 0;
      for (int a = 0; a < 3 && p <= v.size(); ++a) {
        size_t c = v.find(',', p);
        d[a] = num(v.substr(p, c == std::string::npos ? std::string::npos : c - p));
        if (c == std::string::npos) break;
        p = c + 1;
      }
      dx = d[0], dy = d[1], dz = d[2];
    } else if (k == "type") {
      if (v == "block") type = 0;
      else if (v.rfind("union", 0) == 0) type = int(num(v.substr(5)));
      else xp_fault("launch", "launch text: type must be block or union1..union16, got '%s'", v.c_str());
    } else {
      xp_fault("launch", "launch text: unknown key '%s' (known: tasks, clusters, cores, type, dim)", k.c_str());
    }
  }
  if (dx < 0 && tasks < 0) xp_fault("launch", "launch text '%s' gives neither tasks= nor dim=", t.c_str());
  if (dx < 0) dx = tasks;
  if (tasks >= 0 && tasks != dx * dy * dz)
    xp_fault("launch", "launch text: tasks=%lld but dim=%lld,%lld,%lld has %lld tasks", tasks, dx, dy, dz, dx * dy * dz);
  out->x = unsigned(dx);
  out->y = unsigned(dy);
  out->z = unsigned(dz);
  out->cores = cores > 0 ? int(cores) : g.f.cores_per_cluster;
  // clusters=C without a type: a UnionC launch (C clusters of `cores` cores). With a type it sizes the device.
  if (type < 0) type = clusters > 0 ? int(clusters) : 0;
  out->union_n = type;
  out->device_clusters = std::max<int>(g.f.clusters, clusters > 0 ? int(clusters) : 0);
}

Cfg host_cfg(cnrtDim3_t dim, int ktype) {
  ensure_init();
  Cfg c;
  c.x = dim.x;
  c.y = dim.y;
  c.z = dim.z;
  c.cores = g.f.cores_per_cluster;
  c.device_clusters = g.f.clusters;
  if (ktype == 1) c.union_n = 0;
  else if (ktype == 4 || ktype == 8 || ktype == 16 || ktype == 32 || ktype == 64) c.union_n = ktype / 4;
  else xp_fault("launch", "unknown cnrtFunctionType_t value %d (use cnrtFuncTypeBlock or cnrtFuncTypeUnion1..16)", ktype);
  return c;
}

void launch(const Cfg& c, void (*thunk)(void*), void* closure, const void* kernel) {
  ensure_init();
  if (g.in_kernel) xp_fault("launch", "a kernel launched another kernel (device-side launch is not supported)");
  if (c.x < 1 || c.y < 1 || c.z < 1)
    xp_fault("launch", "launch dimensions must be >= 1 (got %u,%u,%u)", c.x, c.y, c.z);
  int N = c.union_n;
  if (N != 0 && N != 1 && N != 2 && N != 4 && N != 8 && N != 16)
    xp_fault("launch", "a Union launch takes 1, 2, 4, 8 or 16 clusters (got %d)", N);
  if (c.cores < 1) xp_fault("launch", "cores per cluster must be >= 1");
  if (N && c.x % unsigned(N * c.cores))
    xp_fault("launch",
             "%s launch: dim.x = %u is not a multiple of %d (%d cluster%s x %d cores); the guide requires whole "
             "clusters for UnionN tasks",
             type_name(N), c.x, N * c.cores, N, N > 1 ? "s" : "", c.cores);
  if (N > c.device_clusters)
    xp_fault("launch", "%s launch needs %d clusters but the emulated %s has %d", type_name(N), N, g.f.generation,
             c.device_clusters);
  long long total = (long long)c.x * c.y * c.z;
  g.kernel = kernel;
  g.in_kernel = true;
  g.union_job = N != 0;
  if (N == 0) {  // Block: tasks in waves over all physical cores
    int ncores = c.device_clusters * c.cores;
    for (long long t = 0; t < total; ++t) {
      set_task(xpb_task, c, t);
      int phys = int(t % ncores);
      xpb_task.cluster_id = phys / c.cores;
      xpb_task.core_id = phys % c.cores;
      xpb_task.cluster_dim = 0;  // mlu-ops: CLUSTER_DIM_OF_BLOCK
      enter_core(phys, phys / c.cores);
      g.pending = &g.plain_pending;
      g.plain_pending.clear();
      thunk(closure);
    }
  } else {
    int per_job = N * c.cores;
    int unions_on_device = std::max(1, c.device_clusters / N);
    long long jobs = total / per_job;
    std::vector<Fiber> fibers;
    std::vector<Fiber*> fptrs;
    if (g.f.cooperative) {
      fibers.resize(size_t(per_job));
      for (auto& f : fibers) f.stack = xp_stack_alloc(kFiberStack);
    }
    for (long long j = 0; j < jobs; ++j) {
      int base = int(j % unions_on_device) * N;
      g.job_cluster_base = base;
      fptrs.clear();
      for (int k = 0; k < per_job; ++k) {
        long long t = j * per_job + k;  // consecutive taskIdX inside one (y, z) row
        xpb_task_t task;
        set_task(task, c, t);
        task.cluster_id = k / c.cores;
        task.cluster_dim = N;
        task.core_id = k % c.cores;
        int pcluster = base + task.cluster_id;
        int pcore = pcluster * c.cores + task.core_id;
        if (!g.f.cooperative) {
          xpb_task = task;
          enter_core(pcore, pcluster);
          g.pending = &g.plain_pending;
          g.plain_pending.clear();
          thunk(closure);
          continue;
        }
        Fiber& f = fibers[size_t(k)];
        f.state = F_RUNNABLE;
        f.task = task;
        f.phys_core = pcore;
        f.phys_cluster = pcluster;
        f.pending.clear();
        make_fiber(f);
        fptrs.push_back(&f);
      }
      if (g.f.cooperative) {
        g_thunk = thunk;
        g_closure = closure;
        run_job_cooperative(fptrs);
      }
    }
    for (auto& f : fibers) xp_stack_free(f.stack, kFiberStack);
  }
  g.in_kernel = false;
  g.op = nullptr;
  g.pending = &g.plain_pending;
  g.plain_pending.clear();
}

void barrier(int kind, const char* name, const xp_loc& loc) {
  ensure_init();
  OpScope scope(name, loc);
  if (!g.in_kernel) xp_fault("barrier", "%s called outside a kernel", name);
  if (!g.union_job)
    xp_fault("barrier", "%s in a Block task: barriers need a Union launch (cnrtFuncTypeUnionN / clusters=N)", name);
  if (kind == XPB_BAR_ALL_MPU)
    xp_fault("barrier", "%s is a barrier of the memory cores (MPU); a compute core that waits in it never returns",
             name);
  int parties = (kind == XPB_BAR_CLUSTER || kind == XPB_BAR_IPU_IN_CLUSTER) ? xpb_task.core_dim
                                                                              : xpb_task.core_dim * xpb_task.cluster_dim;
  if (parties <= 1) return;
  if (!g.cur)
    xp_fault("barrier",
             "%s needs %d cores to meet, but this program runs tasks one after another (the bang backend defines "
             "XP_BANG_COOPERATIVE when the source names a barrier; it was not defined here)",
             name, parties);
  int group = (kind == XPB_BAR_CLUSTER || kind == XPB_BAR_IPU_IN_CLUSTER) ? xpb_task.cluster_id : 0;
  // a barrier of the cluster and one of all cores are different barriers
  int bkind = (kind == XPB_BAR_IPU_IN_CLUSTER) ? XPB_BAR_CLUSTER : (kind == XPB_BAR_ALL_IPU ? XPB_BAR_ALL : kind);
  BarCount* b = nullptr;
  for (auto& x : g_bars)
    if (x.kind == bkind && x.group == group) b = &x;
  if (!b) {
    g_bars.push_back(BarCount{bkind, group, 0});
    b = &g_bars.back();
  }
  Fiber* me = g.cur;
  me->bar_kind = bkind;
  me->bar_group = group;
  me->bar_name = name;
  me->bar_loc = loc;
  if (++b->arrived == parties) {
    b->arrived = 0;
    for (Fiber* f : g_fibers)
      if (f != me && f->state == F_BLOCKED && f->bar_kind == bkind && f->bar_group == group) f->state = F_RUNNABLE;
    return;
  }
  me->state = F_BLOCKED;
  swapcontext(&me->ctx, &g_sched);
  // resumed by the scheduler after the last party arrived (switch_to restored the task and memories)
}

void pipe_sync(int queues) {
  ensure_init();
  auto& v = *g.pending;
  v.erase(std::remove_if(v.begin(), v.end(), [&](const Pending& p) { return (p.queue & queues) != 0; }), v.end());
}

// ---------------------------------------------------------------- data movement
namespace {
struct DirInfo {
  int src, dst;
};
const DirInfo kDirs[] = {
    {S_GDRAM, S_NRAM},  {S_NRAM, S_GDRAM},  {S_GDRAM, S_WRAM},  {S_WRAM, S_GDRAM},  {S_NRAM, S_WRAM},
    {S_WRAM, S_NRAM},   {S_GDRAM, S_SRAM},  {S_SRAM, S_GDRAM},  {S_SRAM, S_NRAM},   {S_NRAM, S_SRAM},
    {S_SRAM, S_WRAM},   {S_WRAM, S_SRAM},   {S_NRAM, S_NRAM},   {S_GDRAM, S_GDRAM}, {S_SRAM, S_SRAM},
    {S_WRAM, S_WRAM},   {S_GDRAM, S_LDRAM}, {S_LDRAM, S_GDRAM}, {S_NRAM, S_LDRAM},  {S_LDRAM, S_NRAM},
    {S_SRAM, S_LDRAM},  {S_LDRAM, S_SRAM},  {S_WRAM, S_LDRAM},  {S_LDRAM, S_WRAM},  {S_LDRAM, S_LDRAM},
};
const char* kDirNames[] = {"GDRAM2NRAM", "NRAM2GDRAM", "GDRAM2WRAM", "WRAM2GDRAM", "NRAM2WRAM", "WRAM2NRAM",
                           "GDRAM2SRAM", "SRAM2GDRAM", "SRAM2NRAM",  "NRAM2SRAM",  "SRAM2WRAM", "WRAM2SRAM",
                           "NRAM2NRAM",  "GDRAM2GDRAM", "SRAM2SRAM", "WRAM2WRAM",  "GDRAM2LDRAM", "LDRAM2GDRAM",
                           "NRAM2LDRAM", "LDRAM2NRAM", "SRAM2LDRAM", "LDRAM2SRAM", "WRAM2LDRAM", "LDRAM2WRAM",
                           "LDRAM2LDRAM"};

// Extent of a 2-level strided pattern: offsets a*s0 + b*s1 (0<=a<=n0, 0<=b<=n1) of `size`-byte units.
void extent(long long size, long long s0, long long n0, long long s1, long long n1, long long* lo, long long* hi) {
  *lo = std::min(0LL, n0 * s0) + std::min(0LL, n1 * s1);
  *hi = std::max(0LL, n0 * s0) + std::max(0LL, n1 * s1) + size;
}

void check_side(int space, const char* base, long long size, long long s0, long long n0, long long s1, long long n1,
                const char* op, const char* dirname, bool dst) {
  long long lo, hi;
  extent(size, s0, n0, s1, n1, &lo, &hi);
  char role[96];
  snprintf(role, sizeof role, "%s (%s of %s)", dst ? "dst" : "src", dst ? "destination" : "source", dirname);
  int s = space_of(base + lo);
  if (s != space) {
    char what[160];
    snprintf(what, sizeof what, "the %s of %s", dst ? "destination" : "source", dirname);
    wrong_space(space, base + lo, op, what);
  }
  need(space, base + lo, hi - lo, op, role, dst);
}

int queue_of(int src, int dst) {
  if (src == S_GDRAM || dst == S_GDRAM || src == S_LDRAM || dst == S_LDRAM) return XPB_Q_IO;
  if (src == S_NRAM && dst == S_NRAM) return XPB_Q_COMPUTE;
  return XPB_Q_MOVE;
}
}  // namespace

void memcpy_nd(void* dst, const void* src, xpb_cnt size, int dir, const long long* geom, int dst_cluster, bool async,
               const char* name, const xp_loc& loc) {
  OpScope scope(name, loc);
  if (dir < 0 || dir >= int(sizeof kDirs / sizeof kDirs[0]))
    xp_fault("invalid-argument", "%s: unknown copy direction %d", name, dir);
  const DirInfo d = kDirs[dir];
  const char* dname = kDirNames[dir];
  need_count(size, name, "size");
  long long g8[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  if (geom) {
    memcpy(g8, geom, sizeof g8);
    for (int i : {1, 3, 5, 7})
      if (g8[i] < 0 || g8[i] > 65535)
        xp_fault("invalid-argument", "%s: segnum must be in [0, 65535] (got %lld)", name, g8[i]);
    long long nd = (g8[1] + 1) * (g8[3] + 1), ns = (g8[5] + 1) * (g8[7] + 1);
    if (nd != ns)
      xp_fault("invalid-argument", "%s: the destination has %lld segments but the source %lld", name, nd, ns);
    if (g8[3] == 0 && g8[7] == 0 && g8[1] > 0 && g8[0] < size)
      xp_fault("invalid-argument", "%s: dst_stride (%lld) must be >= size (%lld)", name, g8[0], size);
  }
  char* db = static_cast<char*>(dst);
  const char* sb = static_cast<const char*>(src);
  check_side(d.src, sb, size, g8[4], g8[5], g8[6], g8[7], name, dname, false);
  // Cross-cluster SRAM2SRAM (id_dst_cluster): the copy goes to that cluster's private SRAM.
  char* dbase = db;
  if (dst_cluster >= 0) {
    if (d.dst != S_SRAM)
      xp_fault("invalid-argument", "%s: a destination cluster id is only valid for copies into SRAM", name);
    if (!g.in_kernel || !g.union_job || dst_cluster >= xpb_task.cluster_dim)
      xp_fault("invalid-argument", "%s: destination cluster %d does not exist in this launch (clusterDim %d)", name,
               dst_cluster, g.in_kernel ? xpb_task.cluster_dim : 0);
  }
  check_side(d.dst, db, size, g8[0], g8[1], g8[2], g8[3], name, dname, true);
  int target_cluster = dst_cluster >= 0 ? g.job_cluster_base + dst_cluster : -1;
  if (target_cluster >= 0 && target_cluster != g.arena[S_SRAM].resident) {
    Arena& a = g.arena[S_SRAM];
    if ((int)a.copies.size() <= target_cluster) a.copies.resize(size_t(target_cluster) + 1);
    if (a.copies[size_t(target_cluster)].empty()) a.copies[size_t(target_cluster)] = a.init;
    dbase = a.copies[size_t(target_cluster)].data() + (db - a.lo);
  }
  long long nunits = geom ? (g8[5] + 1) * (g8[7] + 1) : 1;
  for (long long u = 0; u < nunits; ++u) {
    long long sa = u % (g8[5] + 1), sbk = u / (g8[5] + 1);
    long long da = u % (g8[1] + 1), dbk = u / (g8[1] + 1);
    const char* s = sb + sa * g8[4] + sbk * g8[6];
    char* t = dbase + da * g8[0] + dbk * g8[2];
    memmove(t, s, size_t(size));
  }
  if (async) {
    int q = queue_of(d.src, d.dst);
    long long lo, hi;
    extent(size, g8[0], g8[1], g8[2], g8[3], &lo, &hi);
    g.pending->push_back(Pending{db + lo, db + hi, true, q, name, loc});
    extent(size, g8[4], g8[5], g8[6], g8[7], &lo, &hi);
    g.pending->push_back(Pending{sb + lo, sb + hi, false, q, name, loc});
  }
}

void move(void* dst, const void* src, xpb_cnt size, const long long* geom, const char* name, const xp_loc& loc) {
  OpScope scope(name, loc);
  need_count(size, name, "size");
  long long g8[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  if (geom) {
    memcpy(g8, geom, sizeof g8);
    if (g8[1] < 0 || g8[1] > 65535) xp_fault("invalid-argument", "%s: segnum must be in [0, 65535] (got %lld)", name, g8[1]);
    if (g8[1] > 0 && g8[0] < size)
      xp_fault("invalid-argument", "%s: dst_stride (%lld) must be >= size (%lld)", name, g8[0], size);
  }
  check_side(S_NRAM, static_cast<const char*>(src), size, g8[4], g8[5], 0, 0, name, "__bang_move", false);
  check_side(S_NRAM, static_cast<char*>(dst), size, g8[0], g8[1], 0, 0, name, "__bang_move", true);
  for (long long u = 0; u <= g8[1]; ++u)
    memmove(static_cast<char*>(dst) + u * g8[0], static_cast<const char*>(src) + u * g8[4], size_t(size));
}

void fill(void* dst, xpb_cnt n, const void* value, int esize, int space, const char* name, const xp_loc& loc) {
  OpScope scope(name, loc);
  need_count(n, name, "the element count");
  need(space, dst, n * esize, name, "dst", true);
  char* d = static_cast<char*>(dst);
  if (esize == 1) {
    memset(d, *static_cast<const unsigned char*>(value), size_t(n));
  } else {
    memcpy(d, value, size_t(esize));
    long long done = 1;
    while (done < n) {  // doubling copies
      long long c = std::min(done, n - done);
      memcpy(d + done * esize, d, size_t(c * esize));
      done += c;
    }
  }
}

void require_scalar(int space, const void* p, int bytes, const char* name, const xp_loc& loc) {
  OpScope scope(name, loc);
  need(space, p, bytes, name, "the address", false);
}

}  // namespace xpb

// ---------------------------------------------------------------- hooks run by xp_main
extern "C" void xp_dialect_init(void) { xpb::ensure_init(); }

// ---------------------------------------------------------------- CNRT host API
namespace {
struct HostObj {
  int kind;
};
int g_mallocs = 0;

bool is_device(const void* p) {
  int s = xp_gmem_space(p);
  return s == XP_SPACE_DEVICE || s == XP_SPACE_ARG;
}

void host_side(const void* p, size_t bytes, const char* what, const char* call) {
  if (xp_gmem_space(p) == XP_SPACE_DEVICE)
    xp_fault("memory-space", "%s: the %s (%p) is device memory from cnrtMalloc, but the direction says host", call,
             what, p);
  if (xp_gmem_space(p) >= 0) xp_gmem_require(p, bytes, what);
}

void device_side(const void* p, size_t bytes, const char* what, const char* call) {
  if (!is_device(p))
    xp_fault("memory-space", "%s: the %s (%p) is not device memory (allocate it with cnrtMalloc)", call, what, p);
  xp_gmem_require(p, bytes, what);
}
}  // namespace

cnrtRet_t cnrtMalloc(void** ptr, size_t bytes) {
  if (!ptr) return cnrtErrorArgsInvalid;
  char* label = static_cast<char*>(malloc(48));
  snprintf(label, 48, "cnrtMalloc#%d(%zu B)", ++g_mallocs, bytes);
  *ptr = xp_gmem_alloc_space(bytes, label, XP_SPACE_DEVICE);
  return cnrtSuccess;
}
cnrtRet_t cnrtMallocHost(void** ptr, size_t bytes) {
  if (!ptr) return cnrtErrorArgsInvalid;
  *ptr = xp_gmem_alloc_space(bytes, "cnrtMallocHost", XP_SPACE_HOST);
  return cnrtSuccess;
}
cnrtRet_t cnrtFree(void* ptr) {
  if (ptr) {
    if (xp_gmem_space(ptr) == XP_SPACE_HOST)
      xp_fault("memory-space", "cnrtFree of host memory from cnrtMallocHost (use cnrtFreeHost)");
    xp_gmem_free(ptr);
  }
  return cnrtSuccess;
}
cnrtRet_t cnrtFreeHost(void* ptr) {
  if (ptr) xp_gmem_free(ptr);
  return cnrtSuccess;
}
cnrtRet_t cnrtMemcpy(void* dst, const void* src, size_t bytes, cnrtMemTransDir_t dir) {
  xpb::ensure_init();
  if (bytes == 0) return cnrtSuccess;
  const char* call = "cnrtMemcpy";
  switch (dir) {
    case cnrtMemcpyHostToDev:
      device_side(dst, bytes, "destination", call);
      host_side(src, bytes, "source", call);
      break;
    case cnrtMemcpyDevToHost:
      device_side(src, bytes, "source", call);
      host_side(dst, bytes, "destination", call);
      break;
    case cnrtMemcpyDevToDev:
    case cnrtMemcpyPeerToPeer:
      device_side(dst, bytes, "destination", call);
      device_side(src, bytes, "source", call);
      break;
    case cnrtMemcpyHostToHost:
      host_side(dst, bytes, "destination", call);
      host_side(src, bytes, "source", call);
      break;
    case cnrtMemcpyNoDirection:
      if (xp_gmem_space(dst) >= 0) xp_gmem_require(dst, bytes, "destination");
      if (xp_gmem_space(src) >= 0) xp_gmem_require(src, bytes, "source");
      break;
    default:
      xp_fault("invalid-argument", "cnrtMemcpy: unknown direction %d", int(dir));
  }
  memmove(dst, src, bytes);
  return cnrtSuccess;
}
cnrtRet_t cnrtMemcpyAsync(void* dst, void* src, size_t bytes, cnrtQueue_t, cnrtMemTransDir_t dir) {
  return cnrtMemcpy(dst, src, bytes, dir);
}
cnrtRet_t cnrtMemset(void* ptr, int value, size_t bytes) {
  if (bytes == 0) return cnrtSuccess;
  device_side(ptr, bytes, "destination", "cnrtMemset");
  memset(ptr, value, bytes);
  return cnrtSuccess;
}
static cnrtRet_t queue_new(cnrtQueue_t* q) {
  if (!q) return cnrtErrorArgsInvalid;
  *q = reinterpret_cast<cnrtQueue_t>(new HostObj{1});
  return cnrtSuccess;
}
static cnrtRet_t queue_del(cnrtQueue_t q) {
  delete reinterpret_cast<HostObj*>(q);
  return cnrtSuccess;
}
cnrtRet_t cnrtQueueCreate(cnrtQueue_t* q) { return queue_new(q); }
cnrtRet_t cnrtQueueDestroy(cnrtQueue_t q) { return queue_del(q); }
cnrtRet_t cnrtCreateQueue(cnrtQueue_t* q) { return queue_new(q); }
cnrtRet_t cnrtDestroyQueue(cnrtQueue_t q) { return queue_del(q); }
cnrtRet_t cnrtQueueSync(cnrtQueue_t) { return cnrtSuccess; }  // launches complete when issued
cnrtRet_t cnrtSyncQueue(cnrtQueue_t) { return cnrtSuccess; }
cnrtRet_t cnrtSyncDevice(void) { return cnrtSuccess; }
cnrtRet_t cnrtInit(unsigned int) { return cnrtSuccess; }
void cnrtDestroy(void) {}
cnrtRet_t cnrtGetDeviceCount(unsigned int* count) {
  if (count) *count = 1;
  return cnrtSuccess;
}
cnrtRet_t cnrtGetDevice(int* dev) {
  if (dev) *dev = 0;
  return cnrtSuccess;
}
cnrtRet_t cnrtSetDevice(int dev) { return dev == 0 ? cnrtSuccess : cnrtErrorArgsInvalid; }
cnrtRet_t cnrtDeviceGetAttribute(int* value, cnrtDeviceAttr_t attr, int) {
  const xpb_facts& f = xpb::facts();
  if (!value) return cnrtErrorArgsInvalid;
  switch (attr) {
    case cnrtAttrClusterCount: *value = f.clusters; break;
    case cnrtAttrMcorePerCluster: *value = f.cores_per_cluster; break;
    case cnrtAttrNramSizePerMcore: *value = int(f.nram); break;
    case cnrtAttrWramSizePerMcore: *value = int(f.wram); break;
    default: return cnrtErrorArgsInvalid;
  }
  return cnrtSuccess;
}
struct xpb_notifier {
  double t;
};
cnrtRet_t cnrtNotifierCreate(cnrtNotifier_t* n) {
  if (!n) return cnrtErrorArgsInvalid;
  *n = new xpb_notifier{0};
  return cnrtSuccess;
}
cnrtRet_t cnrtNotifierDestroy(cnrtNotifier_t n) {
  delete n;
  return cnrtSuccess;
}
cnrtRet_t cnrtPlaceNotifier(cnrtNotifier_t n, cnrtQueue_t) {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  n->t = double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) * 1e-6;
  return cnrtSuccess;
}
cnrtRet_t cnrtNotifierElapsedTime(cnrtNotifier_t a, cnrtNotifier_t b, float* ms) {
  if (ms) *ms = float(b->t - a->t);
  return cnrtSuccess;
}
cnrtRet_t cnrtGetLastError(void) { return cnrtSuccess; }
const char* cnrtGetErrorStr(cnrtRet_t r) {
  switch (r) {
    case cnrtSuccess: return "cnrtSuccess";
    case cnrtErrorArgsInvalid: return "cnrtErrorArgsInvalid";
    case cnrtErrorNoMem: return "cnrtErrorNoMem";
  }
  return "cnrtError";
}
