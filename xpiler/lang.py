"""Source text <-> IR for any dialect: `parse` (the dialect's frontend) and `emit` (its printer).

    >>> from xpiler.lang import parse, emit
    >>> mod = parse(open("gemm.cu").read(), "cuda", path="gemm.cu")
    >>> print(emit(mod, "cuda"))
"""

from __future__ import annotations

from xpiler.ir.nodes import Module
from xpiler.registry import get_backend


def parse(text: str, dialect: str, path: str | None = None) -> Module:
    """Lift source `text` of `dialect` into an IR Module. Raises `BadInput` naming file:line:col."""
    return get_backend(dialect).parse(text, path)


def emit(module: Module, dialect: str | None = None) -> str:
    """Print `module` as source text of `dialect` (default: the module's own dialect)."""
    return get_backend(dialect or module.dialect).emit(module)
