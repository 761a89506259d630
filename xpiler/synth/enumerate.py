"""Enumerate small edits of an integer expression, dropping those Z3 proves equal to the original or to an
earlier candidate (so every compiled candidate is a genuinely different program)."""

from __future__ import annotations

from typing import Iterable

import z3

from xpiler.ir import nodes as N
from xpiler.ir.visit import walk
from xpiler.ir.z3expr import to_z3
from xpiler.synth.holes import replace_node

_FLIP = {"<": ("<=",), "<=": ("<",), ">": (">=",), ">=": (">",)}


def _c(v: int) -> N.Const:
    return N.Const(v, "int32")


def mutations(expr: N.Expr, *, constants: Iterable[int] = (), scope: Iterable[N.Sym] = ()) -> list[N.Expr]:
    """Candidate replacements of `expr`, nearest first: expr+-1, each constant +-1 / x2 / /2 / replaced by
    another constant of the program, each variable replaced by another one in scope, comparison flips."""
    out: list[N.Expr] = []
    if isinstance(expr, N.BinOp) and expr.op in _FLIP:
        for op in _FLIP[expr.op]:
            out.append(N.BinOp(op, expr.a, expr.b))
    out.append(N.BinOp("+", expr, _c(1)))
    out.append(N.BinOp("-", expr, _c(1)))
    consts = sorted({int(c) for c in constants if isinstance(c, int) and not isinstance(c, bool)})
    for node in walk(expr):
        if isinstance(node, N.Const) and isinstance(node.value, int) and not isinstance(node.value, bool):
            v = node.value
            alts = [v + 1, v - 1, v * 2] + ([v // 2] if v > 1 else []) + [c for c in consts if c != v][:6]
            for a in alts:
                out.append(replace_node(expr, node, _c(a)) if node is not expr else _c(a))
        elif isinstance(node, N.Var):
            for s in scope:
                if s is not node.sym:
                    out.append(replace_node(expr, node, N.Var(s)) if node is not expr else N.Var(s))
    return out


def distinct(original: N.Expr, candidates: list[N.Expr], *, limit: int = 16, defines=None) -> list[N.Expr]:
    """Candidates that differ from `original` and from each other for some assignment of the variables
    (Z3); candidates Z3 cannot encode are kept (they may still be right)."""
    kept: list[N.Expr] = []
    terms: list = []
    try:
        t0 = to_z3(original, defines=defines)
    except Exception:
        t0 = None
    for cand in candidates:
        try:
            t = to_z3(cand, defines=defines)
        except Exception:
            t = None
        if t is not None and t0 is not None:
            dup = False
            for other in [t0] + [x for x in terms if x is not None]:
                try:
                    s = z3.Solver()
                    s.set("timeout", 200)
                    s.add(t != other)
                    if s.check() == z3.unsat:
                        dup = True
                        break
                except z3.Z3Exception:
                    break
            if dup:
                continue
        kept.append(cand)
        terms.append(t)
        if len(kept) >= limit:
            break
    return kept
