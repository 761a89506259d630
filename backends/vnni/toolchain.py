"""Real-compiler check for dialect `vnni`: g++ -Wall with the AVX-512 VNNI target flags."""

from __future__ import annotations

from xpiler.backends.c.toolchain import PRELUDE_CXX
from xpiler.backends.vnni import _ISA_FLAGS
from xpiler.exec.toolchain import ToolResult, compile_with


def check_compile(source: str, filename: str = "kernel.cpp") -> ToolResult:
    prelude = PRELUDE_CXX + "\n#include <immintrin.h>"
    return compile_with(["g++", "-std=gnu++17", "-Wall", "-O2", *_ISA_FLAGS, "-c", "-o", "/dev/null"], source,
                        filename, suffix=".cpp", prelude=prelude)
