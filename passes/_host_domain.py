"""Loop domains of accesses for the host pass's proofs: the Z3 constraints that hold where an access runs
(its counted loops' ranges and the conditions around it), seeing through scalar locals that are computed
once from modelable expressions (`const int row = i * N;`)."""

from __future__ import annotations

import z3

from xpiler.ir import nodes as N
from xpiler.ir import types as T
from xpiler.ir.visit import substitute, walk
from xpiler.ir.z3expr import Unsupported, sym_var, to_z3

from ._host_access import Access


def single_defs(func: N.Func) -> dict:
    """Scalar locals declared with an initializer and never assigned: sym -> init (to see through them)."""
    assigned = {n.sym for n in walk(func) if isinstance(n, N.Assign)}
    defs = {n.sym: n.init for n in walk(func)
            if isinstance(n, N.Decl) and n.init is not None and not isinstance(n.type, T.Pointer)
            and n.sym not in assigned}
    return {s: e for s, e in defs.items() if _modelable(e)}  # others stay free (bounded by conditions)


def _modelable(e: N.Expr) -> bool:
    try:
        to_z3(e)
        return True
    except (Unsupported, ValueError, z3.Z3Exception):
        return False


def inline(e: N.Expr, defs: dict) -> N.Expr:
    for _ in range(12):
        syms = {n.sym for n in walk(e) if isinstance(n, N.Var) and n.sym in defs}
        if not syms:
            break
        e = substitute(e, {s: defs[s] for s in syms})
    return e


def domain(acc: Access, defs: dict, defines: dict) -> list:
    parts = []
    for f in acc.loops:
        v = sym_var(f.var)
        parts += [_inline_z3(f.start, defs, defines) <= v, v < _inline_z3(f.stop, defs, defines)]
        step = _inline_z3(f.step, defs, defines)
        if not (z3.is_int_value(z3.simplify(step)) and z3.simplify(step).as_long() == 1):
            parts += [step > 0, (v - _inline_z3(f.start, defs, defines)) % step == 0]
    for c in acc.conds:
        try:
            got = to_z3(inline(c, defs), defines=defines)
        except (Unsupported, ValueError):
            continue  # dropping a condition only widens the domain
        parts.append(got if z3.is_bool(got) else got != 0)
    return parts


def _inline_z3(e, defs, defines):
    v = to_z3(inline(e, defs), defines=defines)
    return z3.If(v, 1, 0) if z3.is_bool(v) else v
