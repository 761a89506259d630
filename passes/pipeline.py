"""Pipeline (double buffering): overlap the GDRAM->NRAM load of tile k+1 with the computation of tile k.

bang only. A tile loop (as `cache` writes it: `for (v0 = lo; v0 < hi; v0 += T) { loads; compute; stores }`,
the loads being `__memcpy(nram_buf, src(v0), size, GDRAM2NRAM)` with a size independent of v0) becomes

    E *buf_cur = buf, *buf_nxt = buf_b;                   // buf_b: a second NRAM buffer per loaded one
    if (lo < hi) __memcpy(buf_cur, src(lo), size, GDRAM2NRAM);
    for (v0 = lo; v0 < hi; v0 += T) {
      if (v0 + T < hi) __memcpy_async(buf_nxt, src(v0 + T), size, GDRAM2NRAM);
      compute and stores on buf_cur;
      __sync();                                            // the prefetch has landed
      swap buf_cur, buf_nxt;
    }

It declines where it does not pay: a loop with fewer than two tiles (when the count is known), one
without computation between its loads and stores, or when the second buffers do not fit in NRAM. Other
dialects: declined. Obligation: the prefetch reads exactly the next iteration's source (Z3).
"""

from __future__ import annotations

import dataclasses

import z3

from xpiler.ir import nodes as N
from xpiler.ir.types import Pointer, Scope
from xpiler.ir.visit import substitute
from xpiler.ir.z3expr import Unsupported, prove, to_z3
from xpiler.pipeline.passes import Knob, Obligation, Pass, PassContext, PassDeclined, PassResult
from xpiler.pipeline.program import Program


def _load(s) -> tuple | None:
    """(buffer sym, source, size) of `__memcpy(buf, src, size, GDRAM2NRAM)`."""
    if (isinstance(s, N.Evaluate) and isinstance(s.value, N.Call) and s.value.name == "__memcpy"
            and len(s.value.args) == 4 and isinstance(s.value.args[0], N.Var)
            and isinstance(s.value.args[3], N.Var) and s.value.args[3].sym.name == "GDRAM2NRAM"):
        return s.value.args[0].sym, s.value.args[1], s.value.args[2]
    return None


def _store(s) -> bool:
    return (isinstance(s, N.Evaluate) and isinstance(s.value, N.Call) and s.value.name == "__memcpy"
            and len(s.value.args) == 4 and isinstance(s.value.args[3], N.Var)
            and s.value.args[3].sym.name == "NRAM2GDRAM")


class _Pipeline(Pass):
    name = "pipeline"
    optional = True
    knobs = (Knob("min_tiles", (2, 4), 2, "pipeline only loops with at least this many tiles (when known)"),)

    def applies(self, program: Program, ctx: PassContext) -> bool:
        return program.dialect == "bang"

    def run(self, program: Program, ctx: PassContext) -> PassResult:
        if program.dialect != "bang":
            raise PassDeclined(f"pipeline: no double buffering for {program.dialect}")
        from xpiler.passes._cache_bang import (
            Names,
            alloc_bytes,
            bang_facts,
            const_int,
            max_trip,
            onchip_bytes,
            replace_func,
            swap_loops,
            task_count,
            walk,
        )

        module = program.module
        defines = module.defines()
        names = Names(module)
        nram_cap = bang_facts().generation().nram
        min_tiles = int(ctx.knob("pipeline", "min_tiles", 2))
        notes, obligations = [], []
        for func in [f for f in module.funcs() if f.kind is N.FuncKind.KERNEL and not f.is_declaration]:
            allocs = {a.sym: a for a in walk(func.body) if isinstance(a, N.Alloc) and a.scope is Scope.NRAM}
            reassigned = {n.sym for n in walk(func.body) if isinstance(n, N.Assign)}
            env = {}
            for d in walk(func.body):
                if isinstance(d, N.Decl) and d.init is not None and d.sym not in reassigned:
                    try:
                        env[d.sym] = to_z3(d.init, env, defines)
                    except (Unsupported, z3.Z3Exception):
                        pass
            free = nram_cap - (onchip_bytes(module, func, defines) or nram_cap)
            replace, extra = {}, []
            for loop in [n for n in walk(func.body) if isinstance(n, N.For)]:
                step = const_int(loop.step, defines)
                loads = []
                for s in loop.body:
                    got = _load(s)
                    if got is None:
                        break
                    loads.append(got)
                stores = 0
                for s in reversed(loop.body):
                    if not _store(s):
                        break
                    stores += 1
                middle = loop.body[len(loads):len(loop.body) - stores]
                if not loads or not middle or step is None or step <= 0:
                    continue
                if any(b not in allocs or loop.var in _syms(size) for b, _, size in loads):
                    continue
                if len({b for b, _, _ in loads}) != len(loads):
                    continue
                trip = const_int(N.BinOp("-", loop.stop, loop.start), defines, env)
                if trip is None:  # the largest trip any task runs
                    trip = max_trip(loop, func, defines, task_count(program, func))
                if trip is not None and (trip + step - 1) // step < min_tiles:
                    continue
                need = sum(alloc_bytes(allocs[b], defines) or nram_cap for b, _, _ in loads)
                if need > free:
                    continue
                free -= need
                stmts, pre, ob = self._rewrite(loop, loads, middle, loop.body[len(loop.body) - stores:], allocs,
                                               names, defines, env)
                replace[id(loop)] = pre + [stmts]
                extra += [N.Alloc(b2, allocs[b].elem, allocs[b].shape, Scope.NRAM) for b, b2 in ob[1]]
                obligations.append(ob[0])
                notes.append(f"pipeline: {func.name}: loop {loop.var.name} double-buffers "
                             f"{', '.join(b.name for b, _, _ in loads)}")
            if not replace:
                continue

            body = tuple(extra) + tuple(swap_loops(func.body, replace))
            module = replace_func(module, func, dataclasses.replace(func, body=body))
        if not notes:
            raise PassDeclined("pipeline: no tile loop where double buffering pays (>= 2 tiles, loads + compute)")
        return PassResult(program.replace(module=module), obligations=obligations, notes=notes)

    @staticmethod
    def _rewrite(loop, loads, middle, stores, allocs, names, defines, env):
        v, T = loop.var, loop.step
        pre, pairs, cur_of = [], [], {}
        for b, _, _ in loads:
            b2 = names.fresh(b.name + "_b")
            cur, nxt = names.fresh(b.name + "_cur"), names.fresh(b.name + "_nxt")
            ptr = Pointer(allocs[b].elem, Scope.NRAM)
            pre += [N.Decl(cur, ptr, N.Var(b)), N.Decl(nxt, ptr, N.Var(b2))]
            pairs.append((b, b2))
            cur_of[b] = (cur, nxt)
        first = [N.Evaluate(N.Call("__memcpy", (N.Var(cur_of[b][0]), substitute(src, {v: loop.start}), size,
                                                N.Var(N.Sym("GDRAM2NRAM"))), N.CallKind.INTRINSIC))
                 for b, src, size in loads]
        pre.append(N.If(N.BinOp("<", loop.start, loop.stop), tuple(first)))
        nxt_v = N.BinOp("+", N.Var(v), T)
        prefetch = [N.Evaluate(N.Call("__memcpy_async", (N.Var(cur_of[b][1]), substitute(src, {v: nxt_v}), size,
                                                         N.Var(N.Sym("GDRAM2NRAM"))), N.CallKind.INTRINSIC))
                    for b, src, size in loads]
        body = [N.If(N.BinOp("<", nxt_v, loop.stop), tuple(prefetch))]
        body += list(substitute(tuple(middle) + tuple(stores), {b: N.Var(c) for b, (c, _) in cur_of.items()}))
        body.append(N.Barrier(N.BarrierScope.CORE))
        for b, (cur, nxt) in cur_of.items():
            t = names.fresh(b.name + "_t")
            body += [N.Decl(t, Pointer(allocs[b].elem, Scope.NRAM), N.Var(cur)), N.Assign(cur, N.Var(nxt)),
                     N.Assign(nxt, N.Var(t))]
        new = dataclasses.replace(loop, body=tuple(body))

        def check():
            try:
                x = z3.Int("v!pipe")
                for b, src, _ in loads:
                    nxt = to_z3(substitute(src, {v: nxt_v}), {v: x, **env}, defines)
                    want = to_z3(src, {v: x + to_z3(T, env, defines), **env}, defines)
                    ok, model = prove(nxt == want)
                    if not ok:
                        return False, f"{b.name}: the prefetch reads another source ({model})"
                return True, f"prefetch of {len(loads)} buffer(s) reads iteration v0+T's source"
            except Unsupported as ex:
                return None, str(ex)

        return new, pre, (Obligation(f"pipeline: prefetch of loop {v.name}", check), pairs)


def _syms(e) -> set:
    from xpiler.ir.visit import free_syms

    return free_syms(e)


PASS = _Pipeline()
