"""Dialect `c`: plain C loops, compiled with the system C++ compiler and run natively."""

from __future__ import annotations

from pathlib import Path

from xpiler.backend import Backend, CompilerSpec


class CBackend(Backend):
    def compiler(self, source: str) -> CompilerSpec:
        # -fpermissive: C idioms such as `float* p = malloc(...)` compile as C++ (entries are extern "C").
        return CompilerSpec(("g++",), ("-std=gnu++17", "-O2", "-fpermissive", "-w"))


BACKEND = CBackend(
    name="c",
    extensions=(".c",),
    runtime_dir=Path(__file__).parent / "runtime",
    runtime_header="xp_c.h",
    description="plain C (no intrinsics); host CPU",
)
