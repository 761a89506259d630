"""loop_contract: roll a run of copies back into a counted loop (the inverse of loop_expand).

A run of k >= 2 adjacent blocks `{ const int v_j = c_j; body_j }` whose bodies are equal up to the name of
their variable, with integer constants c_j in arithmetic progression (step d > 0), becomes
`for (int v = c_0; v < c_0 + k * d; v += d) body_0`. Knob `min_copies` (default 2).
Obligation (Z3): the loop's iteration space is exactly {c_0, ..., c_{k-1}} in the same order.
"""

from __future__ import annotations

import itertools

import z3

from xpiler.ir import nodes as N
from xpiler.ir.equal import structural_eq
from xpiler.ir.visit import substitute, walk
from xpiler.pipeline.passes import Knob, Obligation, Pass, PassContext, PassDeclined, PassResult
from xpiler.pipeline.program import Program

from . import _bind_common as C
from . import _deps as D


def _copy(s, defines):
    """(sym, type, value, body) of a block `{ const int v = c; body }`, or None."""
    if not isinstance(s, N.Block) or not s.body or not isinstance(s.body[0], N.Decl):
        return None
    d = s.body[0]
    if d.init is None or not d.const:
        return None
    v = D.expr_constant(d.init, defines)
    if v is None:
        return None
    return d.sym, d.type, v, s.body[1:]


def find_run(stmts: tuple, defines: dict, min_copies: int):
    """(start index, copies) of the first run of rollable copies in a statement list."""
    k = 0
    while k < len(stmts):
        first = _copy(stmts[k], defines)
        if first is None:
            k += 1
            continue
        run = [first]
        j = k + 1
        while j < len(stmts):
            nxt = _copy(stmts[j], defines)
            if nxt is None or not structural_eq(substitute(nxt[3], {nxt[0]: N.Var(first[0])}), first[3]):
                break
            step = run[1][2] - run[0][2] if len(run) > 1 else nxt[2] - run[-1][2]
            if step <= 0 or nxt[2] - run[-1][2] != step:
                break
            run.append(nxt)
            j += 1
        if len(run) >= min_copies:
            return k, run
        k += 1
    return None


def roll_obligation(loop: N.For, values: list[int], defines: dict):
    def check():
        v = z3.Int("v")
        lo, hi, st = (C.ir_z3(e, {}, defines) for e in (loop.start, loop.stop, loop.step))
        dom = z3.And(lo <= v, v < hi, (v - lo) % st == 0)
        same = z3.Or(*[v == x for x in values])
        ok, cex = C._prove(dom == same, [])
        ordered = all(a < b for a, b in itertools.pairwise(values))
        if ok and ordered:
            return True, "the loop runs exactly the copies' values, in order"
        return (None if ok is None else False), f"iteration space differs from the copies {cex or ''}"
    return check


class LoopContract(Pass):
    name = "loop_contract"
    knobs = (Knob("min_copies", (2, 3, 4), 2, "shortest run of copies rolled into a loop"),)

    def run(self, program: Program, ctx: PassContext) -> PassResult:
        min_copies = int(ctx.knob(self.name, "min_copies", 2))
        defines = program.module.defines()
        for func in D.target_funcs(program):
            lists = [func.body] + [getattr(n, a) for n in walk(func) for a in ("body", "then", "orelse")
                                   if isinstance(getattr(n, a, None), tuple) and n is not func]
            for lst in lists:
                found = find_run(lst, defines, min_copies)
                if found is None:
                    continue
                k, run = found
                sym, typ, c0, body = run[0]
                step = run[1][2] - c0
                values = [r[2] for r in run]
                loop = N.For(sym, N.Const(c0), N.Const(c0 + len(run) * step), N.Const(step), body,
                             var_type=typ if not getattr(typ, "const", False) else C.INT)
                new_list = lst[:k] + (loop,) + lst[k + len(run):]
                nf = _replace_list(func, lst, new_list)
                out = D.replace_func(program, func, nf)
                ob = Obligation(f"loop_contract {sym.name}: same iterations", roll_obligation(loop, values, defines))
                return PassResult(out, [ob], notes=[f"{func.name}: rolled {len(run)} copies into loop {sym.name}"])
        raise PassDeclined("loop_contract: no run of copies to roll")


def _replace_list(func: N.Func, old: tuple, new: tuple) -> N.Func:
    import dataclasses

    if func.body is old:
        return dataclasses.replace(func, body=new)
    from xpiler.ir.visit import Rewriter

    class _R(Rewriter):
        def rewrite(self, node):
            for a in ("body", "then", "orelse"):
                if getattr(node, a, None) is old and dataclasses.is_dataclass(node):
                    return dataclasses.replace(node, **{a: new})
            return super().rewrite(node)

    return dataclasses.replace(func, body=_R().rewrite(func.body))


PASS = LoopContract()
