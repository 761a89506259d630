"""Real-compiler check for dialect `bang`: Cambricon's cncc is not publicly available, so there is none.

The check reports itself as unavailable (never as passed); the executor's checks of memory spaces, sizes and
alignment are the judge for BANG code.
"""

from __future__ import annotations

import shutil

from xpiler.exec.toolchain import ToolResult, compile_with


def check_compile(source: str, filename: str = "kernel.mlu") -> ToolResult:
    if shutil.which("cncc") is None:
        return ToolResult(False, "cncc", "no BANG compiler (cncc) is installed", available=False)
    return compile_with(["cncc", "--bang-mlu-arch=mtp_372", "-O2", "-c", "-o", "/dev/null"], source, filename,
                        suffix=".mlu")
