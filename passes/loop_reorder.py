"""loop_reorder: permute the loops of a perfect nest (TVM's `reorder`; interchange for two loops).

Legal when (1) every loop's bounds only use variables of loops outside it in the new order, (2) scalars
assigned in the nest are declared in its innermost body, and (3) no two accesses to one element (one of them
a write) change their relative order: Z3 finds no instances x, y with x before y in the old lexicographic
order, y before x in the new one, and the same address. Knobs: `order` (loop variable names, outermost
first, e.g. "n,m"; default: swap the two innermost loops of the first perfect nest of depth >= 2).
Obligations: same iteration space (Z3) and the dependence verdict.
"""

from __future__ import annotations

import dataclasses

import z3

from xpiler.ir import nodes as N
from xpiler.ir.visit import walk
from xpiler.pipeline.passes import Knob, Obligation, Pass, PassContext, PassDeclined, PassResult
from xpiler.pipeline.program import Program

from . import _deps as D


def reorder_problem(func: N.Func, nest: list[N.For], perm: list[int], module: N.Module) -> str | None:
    """Why `nest` may not be permuted to `perm` (indices into nest, new outermost first), or None."""
    new = [nest[k] for k in perm]
    for k, f in enumerate(new):
        inner_vars = {g.var for g in new[k:]}
        if any(isinstance(n, N.Var) and n.sym in inner_vars for e in (f.start, f.stop, f.step) for n in walk(e)):
            return f"the bounds of {f.var.name} use a loop that would be inside it"
    facts = D.FuncFacts(func, module)
    reg = D.analyze((nest[0],), facts)
    if reg.impure:
        return "unmodelled effect: " + reg.impure[0]
    inner = D.analyze(nest[-1].body, facts).declared
    for s in reg.assigned:
        if s not in inner:
            return f"scalar {s.name} is carried between iterations"

    def before(i1, i2, a, b):
        x = [i1.var(f.var) for f in nest]
        y = [i2.var(f.var) for f in nest]
        return z3.And(D.lex_lt(x, y), D.lex_lt([y[k] for k in perm], [x[k] for k in perm]))

    bad = D.order_conflicts(reg.accesses, before, facts)
    return None if not bad else "dependence: " + bad[0]


def build(nest: list[N.For], perm: list[int]) -> N.For:
    body = nest[-1].body
    for k in reversed(perm):
        body = (dataclasses.replace(nest[k], body=body),)
    return body[0]


class LoopReorder(Pass):
    name = "loop_reorder"
    knobs = (Knob("order", (None,), None, "comma-separated loop variables, outermost first (default: chosen)"),)

    def run(self, program: Program, ctx: PassContext) -> PassResult:
        order = ctx.knob(self.name, "order", None)
        names = [s.strip() for s in order.split(",")] if isinstance(order, str) else list(order or [])
        defines = program.module.defines()
        reasons = []
        for func in D.target_funcs(program):
            for top in D.loops_in(func):
                nest = D.nest_below(top)
                if names:
                    cur = [f.var.name for f in nest[:len(names)]]
                    if len(cur) != len(names) or sorted(cur) != sorted(names) or cur == names:
                        continue
                    nest = nest[:len(names)]
                    perm = [cur.index(n) for n in names]
                else:
                    if len(nest) < 2:
                        continue
                    perm = list(range(len(nest) - 2)) + [len(nest) - 1, len(nest) - 2]
                why = reorder_problem(func, nest, perm, program.module)
                if why is not None:
                    reasons.append(f"{'/'.join(f.var.name for f in nest)}: {why}")
                    continue
                new = build(nest, perm)
                out = D.replace_func(program, func, D.replace_node(func, nest[0], new))
                new_loops = D.nest_below(new)[:len(nest)]
                obs = [Obligation("loop_reorder: same iteration space",
                                  lambda nest=nest, new_loops=new_loops: D.same_iterations(nest, new_loops, [], {},
                                                                                         defines)),
                       Obligation("loop_reorder: dependences kept", lambda: (True, "Z3: no reversed dependence"))]
                label = ",".join(nest[k].var.name for k in perm)
                return PassResult(out, obs, notes=[f"{func.name}: loops reordered to ({label})"])
        raise PassDeclined("loop_reorder: nothing to reorder" + (" (" + "; ".join(reasons) + ")" if reasons else ""))


PASS = LoopReorder()
