"""Printer of the `c` dialect (plain C/C++ compiled as C++): the shared C-style printer, GCC's loop pragma.

    >>> from xpiler.lang import parse, emit
    >>> print(emit(parse("extern \\"C\\" void f(float* x) { x[0] = 1.0f; }", "c")))
"""

from __future__ import annotations

from xpiler.ir.dialect import GCC_FULL_UNROLL
from xpiler.ir.nodes import Module

from .._cstyle import CStylePrinter
from .._shortvec import ShortVectorsAsC
from .dialect import LANGUAGE


class CPrinter(ShortVectorsAsC, CStylePrinter):
    language = LANGUAGE

    # g++ -Wall warns about CUDA's `#pragma unroll`; GCC's own pragma needs a factor (GCC_FULL_UNROLL
    # stands for "fully").
    def pragma(self, unroll: int | None) -> str:
        return f"#pragma GCC unroll {unroll or GCC_FULL_UNROLL}"


def emit(module: Module) -> str:
    """`module` as C/C++ source text."""
    return CPrinter().emit_module(module)
