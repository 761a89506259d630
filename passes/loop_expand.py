"""loop_expand: unroll a counted loop with a constant trip count into copies of its body.

factor 0 (full): `for (v = s; v < e; v += st) body` becomes T blocks `{ const int v = s + k * st; body }`
for k = 0 .. T-1, in order. factor u > 1 dividing T: `for (v_u = 0; v_u < T / u; ++v_u)` holding u such
blocks with `v = s + (v_u * u + k) * st`. The order of iterations is unchanged, so it is always legal.
Knobs: `factor` (default 0 = full), `loop` (the loop variable's name; default: the first innermost loop
with a constant trip count of at most `max_full` = 8 for full unrolling, or divisible by the factor).
Obligation (Z3): the copies run exactly the old iteration space, each point once, in increasing order.
loop_contract is the inverse.
"""

from __future__ import annotations

import itertools

import z3

from xpiler.ir import nodes as N
from xpiler.pipeline.passes import Knob, Obligation, Pass, PassContext, PassDeclined, PassResult
from xpiler.pipeline.program import Program

from . import _bind_common as C
from . import _deps as D


def _value(f: N.For, rank: N.Expr) -> N.Expr:
    v = rank if C._is_int(f.step, 1) else N.BinOp("*", rank, f.step)
    return v if C._is_int(f.start, 0) else N.BinOp("+", f.start, v)


def copies_obligation(f: N.For, values: list[N.Expr], outer: N.For | None, defines: dict):
    """Z3: the copies' values of f.var (per outer iteration when partially unrolled) are in the old domain,
    strictly increasing, and as many as the trip count, hence exactly the old iteration space in order."""
    def check():
        try:
            env: dict = {}
            if outer is not None:
                ov = z3.Int("outer")
                env[outer.var] = ov
                ctx = [ov >= 0, ov < C.ir_z3(outer.stop, env, defines)]
                per = len(values)
                nxt = dict(env)
                nxt[outer.var] = ov + 1
                chain = [C.ir_z3(values[-1], env, defines) < C.ir_z3(values[0], nxt, defines)]
                count = C.ir_z3(outer.stop, env, defines) * per
            else:
                ctx, chain, count = [], [], z3.IntVal(len(values))
            vs = [C.ir_z3(v, env, defines) for v in values]
            denv = {f.var: None}
            claims = []
            for x in vs:
                denv[f.var] = x
                lo, hi, st = (C.ir_z3(e, {}, defines) for e in (f.start, f.stop, f.step))
                claims += [lo <= x, x < hi, (x - lo) % st == 0]
            claims += [a < b for a, b in itertools.pairwise(vs)] + chain
            claims.append(count == C.ir_z3(C.trip_count(f, defines), {}, defines))
            ok, cex = C._prove(z3.And(*claims), ctx)
            return ok, "copies enumerate the iteration space in order" if ok else f"counterexample {cex}"
        except Exception as e:  # noqa: BLE001 - reported as undecided
            return None, f"not modelled: {e}"
    return check


class LoopExpand(Pass):
    name = "loop_expand"
    knobs = (Knob("factor", (0, 2, 4, 8), 0, "0 = unroll fully, else copies per iteration"),
             Knob("loop", (None,), None, "name of the loop variable (default: chosen)"),
             Knob("max_full", (4, 8, 16, 32), 8, "largest trip count unrolled fully by default"))

    def run(self, program: Program, ctx: PassContext) -> PassResult:
        factor = int(ctx.knob(self.name, "factor", 0))
        want = ctx.knob(self.name, "loop", None)
        max_full = int(ctx.knob(self.name, "max_full", 8))
        defines = program.module.defines()
        for func in D.target_funcs(program):
            for f in D.loops_in(func):
                if f.kind not in (N.LoopKind.SERIAL, N.LoopKind.UNROLLED, N.LoopKind.PARALLEL):
                    continue
                if want is not None and f.var.name != want:
                    continue
                if want is None and D.loops_in(N.Block(f.body)):
                    continue
                tc = D.expr_constant(C.trip_count(f, defines), defines)
                if tc is None or tc <= 0 or (factor == 0 and want is None and tc > max_full):
                    continue
                if factor and tc % factor:
                    continue
                vt = f.var_type or C.INT
                if factor == 0 or factor >= tc:
                    values = [_value(f, N.Const(k)) for k in range(tc)]
                    new = tuple(N.Block((N.Decl(f.var, vt, v, const=True),) + f.body) for v in values)
                    outer = None
                else:
                    vu = N.Sym(C.fresh_name(f.var.name + "_u", func))
                    values = [_value(f, N.BinOp("+", N.BinOp("*", N.Var(vu), N.Const(factor)), N.Const(k)))
                              for k in range(factor)]
                    outer = N.For(vu, N.Const(0), N.Const(tc // factor), N.Const(1),
                                  tuple(N.Block((N.Decl(f.var, vt, v, const=True),) + f.body) for v in values),
                                  var_type=C.INT)
                    new = outer
                out = D.replace_func(program, func, D.replace_node(func, f, new))
                ob = Obligation(f"loop_expand {f.var.name}: same iterations in order",
                                copies_obligation(f, values, outer, defines))
                how = "fully" if outer is None else f"by {factor}"
                return PassResult(out, [ob], notes=[f"{func.name}: unrolled {f.var.name} {how}"])
        raise PassDeclined("loop_expand: no loop to unroll")


PASS = LoopExpand()
