// xpiler native runtime: main(), faults, guarded memory. Compiled once per compiler and cached.
//
//   prog --signature            print the entry's parameter signature (see xp_rt.h) and exit 0
//   prog ARGS_FILE OUT_FILE     run the entry once
//
// ARGS_FILE (little endian):  "XPA1" u32 nargs, then per argument
//     u8 kind (0 scalar, 1 buffer)  u8 dtype  u16 0  u32 0  u64 nbytes  bytes[nbytes]
//   then u32 len, launch text[len].
// OUT_FILE:  "XPO1" u32 nbuffers u64 elapsed_ns, then per buffer argument
//     u32 index  u64 nbytes  bytes[nbytes]
// Exit codes: 0 ok, 2 bad arguments file, 4 fault (one "xpiler-fault:" line on stderr).
#include "xp_rt.h"

#include <signal.h>
#include <stdlib.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <vector>

// ---------------------------------------------------------------- faults
static xp_context_fn g_context_hook = nullptr;
extern "C" void xp_set_context_hook(xp_context_fn fn) { g_context_hook = fn; }

static void write_all(int fd, const char* s, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w <= 0) return;
    s += w;
    n -= size_t(w);
  }
}

static void emit(const char* prefix, const char* kind, const char* fmt, va_list ap) {
  char msg[1536];
  int k = snprintf(msg, sizeof msg, "%s: %s: ", prefix, kind);
  if (k < 0) k = 0;
  int m = vsnprintf(msg + k, sizeof msg - size_t(k), fmt, ap);
  size_t len = size_t(k) + (m < 0 ? 0 : size_t(m));
  if (len >= sizeof msg) len = sizeof msg - 1;
  if (g_context_hook) {
    char ctx[256];
    ctx[0] = 0;
    g_context_hook(ctx, sizeof ctx);
    if (ctx[0] && len + 4 < sizeof msg) {
      int c = snprintf(msg + len, sizeof msg - len, " [%s]", ctx);
      if (c > 0) len += size_t(c);
      if (len >= sizeof msg) len = sizeof msg - 1;
    }
  }
  msg[len++] = '\n';
  fflush(stdout);
  write_all(2, msg, len);
}

extern "C" [[noreturn]] void xp_fault(const char* kind, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit("xpiler-fault", kind, fmt, ap);
  va_end(ap);
  _exit(4);
}

extern "C" void xp_warn(const char* kind, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit("xpiler-warning", kind, fmt, ap);
  va_end(ap);
}

// ---------------------------------------------------------------- guarded memory
namespace {
const size_t kPage = 4096;
// Padding bytes: writes into them are caught when the buffer is checked or freed; a read of them (a 16-byte
// load over the end of an unaligned-length buffer) sees -1.7e38 in float, -5.3e303 in double, NaN in half and
// -16843010 in int32: values that show in the results (and that arithmetic does not write back unchanged,
// as it would a NaN, so a store of a value computed from them is still caught).
const unsigned char kCanary = 0xFE;

struct Region {
  char* map;       // start of the mapping (a guard page)
  size_t map_len;  // whole mapping, both guard pages included
  char* user;      // pointer handed out
  size_t size;     // bytes requested
  char* rw_end;    // end of the read-write pages (start of the tail guard page)
  const char* label;
  int space;
  bool live;
  bool stack;
};

std::vector<Region>* g_regions;  // never freed; looked up from the signal handler
std::atomic_flag g_lock = ATOMIC_FLAG_INIT;
struct Lock {
  Lock() {
    while (g_lock.test_and_set(std::memory_order_acquire)) {
    }
  }
  ~Lock() { g_lock.clear(std::memory_order_release); }
};

size_t round_up(size_t x, size_t a) { return (x + a - 1) / a * a; }

Region* find_region(const void* p) {  // caller holds the lock (or is the signal handler)
  if (!g_regions) return nullptr;
  const char* c = static_cast<const char*>(p);
  for (auto it = g_regions->rbegin(); it != g_regions->rend(); ++it)
    if (c >= it->map && c < it->map + it->map_len) return &*it;
  return nullptr;
}
}  // namespace

extern "C" void* xp_gmem_alloc(size_t bytes, const char* label) {
  return xp_gmem_alloc_space(bytes, label, XP_SPACE_ARG);
}

// The least alignment of a buffer's start. A program that reads or writes its buffers through wider vector
// types (`reinterpret_cast<const float4*>(A)`) defines this as 16 (see runner.py): device allocators give
// 256-byte aligned memory and such code relies on it, so a 404-byte buffer must not start 4-aligned.
extern "C" __attribute__((weak)) unsigned xp_gmem_min_align = 1;

extern "C" void* xp_gmem_alloc_space(size_t bytes, const char* label, int space) {
  // The buffer ends exactly at the guard page whenever its size allows natural alignment: the start is
  // aligned to the largest power of two (at most XP_GMEM_ALIGN) dividing the size, so a 4000-byte float
  // buffer starts 32-byte aligned and its first byte past the end already faults. Any padding left (a size
  // that is not a multiple of xp_gmem_min_align, and zero-byte buffers) holds a canary.
  size_t align = XP_GMEM_ALIGN;
  while (align > 1 && bytes % align) align >>= 1;
  if (align < xp_gmem_min_align && xp_gmem_min_align <= XP_GMEM_ALIGN) align = xp_gmem_min_align;
  size_t body = round_up(bytes == 0 ? 1 : bytes, align);
  size_t rw = round_up(body, kPage);
  size_t len = rw + 2 * kPage;
  void* m = mmap(nullptr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) xp_fault("capacity", "cannot allocate %zu bytes of global memory for %s", bytes, label);
  char* base = static_cast<char*>(m);
  if (mprotect(base + kPage, rw, PROT_READ | PROT_WRITE) != 0)
    xp_fault("capacity", "cannot allocate %zu bytes of global memory for %s", bytes, label);
  char* rw_end = base + kPage + rw;
  char* user = rw_end - body;
  std::memset(user + bytes, kCanary, body - bytes);
  // Fresh device and host allocations hold zeros (mmap); XPILER_ALLOC_FILL=<byte> fills them instead, so
  // that the Tester can tell a program whose results depend on memory it never wrote (real allocators
  // return whatever was there) from one that writes everything it reads back.
  if (space != XP_SPACE_ARG) {
    static const char* fill = getenv("XPILER_ALLOC_FILL");
    if (fill && *fill) std::memset(user, static_cast<int>(strtol(fill, nullptr, 0)) & 0xff, bytes);
  }
  Lock l;
  if (!g_regions) g_regions = new std::vector<Region>();
  g_regions->push_back(Region{base, len, user, bytes, rw_end, label ? label : "buffer", space, true, false});
  return user;
}

extern "C" void xp_gmem_free(void* p) {
  if (!p) return;
  Lock l;
  Region* r = find_region(p);
  if (!r || r->stack || r->user != p)
    xp_fault("invalid-argument", "free of a pointer that is not the start of a global buffer (%p)", p);
  if (!r->live) xp_fault("invalid-argument", "double free of global buffer %s", r->label);
  // Check the padding before the memory goes away, then keep the pages as a PROT_NONE
  // quarantine so that a later use of the freed buffer faults with a clear message.
  for (char* c = r->user + r->size; c < r->rw_end; ++c)
    if (static_cast<unsigned char>(*c) != kCanary)
      xp_fault("out-of-bounds", "write %zd bytes past the end of global buffer %s (%zu bytes)",
               c - (r->user + r->size) + 1, r->label, r->size);
  mprotect(r->map, r->map_len, PROT_NONE);
  r->live = false;
}

extern "C" int xp_gmem_lookup(const void* p, void** base, size_t* size, const char** label) {
  Lock l;
  Region* r = find_region(p);
  const char* c = static_cast<const char*>(p);
  if (!r || r->stack || !r->live || c < r->user || c >= r->user + (r->size ? r->size : 1)) return 0;
  if (base) *base = r->user;
  if (size) *size = r->size;
  if (label) *label = r->label;
  return 1;
}

extern "C" int xp_gmem_space(const void* p) {
  Lock l;
  Region* r = find_region(p);
  const char* c = static_cast<const char*>(p);
  if (!r || r->stack || !r->live || c < r->user || c >= r->user + (r->size ? r->size : 1)) return -1;
  return r->space;
}

extern "C" void xp_gmem_require(const void* p, size_t bytes, const char* what) {
  Lock l;
  Region* r = find_region(p);
  const char* c = static_cast<const char*>(p);
  if (!r || r->stack)
    xp_fault("memory-space", "%s: %p is not a global (device) buffer", what, p);
  if (!r->live) xp_fault("out-of-bounds", "%s: global buffer %s was already freed", what, r->label);
  if (c < r->user)
    xp_fault("out-of-bounds", "%s: starts %zd bytes before global buffer %s", what, r->user - c, r->label);
  if (c + bytes > r->user + r->size)
    xp_fault("out-of-bounds", "%s: %zu bytes at offset %zd overrun global buffer %s (%zu bytes)", what,
             bytes, c - r->user, r->label, r->size);
}

extern "C" void xp_gmem_check(void) {
  Lock l;
  if (!g_regions) return;
  for (auto& r : *g_regions) {
    if (!r.live || r.stack) continue;
    for (char* c = r.user + r.size; c < r.rw_end; ++c)
      if (static_cast<unsigned char>(*c) != kCanary)
        xp_fault("out-of-bounds", "write %zd bytes past the end of global buffer %s (%zu bytes)",
                 c - (r.user + r.size) + 1, r.label, r.size);
  }
}

extern "C" void* xp_stack_alloc(size_t bytes) {
  size_t rw = round_up(bytes, kPage);
  size_t len = rw + kPage;
  void* m = mmap(nullptr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) xp_fault("capacity", "cannot allocate a %zu-byte thread stack", bytes);
  char* base = static_cast<char*>(m);
  mprotect(base + kPage, rw, PROT_READ | PROT_WRITE);
  Lock l;
  if (!g_regions) g_regions = new std::vector<Region>();
  g_regions->push_back(Region{base, len, base + kPage, rw, base + len, "stack", -1, true, true});
  return base + kPage;
}

extern "C" void xp_stack_free(void* p, size_t bytes) {
  Lock l;
  char* base = static_cast<char*>(p) - kPage;
  if (g_regions)
    for (size_t i = 0; i < g_regions->size(); ++i)
      if ((*g_regions)[i].map == base && (*g_regions)[i].stack) {
        munmap(base, (*g_regions)[i].map_len);
        g_regions->erase(g_regions->begin() + long(i));
        return;
      }
  (void)bytes;
}

// ---------------------------------------------------------------- signals
static void on_signal(int sig, siginfo_t* info, void*) {
  if (sig == SIGSEGV || sig == SIGBUS) {
    const char* a = static_cast<const char*>(info->si_addr);
    Region* r = find_region(a);
    if (r && r->stack)
      xp_fault("out-of-bounds", "stack overflow (a thread used more than its %zu-byte stack)", r->size);
    if (r && !r->live)
      xp_fault("out-of-bounds", "access to global buffer %s after it was freed", r->label);
    if (r && a >= r->user + r->size)
      xp_fault("out-of-bounds", "access at byte offset %zd of global buffer %s, which has %zu bytes",
               a - r->user, r->label, r->size);
    if (r && a < r->user)
      xp_fault("out-of-bounds", "access %zd bytes before the start of global buffer %s (%zu bytes)",
               r->user - a, r->label, r->size);
    xp_fault("out-of-bounds", "invalid memory access at address %p (%s)", info->si_addr,
             sig == SIGSEGV ? "segmentation fault" : "bus error");
  }
  if (sig == SIGFPE) xp_fault("arithmetic", "arithmetic exception (integer division by zero or overflow)");
  if (sig == SIGILL)
    xp_fault("unsupported", "illegal instruction (the CPU lacks an instruction the kernel was compiled for)");
  if (sig == SIGABRT) xp_fault("invalid-argument", "the program aborted (assertion or library check failed)");
  _exit(4);
}

static void install_signal_handlers() {
  static char altstack[1 << 16];
  stack_t ss{};
  ss.ss_sp = altstack;
  ss.ss_size = sizeof altstack;
  sigaltstack(&ss, nullptr);
  struct sigaction sa{};
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) sigaction(s, &sa, nullptr);
}

// ---------------------------------------------------------------- main
[[noreturn]] static void bad_args(const char* why) {
  fprintf(stderr, "xpiler-badargs: %s\n", why);
  exit(2);
}

template <class T>
static T read_pod(FILE* f) {
  T v{};
  if (fread(&v, sizeof v, 1, f) != 1) bad_args("truncated arguments file");
  return v;
}

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--signature") == 0) {
    printf("%s\n", xp_entry_signature());
    return 0;
  }
  if (argc != 3) bad_args("usage: prog ARGS_FILE OUT_FILE | prog --signature");
  install_signal_handlers();
  FILE* f = fopen(argv[1], "rb");
  if (!f) bad_args("cannot open the arguments file");
  char magic[4];
  if (fread(magic, 1, 4, f) != 4 || std::memcmp(magic, "XPA1", 4) != 0) bad_args("not an xpiler arguments file");
  uint32_t n = read_pod<uint32_t>(f);
  if (n > 4096) bad_args("too many arguments");
  std::vector<void*> args(n);
  std::vector<uint64_t> sizes(n);
  std::vector<uint8_t> kinds(n);
  static char labels[4096][16];
  for (uint32_t i = 0; i < n; ++i) {
    kinds[i] = read_pod<uint8_t>(f);
    (void)read_pod<uint8_t>(f);
    (void)read_pod<uint16_t>(f);
    (void)read_pod<uint32_t>(f);
    sizes[i] = read_pod<uint64_t>(f);
    snprintf(labels[i], sizeof labels[i], "arg%u", i);
    void* p = kinds[i] ? xp_gmem_alloc(sizes[i], labels[i]) : std::calloc(1, sizes[i] < 16 ? 16 : sizes[i]);
    if (sizes[i] && fread(p, 1, sizes[i], f) != sizes[i]) bad_args("truncated arguments file");
    args[i] = p;
  }
  uint32_t ll = read_pod<uint32_t>(f);
  std::string launch(ll, '\0');
  if (ll && fread(&launch[0], 1, ll, f) != ll) bad_args("truncated arguments file");
  fclose(f);

  if (xp_dialect_init) xp_dialect_init();
  timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  xp_entry(args.data(), launch.c_str());
  clock_gettime(CLOCK_MONOTONIC, &t1);
  if (xp_dialect_fini) xp_dialect_fini();
  xp_gmem_check();
  fflush(stdout);

  uint64_t ns = uint64_t(t1.tv_sec - t0.tv_sec) * 1000000000ull + uint64_t(t1.tv_nsec - t0.tv_nsec);
  FILE* o = fopen(argv[2], "wb");
  if (!o) bad_args("cannot write the output file");
  uint32_t nb = 0;
  for (uint32_t i = 0; i < n; ++i) nb += kinds[i];
  fwrite("XPO1", 1, 4, o);
  fwrite(&nb, 4, 1, o);
  fwrite(&ns, 8, 1, o);
  for (uint32_t i = 0; i < n; ++i) {
    if (!kinds[i]) continue;
    fwrite(&i, 4, 1, o);
    fwrite(&sizes[i], 8, 1, o);
    if (sizes[i]) fwrite(args[i], 1, sizes[i], o);
  }
  if (fclose(o) != 0) bad_args("cannot write the output file");
  return 0;
}
