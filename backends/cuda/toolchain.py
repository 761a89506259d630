"""Real-compiler check for dialect `cuda`: nvcc builds a shared library for sm_80 and sm_90.

A source without #include lines (the usual benchmark style) gets the headers a CUDA file needs prepended:
stdio.h, cuda_runtime.h, mma.h with `using namespace nvcuda;`, and cuda_fp16.h.
"""

from __future__ import annotations

import re

from xpiler.exec.toolchain import ToolResult, compile_with

PRELUDE = (
    "#include <stdio.h>\n#include <cuda_runtime.h>\n#include <mma.h>\n#include <cuda_fp16.h>\nusing namespace nvcuda;"
)
FLAGS = (
    "-std=c++17",
    "-O2",
    "--extended-lambda",  # `[] __device__ (...)` lambdas, which HIP takes without a flag
    "-shared",
    "-Xcompiler",
    "-fPIC",
    "-gencode",
    "arch=compute_80,code=sm_80",
    "-gencode",
    "arch=compute_90,code=sm_90",
    "-o",
    "kernel.so",
)
_INCLUDE = re.compile(r"^\s*#\s*include\b", re.M)


def check_compile(source: str, filename: str = "kernel.cu", *, timeout: float = 300.0) -> ToolResult:
    prelude = "" if _INCLUDE.search(source) else PRELUDE
    return compile_with(["nvcc", *FLAGS], source, filename, suffix=".cu", prelude=prelude, timeout=timeout)
