"""Printer of the `vnni` dialect (C++ with AVX-512 VNNI intrinsics): the C printer with `__m512i`-style
vector types from the dialect's facts."""

from __future__ import annotations

from xpiler.ir.nodes import Module

from ..c.printer import CPrinter
from .dialect import LANGUAGE


class VnniPrinter(CPrinter):
    language = LANGUAGE


def emit(module: Module) -> str:
    """`module` as C++ source text with AVX-512 intrinsics."""
    return VnniPrinter().emit_module(module)
