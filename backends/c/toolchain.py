"""Real-compiler check for dialect `c`: gcc with -Wall, as C when the file is plain C, else as C++."""

from __future__ import annotations

from xpiler.exec.toolchain import ToolResult, compile_with

PRELUDE = "#include <math.h>\n#include <stdint.h>\n#include <stdlib.h>\n#include <string.h>\n#include <float.h>"
PRELUDE_CXX = PRELUDE + "\n#include <algorithm>\nusing std::max;\nusing std::min;"


def check_compile(source: str, filename: str = "kernel.c") -> ToolResult:
    from xpiler.exec.scan import find_functions

    from .printer import _MATH_NAMES

    # a function named like a math function (a kernel `sin` keeps its name) is renamed after <math.h>, so the
    # header's declaration and the user's definition do not meet (in C a call of that name is the user's)
    shadow = "".join(f"\n#define {n} xp_user_{n}" for n in sorted({f.name for f in find_functions(source)}
                                                                   & _MATH_NAMES))
    if 'extern "C"' in source:
        # C99's restrict is no C++ keyword; g++ spells it __restrict__
        return compile_with(["g++", "-std=gnu++17", "-Wall", "-O2", "-Drestrict=__restrict__", "-c", "-o", "/dev/null"],
                            source, filename,
                            suffix=".cpp", prelude=PRELUDE_CXX + shadow)
    return compile_with(["gcc", "-std=gnu11", "-Wall", "-O2", "-c", "-o", "/dev/null"], source, filename,
                        suffix=".c", prelude=PRELUDE + shadow)
