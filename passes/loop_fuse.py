"""loop_fuse: merge loops.

mode "nest" (default, TVM's `fuse`): the two outermost loops of a rectangular perfect nest become one loop
over the product of their trip counts, `for (f = 0; f < T1 * T2; ++f) { const int i = s1 + f / T2 * st1;
const int j = s2 + f % T2 * st2; body }`. The order of iterations is unchanged: always legal.
mode "siblings": two adjacent loops with the same iteration space become one loop running both bodies in
turn. Legal when no instance of the second body at iteration y touches an element that an instance of the
first body at a later iteration x > y touches (one of them writing), checked by Z3, and no scalar declared
outside is assigned in either body.
Knobs: `mode`, `loop` (the variable of the outer / first loop; default: the first candidate).
Obligations: same iteration space (Z3); for siblings also equal iteration spaces and the dependence verdict.
"""

from __future__ import annotations

import z3

from xpiler.ir import nodes as N
from xpiler.ir.visit import substitute, walk
from xpiler.pipeline.passes import Knob, Obligation, Pass, PassContext, PassDeclined, PassResult
from xpiler.pipeline.program import Program

from . import _bind_common as C
from . import _deps as D


def fuse_nest(func: N.Func, outer: N.For, inner: N.For, defines: dict) -> N.For:
    t2 = C.trip_count(inner, defines)
    fused = N.Sym(C.fresh_name(f"{outer.var.name}_{inner.var.name}", func))

    def dec(q, f):
        v = q if C._is_int(f.step, 1) else N.BinOp("*", q, f.step)
        return v if C._is_int(f.start, 0) else N.BinOp("+", f.start, v)

    di = N.Decl(outer.var, outer.var_type or C.INT, dec(N.BinOp("/", N.Var(fused), t2), outer), const=True)
    dj = N.Decl(inner.var, inner.var_type or C.INT, dec(N.BinOp("%", N.Var(fused), t2), inner), const=True)
    kind = outer.kind if outer.kind is inner.kind else N.LoopKind.SERIAL
    return N.For(fused, N.Const(0), N.BinOp("*", C.trip_count(outer, defines), t2), N.Const(1), (di, dj) + inner.body,
                 kind=kind, var_type=C.INT)


def same_space(a: N.For, b: N.For, defines: dict) -> bool:
    try:
        env: dict = {}
        eqs = [C.ir_z3(x, env, defines) == C.ir_z3(y, env, defines)
               for x, y in ((a.start, b.start), (a.stop, b.stop), (a.step, b.step))]
    except (D.Unsupported, z3.Z3Exception, ValueError):
        return False
    return D.check_sat([z3.Not(z3.And(*eqs))]) == z3.unsat


def siblings_problem(func: N.Func, a: N.For, b: N.For, module: N.Module) -> str | None:
    facts = D.FuncFacts(func, module)
    ra, rb = D.analyze((a,), facts), D.analyze((b,), facts)
    if ra.impure or rb.impure:
        return "unmodelled effect"
    for r, f in ((ra, a), (rb, b)):
        inner = D.analyze(f.body, facts).declared
        if any(s not in inner for s in r.assigned):
            return "a scalar declared outside is assigned in a loop body"
    # fused: b(y) runs before a(x) whenever y < x; originally a(x) ran before b(y): conflict if same element
    for x in ra.accesses:
        for y in rb.accesses:
            if x.base is not y.base and x.base is not None and y.base is not None:
                continue
            if not (x.write or y.write):
                continue
            if x.index is None or y.index is None or x.base is None:
                return "an access with an unknown element"
            i1, i2 = D.Instance("1", facts), D.Instance("2", facts)
            cs = D.domain(i1, x.loops) + D.domain(i2, y.loops)
            cs += [i2.var(b.var) - i2.term(b.start) < i1.var(a.var) - i1.term(a.start),
                   i1.term(x.index) == i2.term(y.index)]
            if D.check_sat(cs) != z3.unsat:
                return f"dependence on {x.base.name}: {D._txt(x.index)} / {D._txt(y.index)}"
    return None


class LoopFuse(Pass):
    name = "loop_fuse"
    knobs = (Knob("mode", ("nest", "siblings"), "nest", "collapse a perfect nest, or merge adjacent loops"),
             Knob("loop", (None,), None, "variable of the outer / first loop (default: the first candidate)"))

    def run(self, program: Program, ctx: PassContext) -> PassResult:
        mode = ctx.knob(self.name, "mode", "nest")
        want = ctx.knob(self.name, "loop", None)
        defines = program.module.defines()
        reasons = []
        for func in D.target_funcs(program):
            if mode == "siblings":
                for lst in _stmt_lists(func):
                    for k in range(len(lst) - 1):
                        a, b = lst[k], lst[k + 1]
                        if not (isinstance(a, N.For) and isinstance(b, N.For)) or (want and a.var.name != want):
                            continue
                        if a.kind is not b.kind or not same_space(a, b, defines):
                            continue
                        why = siblings_problem(func, a, b, program.module)
                        if why:
                            reasons.append(why)
                            continue
                        body_b = substitute(b.body, {b.var: N.Var(a.var)})
                        new = N.For(a.var, a.start, a.stop, a.step, (N.Block(a.body), N.Block(body_b)), kind=a.kind,
                                    var_type=a.var_type)
                        nf = D.replace_node(func, b, ())
                        nf = D.replace_node(nf, a, new)
                        out = D.replace_func(program, func, nf)
                        obs = [Obligation("loop_fuse siblings: equal iteration spaces",
                                          lambda a=a, b=b: (same_space(a, b, defines), "start, stop and step equal")),
                               Obligation("loop_fuse siblings: dependences kept", lambda: (True, "Z3"))]
                        return PassResult(out, obs, notes=[f"{func.name}: fused loops {a.var.name} and {b.var.name}"])
            else:
                for f in D.loops_in(func):
                    nest = D.nest_below(f)
                    if len(nest) < 2 or (want and f.var.name != want):
                        continue
                    o, i = nest[0], nest[1]
                    if any(isinstance(n, N.Var) and n.sym is o.var for e in (i.start, i.stop, i.step)
                           for n in walk(e)):
                        reasons.append(f"{i.var.name}: bounds depend on {o.var.name}")
                        continue
                    new = fuse_nest(func, o, i, defines)
                    defs = {d.sym: d.init for d in new.body[:2]}
                    out = D.replace_func(program, func, D.replace_node(func, o, new))
                    ob = Obligation(f"loop_fuse {o.var.name},{i.var.name}: same iteration space",
                                    lambda o=o, i=i, new=new, defs=defs: D.same_iterations([o, i], [new], [], defs, defines))
                    return PassResult(out, [ob], notes=[f"{func.name}: fused {o.var.name} and {i.var.name}"])
        raise PassDeclined("loop_fuse: nothing to fuse" + (" (" + "; ".join(reasons) + ")" if reasons else ""))


def _stmt_lists(func: N.Func):
    yield func.body
    for n in walk(func):
        for name in ("body", "then", "orelse"):
            v = getattr(n, name, None)
            if isinstance(v, tuple) and v and n is not func:
                yield v


PASS = LoopFuse()
