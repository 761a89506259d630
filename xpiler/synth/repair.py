"""Repair a failed pass step: holes x enumerated candidates, each accepted only by the differential test.

    repaired, log = repair(before, after, tests, differential, prefer="C", budget_s=30)

`before` is the program that passed its checks, `after` the pass output that diverged; `prefer` names the
first diverging buffer (the localization) so holes that feed it are tried first. Holes declared by the pass
(`Hole` with `fill`) come before the generic ones found by diffing the IR. Returns the repaired program (or
None) and one line per attempt for the report.
"""

from __future__ import annotations

import time
from typing import Callable, Sequence

from xpiler.ir import nodes as N
from xpiler.ir.types import Scalar
from xpiler.ir.visit import walk
from xpiler.pipeline.passes import Hole
from xpiler.pipeline.program import Program
from xpiler.synth.enumerate import distinct, mutations
from xpiler.synth.holes import find_holes, replace_node


def _int_syms(func: N.Func) -> list[N.Sym]:
    syms: list[N.Sym] = []
    for p in func.params:
        if isinstance(p.type, Scalar) and "int" in p.type.dtype:
            syms.append(p.sym)
    for n in walk(func.body):
        if isinstance(n, N.For):
            syms.append(n.var)
    out, seen = [], set()
    for s in syms:
        if id(s) not in seen:
            seen.add(id(s))
            out.append(s)
    return out[:8]


def _constants(module: N.Module) -> list[int]:
    vals = set()
    for n in walk(module):
        if isinstance(n, N.Const) and isinstance(n.value, int) and not isinstance(n.value, bool):
            if abs(n.value) <= 1 << 20:
                vals.add(n.value)
    return sorted(vals)[:24]


def repair(before: Program, after: Program, tests, differential: Callable, *, pass_holes: Sequence[Hole] = (),
           prefer: str | None = None, budget_s: float = 30.0, max_candidates: int = 24) -> tuple[Program | None, list[str]]:
    log: list[str] = []
    t0 = time.monotonic()
    tried = 0

    def attempt(prog: Program, label: str) -> bool:
        nonlocal tried
        tried += 1
        try:
            v = differential(before, prog, tests)
        except Exception as e:  # a candidate that does not compile or crashes is just wrong
            log.append(f"{label}: rejected ({type(e).__name__}: {str(e).splitlines()[0][:120] if str(e) else ''})")
            return False
        log.append(f"{label}: {'accepted' if v.ok else 'rejected'}")
        return bool(v.ok)

    consts = _constants(after.module)
    for h in pass_holes:
        cands = list(h.candidates) + mutations(h.expr, constants=consts, scope=h.scope)
        for c in distinct(h.expr, cands, limit=8):
            if time.monotonic() - t0 > budget_s or tried >= max_candidates:
                log.append("repair budget exhausted")
                return None, log
            prog = h.fill(c)
            if attempt(prog, f"{h.label} := {_short(c)}"):
                return prog, log

    defines = after.module.defines()
    for h in find_holes(before.module, after.module, prefer=prefer):
        func = after.module.func(h.func)
        cands = distinct(h.expr, mutations(h.expr, constants=consts, scope=_int_syms(func)), limit=8, defines=defines)
        for c in cands:
            if time.monotonic() - t0 > budget_s or tried >= max_candidates:
                log.append("repair budget exhausted")
                return None, log
            try:
                module = replace_node(after.module, h.expr, c)
            except KeyError:
                continue
            if attempt(after.replace(module=module), f"{h.label} in {h.func}: {_short(h.expr)} := {_short(c)}"):
                return after.replace(module=module), log
    if not log:
        log.append("no repairable hole found")
    return None, log


def _short(e) -> str:
    from xpiler.ir.dump import expr_text

    return expr_text(e)
