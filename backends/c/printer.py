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
_NEEDS = {
    "stddef.h": (re.compile(r"\b(?:NULL|size_t|ptrdiff_t|offsetof)\b"),
                 {"stddef.h", "cstddef", "stdio.h", "cstdio", "stdlib.h", "cstdlib", "string.h", "cstring",
                  "wchar.h", "time.h"}),
    "stdbool.h": (re.compile(r"\b(?:bool|true|false)\b"), {"stdbool.h", "cstdbool"}),
}


class CPrinter(ShortVectorsAsC, CStylePrinter):
    language = LANGUAGE

    # g++ -Wall warns about CUDA's `#pragma unroll`; GCC's own pragma needs a factor (GCC_FULL_UNROLL
    # stands for "fully").
    def pragma(self, unroll: int | None) -> str:
        return f"#pragma GCC unroll {unroll or GCC_FULL_UNROLL}"

    def emit_module(self, module: Module) -> str:
        """The module, with the standard headers its text needs for plain gcc (C) added when missing:
        <stddef.h> for NULL / size_t, <stdbool.h> for bool / true / false."""
        text = super().emit_module(module)
        included = {i.path for i in walk(module) if isinstance(i, Include)}
        code = _CODE_ONLY.sub(" ", text)
        need = [h for h, (words, providers) in _NEEDS.items()
                if words.search(code) and not included & providers]
        if not need:
            return text
        return "".join(f"#include <{h}>\n" for h in need) + ("\n" if not text.startswith("#include") else "") + text


def emit(module: Module) -> str:
    """`module` as C/C++ source text."""
    return CPrinter().emit_module(module)
