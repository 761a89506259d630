"""Holes: the small expressions of a pass's output that may be wrong.

A hole is an expression of the rewritten program that does not occur in the program before the pass (the
pass invented it): loop bounds, guard operands, index expressions and call arguments. Holes that feed the
first diverging buffer come first. `replace_node` rebuilds a tree with one node (by identity) replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xpiler.ir import nodes as N
from xpiler.ir.equal import structural_hash
from xpiler.ir.visit import Rewriter, walk

_CMP = {"<", "<=", ">", ">=", "==", "!="}


@dataclass(frozen=True)
class FoundHole:
    label: str
    expr: N.Expr
    func: str  # the function it sits in
    buffers: tuple[str, ...] = ()  # buffers whose accesses it feeds (for ranking)


class _Replace(Rewriter):
    def __init__(self, target: Any, new: Any):
        self.target, self.new, self.done = target, new, False

    def rewrite(self, node: Any) -> Any:
        if node is self.target:
            self.done = True
            return self.new
        return super().rewrite(node)


def replace_node(root: Any, target: Any, new: Any) -> Any:
    """`root` with the node `target` (by identity) replaced by `new`; KeyError when it is not there."""
    r = _Replace(target, new)
    out = r.rewrite(root)
    if not r.done:
        raise KeyError("node not found")
    return out


def _keys(node: Any) -> set[int]:
    keys = set()
    for n in walk(node):
        if isinstance(n, N.Expr):
            try:
                keys.add(structural_hash(n))
            except Exception:  # pragma: no cover - unhashable corner of the IR
                pass
    return keys


def _buffer_name(e: N.Expr) -> str | None:
    while isinstance(e, (N.Load, N.BinOp, N.Cast)):
        if isinstance(e, N.Load):
            e = e.base
        elif isinstance(e, N.BinOp):
            e = e.a
        else:
            e = e.value
    return e.sym.name if isinstance(e, N.Var) else None


def find_holes(before: N.Module, after: N.Module, *, prefer: str | None = None, limit: int = 12) -> list[FoundHole]:
    """Expressions new in `after` that are small enough to re-synthesize, best candidates first."""
    old = _keys(before)
    found: list[FoundHole] = []
    seen: set[int] = set()

    def add(label: str, e: N.Expr | None, func: str, bufs: tuple[str, ...] = ()):
        if e is None or isinstance(e, (N.StrLit,)):
            return
        if not any(isinstance(x, (N.Var, N.Const, N.Builtin)) for x in walk(e)):
            return
        k = structural_hash(e)
        if k in old or id(e) in seen:
            return
        seen.add(id(e))
        found.append(FoundHole(label, e, func, bufs))

    for f in after.funcs():
        for n in walk(f.body):
            if isinstance(n, N.For):
                add(f"loop bound of {n.var.name}", n.stop, f.name)
                add(f"loop start of {n.var.name}", n.start, f.name)
            elif isinstance(n, N.If) and isinstance(n.cond, N.BinOp) and n.cond.op in _CMP:
                add("guard operand", n.cond.b, f.name)
                add("guard operand", n.cond.a, f.name)
            elif isinstance(n, N.Store) and isinstance(n.target, N.Load):
                buf = _buffer_name(n.target)
                for ix in n.target.indices:
                    add(f"index of {buf}", ix, f.name, (buf,) if buf else ())
            elif isinstance(n, N.Call) and n.kind is N.CallKind.INTRINSIC:
                for a in n.args:
                    if not isinstance(a, N.Var):
                        add(f"argument of {n.name}", a, f.name)
    if prefer:
        found.sort(key=lambda h: 0 if prefer in h.buffers else 1)
    return found[:limit]
