"""Short constructors for IR in tests and passes: `for_(i, n, body)`, `load(x, i)`, `c(2.0)`, `add(a, b)`.

Why: spelling out `BinOp("+", Var(i), Const(1, "int32"))` everywhere buries what a test or a rewrite means.
These helpers accept Syms, Python numbers and expressions interchangeably (`expr(x)` converts) and build
exactly the nodes one would write by hand; nothing here adds meaning of its own.

Example:
    >>> i, n, x, y = Sym("i"), Sym("n"), Sym("x"), Sym("y")
    >>> loop = for_(i, n, [store(y, i, mul(c(2.0), load(x, i)))])
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from xpiler.ir import nodes as N
from xpiler.ir.types import Type


def c(x: float | bool, dtype: str | None = None) -> N.Const:
    """A literal; without `dtype`: bool -> bool, int -> int32 (int64 when too large), float -> float32."""
    if dtype is None:
        if isinstance(x, bool):
            dtype = "bool"
        elif isinstance(x, int):
            dtype = "int32" if -(2**31) <= x < 2**31 else "int64"
        else:
            dtype = "float32"
    return N.Const(x, dtype)


def expr(x: Any) -> N.Expr:
    """Syms become Vars, numbers Consts; expressions are returned as they are."""
    if isinstance(x, N.Expr):
        return x
    if isinstance(x, N.Sym):
        return N.Var(x)
    if isinstance(x, (bool, int, float)):
        return c(x)
    raise TypeError(f"not an expression: {x!r}")


def _binop(op: str):
    def make(a: Any, b: Any) -> N.BinOp:
        return N.BinOp(op, expr(a), expr(b))

    make.__name__ = make.__qualname__ = {"+": "add", "-": "sub", "*": "mul", "/": "div", "%": "mod"}.get(op, op)
    make.__doc__ = f"`a {op} b`"
    return make


add, sub, mul, div, mod = (_binop(o) for o in "+-*/%")
lt, le, gt, ge, eq, ne = (_binop(o) for o in ("<", "<=", ">", ">=", "==", "!="))
and_, or_ = _binop("&&"), _binop("||")


def neg(a: Any) -> N.UnOp:
    return N.UnOp("-", expr(a))


def select(cond: Any, a: Any, b: Any) -> N.Select:
    return N.Select(expr(cond), expr(a), expr(b))


def cast(t: Type, a: Any) -> N.Cast:
    return N.Cast(t, expr(a))


def call(name: str, *args: Any, kind: N.CallKind = N.CallKind.MATH) -> N.Call:
    """A call; MATH by default (`call("fmaxf", a, b)`)."""
    return N.Call(name, tuple(expr(a) for a in args), kind)


def load(buf: Any, *idx: Any) -> N.Load:
    return N.Load(expr(buf), tuple(expr(i) for i in idx))


def store(buf: Any, idx: Any, value: Any, op: str | None = None) -> N.Store:
    """`buf[idx...] (op)= value`; `idx` is one index or a tuple of indices."""
    idx = idx if isinstance(idx, tuple) else (idx,)
    return N.Store(load(buf, *idx), expr(value), op)


def assign(sym: N.Sym, value: Any, op: str | None = None) -> N.Assign:
    return N.Assign(sym, expr(value), op)


def decl(sym: N.Sym, t: Type, init: Any = None) -> N.Decl:
    return N.Decl(sym, t, None if init is None else expr(init))


def for_(var: N.Sym, stop: Any, body: Iterable[N.Stmt], start: Any = 0, step: Any = 1, **kw: Any) -> N.For:
    """`for (var = start; var < stop; var += step) body`; `kw` passes kind/axis/unroll/var_type."""
    return N.For(var, expr(start), expr(stop), expr(step), tuple(body), **kw)


def if_(cond: Any, then: Iterable[N.Stmt], orelse: Iterable[N.Stmt] = ()) -> N.If:
    return N.If(expr(cond), tuple(then), tuple(orelse))
