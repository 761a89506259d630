"""Drop guards that always hold: an `if (c) S` inside counted loops whose condition Z3 proves true over the
loops' ranges (seeing through scalar locals computed once) becomes `S`. Recovered SIMT kernels carry the
source's bounds guards (`if (i < N)` with i = block * 256 + thread over an exact grid); without them the loop
nest is a plain loop that binding, staging and tensorizing can use. A guard is kept whenever the proof does
not go through (non-affine, unknown values, timeout)."""

from __future__ import annotations

import dataclasses

import z3

from xpiler.ir import nodes as N
from xpiler.ir.z3expr import Unsupported, prove, sym_var, to_z3

from ._host_domain import inline, single_defs


def _range(f: N.For, defs: dict, defines: dict) -> list:
    v = sym_var(f.var)
    try:
        lo = to_z3(inline(f.start, defs), defines=defines)
        hi = to_z3(inline(f.stop, defs), defines=defines)
        step = z3.simplify(to_z3(inline(f.step, defs), defines=defines))
    except (Unsupported, ValueError, z3.Z3Exception, TypeError):
        return []
    parts = [lo <= v, v < hi]
    if not (z3.is_int_value(step) and step.as_long() == 1):
        parts += [step > 0, (v - lo) % step == 0]
    return parts


def _holds(cond: N.Expr, facts: list, defs: dict, defines: dict) -> bool:
    try:
        c = to_z3(inline(cond, defs), defines=defines)
        if not z3.is_bool(c):
            return False
        ok, _ = prove(c, facts, timeout_ms=500)
        return ok
    except (Unsupported, ValueError, z3.Z3Exception, TypeError, AttributeError):
        return False


def drop_true_guards(module: N.Module) -> tuple[N.Module, int]:
    defines = module.defines()
    dropped = 0

    def stmts(body: tuple, facts: list, defs: dict) -> tuple:
        nonlocal dropped
        out = []
        for s in body:
            if isinstance(s, N.If) and not s.orelse and facts and _holds(s.cond, facts, defs, defines):
                dropped += 1
                out.extend(stmts(s.then, facts, defs))
                continue
            out.append(stmt(s, facts, defs))
        return tuple(out)

    def stmt(s, facts, defs):
        if isinstance(s, N.For):
            return dataclasses.replace(s, body=stmts(s.body, facts + _range(s, defs, defines), defs))
        if isinstance(s, N.If):
            return dataclasses.replace(s, then=stmts(s.then, facts, defs), orelse=stmts(s.orelse, facts, defs))
        if isinstance(s, N.Block):
            return dataclasses.replace(s, body=stmts(s.body, facts, defs))
        if isinstance(s, (N.CFor, N.While, N.DoWhile)):
            return dataclasses.replace(s, body=stmts(s.body, [], defs))
        return s

    items = []
    for it in module.items:
        if isinstance(it, N.Func) and not it.is_declaration:
            it = dataclasses.replace(it, body=stmts(it.body, [], single_defs(it)))
        items.append(it)
    return dataclasses.replace(module, items=tuple(items)), dropped
