"""Dialect `c`: plain C loops, compiled with the system C++ compiler and run natively."""

from __future__ import annotations

import re
from pathlib import Path

from xpiler.backend import Backend, CompilerSpec
from xpiler.exec.scan import blank_comments_and_strings


_RESTRICT = re.compile(r"\brestrict\b")


class CBackend(Backend):
    def prepare(self, source: str) -> str:
        """C99's `restrict` is no C++ keyword: the executor compiles C as C++, where g++ spells it
        `__restrict__` (comments and strings untouched, the line count kept)."""
        if "restrict" not in source:
            return source
        masked = blank_comments_and_strings(source)
        out, pos = [], 0
        for m in _RESTRICT.finditer(masked):
            out.append(source[pos:m.start()])
            out.append("__restrict__")
            pos = m.end()
        out.append(source[pos:])
        return "".join(out)

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
