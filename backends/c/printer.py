"""Printer of the `c` dialect (plain C/C++ compiled as C++): the shared C-style printer, GCC's loop pragma.

    >>> from xpiler.lang import parse, emit
    >>> print(emit(parse("extern \\"C\\" void f(float* x) { x[0] = 1.0f; }", "c")))
"""

from __future__ import annotations

from xpiler.ir.dialect import GCC_FULL_UNROLL
import re

from xpiler.ir.nodes import Include, Module
from xpiler.ir.visit import walk

from .._cstyle import CStylePrinter
from .._shortvec import ShortVectorsAsC
from .dialect import LANGUAGE


_CODE_ONLY = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|^[ \t]*#[^\n]*', re.S | re.M)
_NULL_WORDS = re.compile(r"\b(?:NULL|size_t|ptrdiff_t|offsetof)\b")
_BOOL_WORDS = re.compile(r"\b(?:bool|true|false)\b")
# headers that do not define NULL / size_t; any other header (stdio.h, stdlib.h, immintrin.h, C++ headers) is
# taken to bring them
_NO_NULL = frozenset({"stdint.h", "math.h", "float.h", "limits.h", "stdbool.h", "assert.h", "inttypes.h",
                      "omp.h", "fenv.h", "complex.h"})


_MATH_BASE = ("sin cos tan asin acos atan atan2 sinh cosh tanh asinh acosh atanh exp exp2 expm1 log log2 log10 "
              "log1p pow sqrt cbrt hypot erf erfc tgamma lgamma ceil floor trunc round lround rint nearbyint fmod "
              "remainder copysign fdim fmax fmin fma fabs frexp ldexp modf").split()
_MATH_NAMES = frozenset(_MATH_BASE + [w + "f" for w in _MATH_BASE])
_CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")


class CPrinter(ShortVectorsAsC, CStylePrinter):
    language = LANGUAGE

    # g++ -Wall warns about CUDA's `#pragma unroll`; GCC's own pragma needs a factor (GCC_FULL_UNROLL
    # stands for "fully").
    def pragma(self, unroll: int | None) -> str:
        return f"#pragma GCC unroll {unroll or GCC_FULL_UNROLL}"

    def emit_module(self, module: Module) -> str:
        """The module, with the standard headers its text needs for plain gcc (C) added when missing:
        <stddef.h> for NULL / size_t, <stdbool.h> for bool / true / false, <math.h> for math functions in a
        file that has #include lines."""
        text = super().emit_module(module)
        included = {i.path for i in walk(module) if isinstance(i, Include)}
        code = _CODE_ONLY.sub(" ", text)
        cxx = any("." not in h for h in included) or 'extern "C"' in code or "::" in code
        need = []
        if _NULL_WORDS.search(code) and included <= _NO_NULL:
            need.append("stddef.h")
        if _BOOL_WORDS.search(code) and not cxx and not included & {"stdbool.h", "cstdbool"}:
            need.append("stdbool.h")
        # <math.h> for the math functions called, in a file that lists its headers (a file without any
        # #include is in the benchmarks' style, whose headers the build supplies), unless the module defines
        # a function of the same name (a kernel named `sin` keeps its name; math.h would contradict it)
        own = {f.name for f in module.funcs()}
        if included and not included & {"math.h", "cmath", "tgmath.h"} and not own & _MATH_NAMES and \
                any(m.group(1) in _MATH_NAMES for m in _CALL.finditer(code)):
            need.append("math.h")
        if not need:
            return text
        return "".join(f"#include <{h}>\n" for h in need) + ("\n" if not text.startswith("#include") else "") + text


def emit(module: Module) -> str:
    """`module` as C/C++ source text."""
    return CPrinter().emit_module(module)
