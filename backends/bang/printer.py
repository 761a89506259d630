"""Printer of the `bang` dialect (Cambricon BANG C): `__mlu_global__`/`__mlu_func__`, `__nram__`/`__wram__`/
`__mlu_shared__` buffers, `__sync_cluster()`-style barriers, `k<<<dim, type, queue>>>(...)` launches."""

from __future__ import annotations

from xpiler.ir.nodes import Module

from .._cstyle import CStylePrinter
from .._shortvec import ShortVectorsAsC
from .dialect import LANGUAGE


class BangPrinter(ShortVectorsAsC, CStylePrinter):
    language = LANGUAGE
    bad_spellings = frozenset({"_Float16"})


def emit(module: Module) -> str:
    """`module` as BANG C source text."""
    return BangPrinter().emit_module(module)
