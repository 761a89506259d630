"""Integer constant folding over IR expressions, expanding object-like macros.

The frontend needs a few compile-time integers that the IR stores as numbers: wmma fragment shapes
(`fragment<matrix_a, WM, WN, WK, ...>` with `#define WM 16`), alignments (`alignas(64)`). C semantics:
integer division truncates toward zero.
"""

from __future__ import annotations

from xpiler.ir.nodes import BinOp, Cast, Const, Select, SizeOf, UnOp, Var

_MAX_DEPTH = 64


def const_value(e, macros: dict, depth: int = 0):
    """The value of `e` or None when it is not a constant expression."""
    if depth > _MAX_DEPTH:
        return None
    if isinstance(e, Const):
        return e.value
    if isinstance(e, Var):
        body = macros.get(e.sym)
        return None if body is None else const_value(body, macros, depth + 1)
    if isinstance(e, UnOp):
        a = const_value(e.a, macros, depth + 1)
        if a is None:
            return None
        return {"-": lambda: -a, "+": lambda: a, "!": lambda: int(not a), "~": lambda: ~int(a)}[e.op]()
    if isinstance(e, Cast):
        return const_value(e.value, macros, depth + 1)
    if isinstance(e, SizeOf):
        return _sizeof(e.arg)
    if isinstance(e, Select):
        c = const_value(e.cond, macros, depth + 1)
        return None if c is None else const_value(e.a if c else e.b, macros, depth + 1)
    if isinstance(e, BinOp):
        a = const_value(e.a, macros, depth + 1)
        b = const_value(e.b, macros, depth + 1)
        if a is None or b is None:
            return None
        try:
            return _binop(e.op, a, b)
        except (ZeroDivisionError, OverflowError, ValueError, TypeError):
            return None
    return None


def _binop(op: str, a, b):
    if op == "/":
        if isinstance(a, int) and isinstance(b, int):
            q = abs(a) // abs(b)
            return q if (a >= 0) == (b >= 0) else -q
        return a / b
    if op == "%":
        if isinstance(a, int) and isinstance(b, int):
            return a - b * _binop("/", a, b)
        return None
    table = {
        "+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "<<": lambda: a << b, ">>": lambda: a >> b,
        "&": lambda: a & b, "|": lambda: a | b, "^": lambda: a ^ b, "&&": lambda: int(bool(a and b)),
        "||": lambda: int(bool(a or b)), "<": lambda: int(a < b), "<=": lambda: int(a <= b),
        ">": lambda: int(a > b), ">=": lambda: int(a >= b), "==": lambda: int(a == b), "!=": lambda: int(a != b),
    }
    return table[op]()


def _sizeof(what):
    """sizeof of a scalar type (the only sizes fixed by the dialects' ABIs here); None otherwise."""
    from xpiler.dtypes import itemsize
    from xpiler.ir.types import Scalar

    if isinstance(what, Scalar):
        try:
            return itemsize(what.dtype) or None
        except KeyError:
            return None
    return None
