"""loop_bind for BANG: a band of independent loops is shared among taskDim tasks in contiguous chunks.

    const int chunk = (T + taskDim - 1) / taskDim;
    const int begin = taskId * chunk;
    const int end = begin + chunk < T ? begin + chunk : T;
    for (int flat = begin; flat < end; ++flat) { <band variables decoded from flat>; <band body> }

The launch becomes a Union job (knobs `tasks`, `clusters`, `cores`; default 16 tasks = Union4, 4 clusters x 4
cores, like the corpus). Nothing here needs a barrier: the code outside the band only writes task-private
state (see _bind_common), so no `__sync_all` is emitted.
"""

from __future__ import annotations

import z3

from xpiler.ir import nodes as N

from . import _bind_common as C


def bind(band: C.Band, ctx, dialect: str):
    clusters = int(ctx.knob("loop_bind", "clusters", 4))
    cores = int(ctx.knob("loop_bind", "cores", 4))
    if clusters not in (1, 2, 4, 8, 16) or not 0 < cores <= 4:
        clusters, cores = 4, 4
    tasks = clusters * cores
    total = band.total()
    defines = band.facts.defines
    stem = "_".join(f.var.name for f in band.loops)
    flat = N.Sym(C.fresh_name(stem + "_flat", band.func))
    chunk = N.Sym(C.fresh_name(stem + "_chunk", band.func))
    begin = N.Sym(C.fresh_name(stem + "_begin", band.func))
    end = N.Sym(C.fresh_name(stem + "_end", band.func))
    tdim, tid = N.Builtin("taskDim"), N.Builtin("taskId")
    chunk_e = N.BinOp("/", N.BinOp("-", N.BinOp("+", total, tdim), N.Const(1)), tdim)
    begin_e = N.BinOp("*", tid, N.Var(chunk))
    upper = N.BinOp("+", N.Var(begin), N.Var(chunk))
    end_e = N.Select(N.BinOp("<", upper, total), upper, total)
    decls = C.decode(band, N.Var(flat))
    loop = N.For(flat, N.Var(begin), N.Var(end), N.Const(1), tuple(decls) + band.inner_body(), var_type=C.INT)
    stmt = N.Block((N.Decl(chunk, C.INT, chunk_e, const=True), N.Decl(begin, C.INT, begin_e, const=True),
                    N.Decl(end, C.INT, end_e, const=True), loop))

    def model():
        t, f = z3.FreshInt("taskId"), z3.FreshInt("flat")
        env = {"taskId": t, "taskDim": z3.IntVal(tasks)}
        env[chunk] = C.ir_z3(chunk_e, env, defines)
        env[begin] = C.ir_z3(begin_e, env, defines)
        env[end] = C.ir_z3(end_e, env, defines)
        env[flat] = f
        active = z3.And(env[begin] <= f, f < env[end])
        ch = env[chunk]
        dec = []
        for d in decls:
            env[d.sym] = C.ir_z3(d.init, env, defines)
            dec.append(env[d.sym])
        # the chunks [t * chunk, min(t * chunk + chunk, T)) are disjoint and each flat decodes by the mixed radix
        # of the band: injective and onto follow as for one thread per iteration, given tasks * chunk >= T
        total_z = C.ir_z3(total, env, defines)
        return C.BindingModel([t, f], [t >= 0, t < tasks], active, dec, lambda r: [r / ch, r],
                              canonical=(f, total_z, tasks * ch))

    return C.replace_band(band, stmt), {"tasks": tasks, "clusters": clusters, "cores": cores}, model, {}
