"""Real-compiler check for dialect `hip`: hipcc compiles for gfx90a (CDNA2, the MFMA target).

A source without #include lines gets stdio.h, hip/hip_runtime.h and hip/hip_fp16.h prepended.
"""

from __future__ import annotations

import os
import re

from xpiler.exec.toolchain import ToolResult, compile_with

PRELUDE = "#include <stdio.h>\n#include <hip/hip_runtime.h>\n#include <hip/hip_fp16.h>"
FLAGS = ("-std=c++17", "-O2", "--offload-arch=gfx90a", "-c", "-o", "kernel.o")
_INCLUDE = re.compile(r"^\s*#\s*include\b", re.M)


def check_compile(source: str, filename: str = "kernel.hip", *, timeout: float = 300.0) -> ToolResult:
    prelude = "" if _INCLUDE.search(source) else PRELUDE
    return compile_with(
        ["hipcc", *FLAGS], source, filename, suffix=".hip", prelude=prelude, timeout=timeout,
        env={**os.environ, "HIP_PLATFORM": "amd"},
    )
