"""loop_split: strip-mine a counted loop by a factor (TVM's `split`).

    for (v = s; v < e; v += st) body
 -> for (v_o = 0; v_o < ceil(T / f); ++v_o)
      for (v_i = 0; v_i < f; ++v_i) { const int v = s + (v_o * f + v_i) * st; if (v_o * f + v_i < T) body }

with T the trip count; the guard is left out when T is a constant multiple of f. The execution order is
unchanged, so the split is always legal. Knobs: `factor` (default 4) and `loop` (the loop variable's name;
default: the first innermost loop whose constant trip count is at least twice the factor). Obligation (Z3):
the new nest runs exactly the old iteration space, each point once.
"""

from __future__ import annotations

from xpiler.ir import nodes as N
from xpiler.pipeline.passes import Knob, Obligation, Pass, PassContext, PassDeclined, PassResult
from xpiler.pipeline.program import Program

from . import _bind_common as C
from . import _deps as D


def split_loop(func: N.Func, f: N.For, factor: int, defines: dict) -> tuple[N.For, list, list, dict]:
    """The split nest that replaces `f`, with its (loops, guards, definitions) for the obligation."""
    t = C.trip_count(f, defines)
    tc = D.expr_constant(t, defines)
    vo = N.Sym(C.fresh_name(f.var.name + "_o", func))
    vi = N.Sym(C.fresh_name(f.var.name + "_i", func))
    rank = N.BinOp("+", N.BinOp("*", N.Var(vo), N.Const(factor)), N.Var(vi))
    v = rank if C._is_int(f.step, 1) else N.BinOp("*", rank, f.step)
    if not C._is_int(f.start, 0):
        v = N.BinOp("+", f.start, v)
    n_outer = N.Const(-(-tc // factor)) if tc is not None else N.BinOp(
        "/", N.BinOp("+", t, N.Const(factor - 1)), N.Const(factor))
    body, guards = f.body, []
    if tc is None or tc % factor:
        guards = [N.BinOp("<", rank, t)]
        body = (N.If(guards[0], body),)
    inner = N.For(vi, N.Const(0), N.Const(factor), N.Const(1),
                  (N.Decl(f.var, f.var_type or C.INT, v, const=True),) + body, kind=f.kind, var_type=C.INT)
    outer = N.For(vo, N.Const(0), n_outer, N.Const(1), (inner,), kind=f.kind, var_type=C.INT)
    return outer, [outer, inner], guards, {f.var: v}


class LoopSplit(Pass):
    name = "loop_split"
    knobs = (Knob("factor", (2, 4, 8, 16, 32, 64, 128, 256), 4, "inner trip count"),
             Knob("loop", (None,), None, "name of the loop variable to split (default: chosen)"))

    def run(self, program: Program, ctx: PassContext) -> PassResult:
        factor = int(ctx.knob(self.name, "factor", 4))
        want = ctx.knob(self.name, "loop", None)
        if factor < 2:
            raise PassDeclined("loop_split: factor must be at least 2")
        defines = program.module.defines()
        for func in D.target_funcs(program):
            for f in D.loops_in(func):
                if f.kind not in (N.LoopKind.SERIAL, N.LoopKind.PARALLEL):
                    continue
                if want is not None:
                    if f.var.name != want:
                        continue
                else:
                    tc = D.expr_constant(C.trip_count(f, defines), defines)
                    if D.loops_in(N.Block(f.body)) or tc is None or tc < 2 * factor:
                        continue
                new, loops, guards, defs = split_loop(func, f, factor, defines)
                nf = D.replace_node(func, f, new)
                out = D.replace_func(program, func, nf)
                ob = Obligation(f"loop_split {f.var.name} by {factor}: same iteration space",
                                lambda f=f, loops=loops, guards=guards, defs=defs:
                                D.same_iterations([f], loops, guards, defs, defines))
                return PassResult(out, [ob], notes=[f"{func.name}: split {f.var.name} by {factor}"])
        raise PassDeclined("loop_split: no loop to split" + (f" named {want}" if want else ""))


PASS = LoopSplit()
