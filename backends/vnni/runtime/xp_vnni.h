// Runtime for dialect "vnni": C with AVX-512 / AVX-512 VNNI intrinsics.
// Natively when the CPU has AVX-512 VNNI (the Python backend adds -mavx512vnni & co), otherwise through
// SIMDe's portable implementations of the same intrinsics (XP_VNNI_SIMDE, Debian package libsimde-dev).
#pragma once
#include "xp_c.h"

#ifdef XP_VNNI_SIMDE
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>
// The kernel's own `#include <immintrin.h>` must not pull in the compiler's real intrinsics over SIMDe's
// aliases: mark the compiler headers as already included (GCC's and clang's guards).
#define _IMMINTRIN_H_INCLUDED
#define __IMMINTRIN_H
#include "xp_simde_extra.h"
#else
#include <immintrin.h>
#endif
