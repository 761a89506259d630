// Internal interface between the two BANG runtime sources (xp_bang_rt.cpp: memory spaces, checks, launch,
// CNRT; xp_bang_ops.cpp: the typed __bang_* computations). Not included by user code.
#pragma once

#define XP_BANG_RUNTIME_IMPL 1
#include "xp_bang.h"

namespace xpb {

enum Space { S_OTHER = 0, S_GDRAM = XPB_SPACE_GDRAM, S_NRAM = XPB_SPACE_NRAM, S_WRAM = XPB_SPACE_WRAM,
             S_SRAM = XPB_SPACE_SRAM, S_LDRAM = XPB_SPACE_LDRAM };

// Soft rules of the manual, reported per XP_BANG_CHECK (off / warn once / strict fault).
enum Rule { R_ALIGN, R_OVERLAP, R_ASYNC };

// The intrinsic being executed (for the fault context line). Scoped: set on entry, cleared on exit.
struct OpScope {
  OpScope(const char* name, const xp_loc& loc);
  ~OpScope();
};

void ensure_init();
const xpb_facts& facts();
int space_of(const void* p);
// Faults unless [p, p+bytes) lies in ONE object of `space` (memory-space / out-of-bounds faults) and,
// while __memcpy_async copies are pending, reports a read of their destination or a write of their source.
void need(int space, const void* p, long long bytes, const char* op, const char* role, bool write);
void need_count(long long n, const char* op, const char* what);  // invalid-argument unless n > 0
void soft(int rule, const char* op, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
bool soft_enabled();
// 2xx vector rule: address % 64 and bytes % 128 (soft R_ALIGN).
void vec_align(const char* op, const void* p, long long bytes, const char* role);
inline bool overlap(const void* a, long long an, const void* b, long long bn) {
  const char* x = static_cast<const char*>(a);
  const char* y = static_cast<const char*>(b);
  return x < y + bn && y < x + an;
}
// Soft R_OVERLAP unless the two operands are disjoint (or, when `same_ok`, start at the same address).
void no_overlap(const char* op, const void* d, long long dn, const void* s, long long sn, const char* role,
                bool same_ok);
int dt_size(int dt);
const char* dt_name(int dt);
bool dt_is_float(int dt);
bool matmul_rhs_nk();

}  // namespace xpb
