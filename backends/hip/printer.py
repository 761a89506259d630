"""Printer of the `hip` dialect: CUDA's spellings (HIP keeps them), HIP's type names, ext-vector typedefs
for MFMA accumulators (`typedef float floatx4 __attribute__((ext_vector_type(4)));`)."""

from __future__ import annotations

from typing import ClassVar

from xpiler.ir.nodes import Module

from ..cuda.printer import CudaPrinter
from .dialect import LANGUAGE


class HipPrinter(CudaPrinter):
    vector_typedefs_as_structs = False  # hipcc (clang) has ext_vector_type
    language = LANGUAGE
    extra_spellings: ClassVar[dict[str, str]] = {"__half": "float16", "__hip_bfloat16": "bfloat16"}
    bad_spellings = frozenset()
    foreign_headers: ClassVar[str] = "cuda"


def emit(module: Module) -> str:
    """`module` as HIP C++ source text."""
    return HipPrinter().emit_module(module)
