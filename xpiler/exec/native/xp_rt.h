// xpiler native runtime: the part every executor shares.
//
// A kernel file runs as a native executable built from
//   <dialect runtime header>  (includes this file)
//   #line 1 "<user file>"  + the user's source (launch syntax rewritten)
//   a generated shim defining xp_entry_signature() and xp_entry()
//   xp_main.cpp (compiled once, cached) with main().
//
// Contracts kept here, in one place:
//   * dtype codes (mirrored by xpiler/dtypes.py),
//   * the guarded global-memory allocator (out-of-bounds detection),
//   * fault reporting (exit code 4, one "xpiler-fault:" line on stderr),
//   * parameter signatures derived from the C++ type system (no parsing),
//   * unpacking positional arguments into a call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

// ---------------------------------------------------------------- dtypes
// Keep in sync with xpiler/dtypes.py (a unit test compares them).
enum xp_dtype : int {
  XP_VOID = 0,
  XP_F16 = 1,
  XP_BF16 = 2,
  XP_F32 = 3,
  XP_F64 = 4,
  XP_I8 = 5,
  XP_U8 = 6,
  XP_I16 = 7,
  XP_U16 = 8,
  XP_I32 = 9,
  XP_U32 = 10,
  XP_I64 = 11,
  XP_U64 = 12,
  XP_BOOL = 13,
  XP_OTHER = 99,  // a type the harness cannot marshal (struct, function pointer, ...)
};

// 16-bit float types. Dialect runtimes typedef their spellings (half, __half, bfloat16_t, ...)
// to these so that signatures and conversions agree everywhere.
typedef _Float16 xp_f16;

struct xp_bf16 {
  uint16_t bits;
  xp_bf16() = default;
  xp_bf16(float f) { bits = from_float(f); }
  operator float() const {
    uint32_t u = uint32_t(bits) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
  static uint16_t from_float(float f) {  // round to nearest even, NaN stays NaN
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);
    u += 0x7fffu + ((u >> 16) & 1u);
    return uint16_t(u >> 16);
  }
};

template <class T>
struct xp_dtype_of {
  static constexpr int value = XP_OTHER;
};
#define XP_DTYPE_OF(T, CODE) \
  template <>                \
  struct xp_dtype_of<T> {    \
    static constexpr int value = CODE; \
  };
XP_DTYPE_OF(void, XP_VOID)
XP_DTYPE_OF(xp_f16, XP_F16)
XP_DTYPE_OF(xp_bf16, XP_BF16)
XP_DTYPE_OF(float, XP_F32)
XP_DTYPE_OF(double, XP_F64)
XP_DTYPE_OF(char, XP_I8)  // x86-64: plain char is signed
XP_DTYPE_OF(signed char, XP_I8)
XP_DTYPE_OF(unsigned char, XP_U8)
XP_DTYPE_OF(short, XP_I16)
XP_DTYPE_OF(unsigned short, XP_U16)
XP_DTYPE_OF(int, XP_I32)
XP_DTYPE_OF(unsigned int, XP_U32)
XP_DTYPE_OF(long, XP_I64)
XP_DTYPE_OF(unsigned long, XP_U64)
XP_DTYPE_OF(long long, XP_I64)
XP_DTYPE_OF(unsigned long long, XP_U64)
XP_DTYPE_OF(bool, XP_BOOL)
#undef XP_DTYPE_OF

// ---------------------------------------------------------------- faults
// A fault is what real hardware (or its sanitizer) would report. It ends the process with exit
// code 4 after one line on stderr:  "xpiler-fault: <kind>: <message> [<context>]".
// Kinds: out-of-bounds, memory-space, capacity, alignment, barrier, collective, launch,
//        deadlock, arithmetic, invalid-argument, unsupported.
extern "C" [[noreturn]] void xp_fault(const char* kind, const char* fmt, ...)
    __attribute__((format(printf, 2, 3)));

// Dialect runtimes describe "where execution is" (kernel, block, thread, task) for fault messages.
// The hook writes into buf; it must be async-signal-safe enough (snprintf into buf is fine).
typedef void (*xp_context_fn)(char* buf, size_t n);
extern "C" void xp_set_context_hook(xp_context_fn fn);

// A non-fatal diagnostic ("xpiler-warning: <kind>: <message>") for strict-mode style checks.
extern "C" void xp_warn(const char* kind, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// ---------------------------------------------------------------- guarded memory
// Every global buffer (device malloc, and the buffers the harness passes to a bare kernel or a
// host function) comes from here. The buffer ends flush against a PROT_NONE guard page (up to
// XP_GMEM_ALIGN-1 bytes of canary padding), so a read or write past the end faults at once and
// is reported with the buffer's name (the start is naturally aligned, up to XP_GMEM_ALIGN bytes; see
// xp_gmem_alloc_space); writes into any padding are caught by xp_gmem_check().
#define XP_GMEM_ALIGN 64
// Spaces let API calls check directions (cudaMemcpyHostToDevice with a host destination is a fault).
enum xp_space : int { XP_SPACE_ARG = 0, XP_SPACE_HOST = 1, XP_SPACE_DEVICE = 2 };
// XP_SPACE_ARG: a buffer the harness passed in (usable as host or device memory).
extern "C" void* xp_gmem_alloc(size_t bytes, const char* label);  // space XP_SPACE_ARG
extern "C" void* xp_gmem_alloc_space(size_t bytes, const char* label, int space);
extern "C" void xp_gmem_free(void* p);  // faults on double free / foreign pointer
// If p lies inside a live allocation, returns 1 and its base/size/label.
extern "C" int xp_gmem_lookup(const void* p, void** base, size_t* size, const char** label);
// The space of the live allocation holding p, or -1 when p is not in one.
extern "C" int xp_gmem_space(const void* p);
// Checks every live allocation's canary padding; faults on the first damaged one.
extern "C" void xp_gmem_check(void);
// Faults unless [p, p+bytes) lies inside one live allocation (used by memcpy-like APIs).
extern "C" void xp_gmem_require(const void* p, size_t bytes, const char* what);

// Fiber/thread stacks with guard pages so that a stack overflow is reported as such.
extern "C" void* xp_stack_alloc(size_t bytes);
extern "C" void xp_stack_free(void* p, size_t bytes);

// ---------------------------------------------------------------- signatures
// The harness learns the entry's parameters from the compiled program itself:
//   one token per parameter, "p<code>" (pointer to element type <code>, "c" suffix if const)
//   or "s<code>" (scalar), separated by commas. Example: "p3c,p3,s9" = (const float*, float*, int).
namespace xp {

template <class T>
struct param_code {
  static std::string get() {
    using U = std::remove_cv_t<std::remove_reference_t<T>>;
    if constexpr (std::is_pointer_v<U>) {
      using E = std::remove_pointer_t<U>;
      std::string s = "p" + std::to_string(xp_dtype_of<std::remove_cv_t<E>>::value);
      if (std::is_const_v<E>) s += "c";
      return s;
    } else if constexpr (std::is_enum_v<U>) {
      return "s" + std::to_string(xp_dtype_of<std::underlying_type_t<U>>::value);
    } else {
      return "s" + std::to_string(xp_dtype_of<U>::value);
    }
  }
};

template <class R, class... P>
std::string signature_of(R (*)(P...)) {
  std::string s;
  ((s += (s.empty() ? "" : ","), s += param_code<P>::get()), ...);
  return s;
}

// Argument i of the entry: args[i] points at the buffer (pointer parameters) or at the scalar
// value, already converted by the harness to exactly the parameter's type.
template <class T>
T arg_as(void* a) {
  using U = std::remove_cv_t<std::remove_reference_t<T>>;
  if constexpr (std::is_pointer_v<U>) {
    return reinterpret_cast<U>(a);
  } else {
    U v;
    std::memcpy(static_cast<void*>(&v), a, sizeof(U));
    return v;
  }
}

template <class R, class... P, size_t... I>
auto bind_args_impl(R (*)(P...), void** args, std::index_sequence<I...>) {
  return std::tuple<std::remove_cv_t<std::remove_reference_t<P>>...>(arg_as<P>(args[I])...);
}

// The entry's arguments as a tuple of exactly its parameter types (call with std::apply).
template <class R, class... P>
auto bind_args(R (*f)(P...), void** args) {
  return bind_args_impl(f, args, std::index_sequence_for<P...>{});
}

// Call a host function (plain C entry, extern "C" wrapper) with positional arguments.
template <class R, class... P>
void invoke(R (*f)(P...), void** args) {
  auto t = bind_args(f, args);
  std::apply(f, t);
}

}  // namespace xp

// ---------------------------------------------------------------- the generated shim
// Defined by the generated shim appended to the user's source:
extern "C" const char* xp_entry_signature(void);
// Runs the entry once. `launch` is the launch text ("" for host functions), e.g.
// "grid=4,1,1 block=256,1,1" or "tasks=16 clusters=4 cores=4".
extern "C" void xp_entry(void** args, const char* launch);
// The dialect runtime may supply a hook run once before / after the entry (arena setup,
// capacity checks, leak checks). Weak defaults do nothing.
extern "C" void xp_dialect_init(void) __attribute__((weak));
extern "C" void xp_dialect_fini(void) __attribute__((weak));
