"""Printer of the `cuda` dialect: `__global__`/`__device__`, `__launch_bounds__`, `__align__`, wmma
fragments (`wmma::` when the module says `using namespace nvcuda;`), `k<<<grid, block>>>(...)` launches."""

from __future__ import annotations

from typing import ClassVar

from xpiler.ir.nodes import Module

from .._cstyle import CStylePrinter
from .dialect import LANGUAGE


class CudaPrinter(CStylePrinter):
    language = LANGUAGE
    launch_bounds_spelling = "__launch_bounds__"
    forceinline_spelling = "__forceinline__"
    align_style = "__align__"
    extra_spellings: ClassVar[dict[str, str]] = {"__half": "float16", "nv_bfloat16": "bfloat16"}
    bad_spellings = frozenset({"_Float16"})


def emit(module: Module) -> str:
    """`module` as CUDA C++ source text."""
    return CudaPrinter().emit_module(module)
