"""xpiler: a neural-symbolic transcompiler for tensor programs.

Dialects: c, vnni (AVX-512 VNNI), cuda, hip, bang (Cambricon BANG C). Every dialect has a CPU executor:

    >>> import numpy as np
    >>> from xpiler import run_kernel
    >>> res = run_kernel(open("add.cu").read(), "cuda", args=[a, b, out])   # doctest: +SKIP
    >>> res.outputs[2]                                                        # doctest: +SKIP
"""

from xpiler.errors import BadInput, CompileError, RuntimeFault, XpilerError
from xpiler.exec import RunResult, compile_program, execute, run_kernel
from xpiler.registry import DIALECTS, available_dialects, get_backend
from xpiler.api import Result, TranslationFailed, transcompile


__all__ = [
    "DIALECTS",
    "BadInput",
    "CompileError",
    "Result",
    "RunResult",
    "TranslationFailed",
    "RuntimeFault",
    "XpilerError",
    "available_dialects",
    "compile_program",
    "execute",
    "get_backend",
    "run_kernel",
    "transcompile",
]
__version__ = "0.1.0"
