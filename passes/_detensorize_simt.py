"""Detensorize for CUDA / HIP: every warp- or wave-level collective becomes per-thread scalar code that
communicates through `__shared__` memory and block barriers, so that later passes (loop recovery's fission
at barriers) only meet `__syncthreads()`. The output keeps the dialect, entry and launch of the input.

What is replaced (per kernel, after inlining the `__device__` functions that contain collectives):
* wmma (cuda): each fragment becomes a per-warp shared array `[WARPS][R*C]` holding its logical row-major
  R x C matrix (the element order of the emulator's fragments); `fill_fragment`, `load_matrix_sync` (row or
  column major, any ldm), `store_matrix_sync` and `mma_sync` become loops in which lane l handles elements
  l, l+32, ...; a barrier follows each operation.
* MFMA (hip, the f32 / f16 / f64 `__builtin_amdgcn_mfma_*` with cbsz = abid = blgp = 0): each lane stores
  its A and B items to per-wave shared arrays at the positions of the catalogue's lane layout, barrier,
  each lane computes its own accumulator items (fused multiply-adds in k order, as the hardware and the
  emulator do), barrier.
* shuffles (`__shfl*_sync`, HIP `__shfl*` with width, wave64): the value goes to a per-thread shared slot,
  barrier, the thread reads its partner's slot (own value where the partner lies outside its segment, as
  the CUDA/HIP rules say), barrier.
* `__syncwarp()` becomes `__syncthreads()`.
Collectives under warp-uniform control (`if (active)`, loops over `warp`, early `return`s) are made
block-uniform afterwards by predication (`_simt_predicate`). The warp count comes from the launches of the
host code, the bare kernel's launch, or `__launch_bounds__`.

Obligations (Z3): every per-lane element loop covers its fragment's R*C elements exactly once over the
lanes of a warp; the MFMA A/B placements and accumulator positions are bijections onto their matrices;
every shuffle reads a lane of the thread's own warp.

Limits (PassDeclined): fragments in arrays or used other than through the four wmma calls, int8 / bf16 /
tf32 matrix ops, saturating mma, collectives in loop headers or under `&&`, `||`, `?:`, shuffles of values
whose type cannot be inferred, other warp collectives (ballot, vote, match), unknown block sizes, and the
limits of the inliner (`_simt_util`) and of predication.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import z3
from xpiler.passes._simt_predicate import Predicator
from xpiler.passes._simt_util import (
    activemask_as_full,
    host_launches,
    inline_device_functions,
    module_names,
    parse_simt_launch,
    uniquify_names,
)

from xpiler.frontend.consteval import const_value
from xpiler.ir import nodes as N
from xpiler.ir.types import BOOL, INT32, Fragment, Pointer, Scalar, Scope, Type, Vector
from xpiler.ir.visit import Rewriter, walk
from xpiler.ir.z3expr import expand_macros, to_z3
from xpiler.pipeline.passes import Obligation, PassContext, PassDeclined, PassResult
from xpiler.pipeline.program import Program

_WMMA = ("fill_fragment", "load_matrix_sync", "store_matrix_sync", "mma_sync")
_ACC = {"float16": "float32", "float32": "float32", "float64": "float64"}  # input dtype -> compute dtype
_RANK = ("bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "size_t",
         "float16", "bfloat16", "float32", "float64")


def _bar() -> N.Barrier:
    return N.Barrier(N.BarrierScope.BLOCK)


def _c(v: int) -> N.Const:
    return N.Const(v)


def _b(op: str, a: N.Expr, b: Any) -> N.Expr:
    """`a op b`, folding integer constants and the identities x*1, x+0, 0*x, x/1."""
    b = b if isinstance(b, N.Expr) else _c(b)
    ca = a.value if isinstance(a, N.Const) and a.dtype == "int32" else None
    cb = b.value if isinstance(b, N.Const) and b.dtype == "int32" else None
    if ca is not None and cb is not None and op in ("+", "-", "*") or (op in ("/", "%") and ca is not None
                                                                       and cb and ca >= 0 and cb > 0):
        return _c({"+": ca + cb if cb is not None else 0, "-": ca - cb if cb is not None else 0,
                   "*": ca * cb if cb is not None else 0, "/": ca // cb if cb else 0,
                   "%": ca % cb if cb else 0}[op])
    if (op == "+" and cb == 0) or (op in ("*", "/") and cb == 1) or (op == "-" and cb == 0):
        return a
    if op == "+" and ca == 0 or op == "*" and ca == 1:
        return b
    if op == "*" and (ca == 0 or cb == 0):
        return _c(0)
    return N.BinOp(op, a, b)


class _Kinds:
    """Classifies calls of the program's dialect by the catalogue."""

    def __init__(self, cat: Any) -> None:
        self.cat = cat

    def kind(self, n: Any) -> str | None:
        if not isinstance(n, N.Call):
            return None
        tail = n.name.rsplit("::", 1)[-1]
        if "wmma::" in n.name and tail in _WMMA:
            return "wmma"
        e = self.cat.get(n.name)
        if e is None:
            if n.name.startswith(("__shfl", "__ballot", "__any", "__all", "__activemask", "__match",
                                  "__reduce_", "__builtin_amdgcn_")):
                return "other"
            return None
        if e.category == "matmul" and "dmap" in e.extra:
            return "mfma"
        if e.category == "collective":
            names = {o.name for o in e.operands}
            return "shfl" if "var" in names else "other"
        return None

    def collective_in(self, node: Any) -> bool:
        return any(self.kind(n) or (isinstance(n, N.Barrier) and n.scope is N.BarrierScope.WARP)
                   or isinstance(n, Fragment) for n in walk(node))


def applies(program: Program, ctx: PassContext) -> bool:
    kinds = _Kinds(ctx.catalogue(program.dialect))
    return any(kinds.collective_in(f) for f in program.module.funcs() if f.kind is not N.FuncKind.HOST)


def run(program: Program, ctx: PassContext) -> PassResult:
    dialect = program.dialect
    ws = int(ctx.language(dialect).warp_size)
    kinds = _Kinds(ctx.catalogue(dialect))
    module, n_masks = activemask_as_full(program.module, (1 << ws) - 1)
    funcs = [f for f in module.funcs() if not f.is_declaration]
    direct = {f.name for f in funcs if f.kind is not N.FuncKind.HOST and kinds.collective_in(f)}
    if not direct:
        return PassResult(program, changed=False, notes=["detensorize: no warp collectives; unchanged"])
    devs = {f.name: f for f in funcs if f.kind is N.FuncKind.DEVICE}
    need = direct & set(devs)
    grown = True
    while grown:
        grown = False
        for f in devs.values():
            if f.name not in need and any(isinstance(n, N.Call) and n.name in need for n in walk(f)):
                need.add(f.name)
                grown = True
    module = inline_device_functions(module, need)
    left = [f.name for f in module.funcs() if f.name in need]
    if left:
        raise PassDeclined(f"detensorize: device functions with collectives still called: {', '.join(left)}")
    launches = host_launches(module)
    taken = module_names(module)
    obligations: list[Obligation] = []
    notes: list[str] = []
    items = []
    for it in module.items:
        if isinstance(it, N.Func) and it.kind is N.FuncKind.KERNEL and not it.is_declaration \
                and kinds.collective_in(it):
            it = uniquify_names(it, taken)
            low = _KernelLowering(it, module, program, ws, kinds, launches, taken)
            it = low.lower()
            obligations += low.obligations
            notes.append(f"detensorize: {it.name}: {low.summary()}")
        items.append(it)
    module = replace(module, items=tuple(items))
    for n in walk(module):
        if kinds.kind(n) or isinstance(n, Fragment):
            raise PassDeclined(f"detensorize: a collective is left over ({getattr(n, 'name', n)})")
    return PassResult(program.replace(module=module), obligations=obligations, notes=notes)


# ----------------------------------------------------------------------------------------------------------
# one kernel


class _KernelLowering:
    def __init__(self, func: N.Func, module: N.Module, program: Program, ws: int, kinds: _Kinds,
                 launches: dict, taken: set[str]) -> None:
        self.func, self.module, self.ws, self.kinds = func, module, ws, kinds
        self.defines = module.defines()
        self.macros = {d.sym: d.body for d in self.defines.values() if d.params is None and d.body is not None}
        self.taken = taken
        for n in walk(func):
            for s in (getattr(n, "sym", None), getattr(n, "var", None)):
                if isinstance(s, N.Sym):
                    taken.add(s.name)
        self.threads, one_d = self._block_size(program, launches)
        self.warps = -(-self.threads // ws)
        x = N.Builtin("threadIdx.x")
        tid = x if one_d else _b("+", x, _b("*", N.Builtin("blockDim.x"), _b(
            "+", N.Builtin("threadIdx.y"), _b("*", N.Builtin("blockDim.y"), N.Builtin("threadIdx.z")))))
        self.tid, self.lane, self.warp = self.fresh("xp_tid"), self.fresh("xp_lane"), self.fresh("xp_warp")
        self.prelude: list = [N.Decl(self.tid, INT32, tid, const=True),
                              N.Decl(self.lane, INT32, _b("%", N.Var(self.tid), ws), const=True),
                              N.Decl(self.warp, INT32, _b("/", N.Var(self.tid), ws), const=True)]
        self.shared: list = []
        self.frags: dict[N.Sym, tuple[Fragment, N.Sym]] = {}
        self.slots: dict[str, N.Sym] = {}
        self.mfma_arrays: dict[str, list] = {}  # compute dtype -> [A array, B array, A size, B size]
        self.types = self._declared_types()
        self.obligations: list[Obligation] = []
        self.counts = {"wmma": 0, "mfma": 0, "shfl": 0}

    # -- setup ------------------------------------------------------------------------------------------
    def fresh(self, name: str) -> N.Sym:
        k, cand = 0, name
        while cand in self.taken:
            k += 1
            cand = f"{name}_{k}"
        self.taken.add(cand)
        return N.Sym(cand)

    def const(self, e: N.Expr) -> int | None:
        try:
            v = const_value(expand_macros(e, self.defines), self.macros)
        except (ValueError, Exception):  # noqa: BLE001 - a macro that does not expand is simply not constant
            return None
        return int(v) if isinstance(v, (bool, int)) else None

    def _block_size(self, program: Program, launches: dict) -> tuple[int, bool]:
        f = self.func
        dims = []
        known = True
        for entry in launches.get(f.name, []):
            if entry is None:
                known = False
            else:
                dims.append(entry[1])
        if program.entry_is_kernel and program.entry == f.name and program.launch:
            dims.append(parse_simt_launch(program.launch)[1])
        bound = self.const(f.launch_bounds[0]) if f.launch_bounds else None
        if dims and known:
            total = max(b[0] * b[1] * b[2] for b in dims)
            return total, all(b[1] == 1 and b[2] == 1 for b in dims)
        if bound is not None and bound > 0:
            return bound, False
        raise PassDeclined(f"detensorize: the block size of {f.name} is not known (no constant launch or "
                           "__launch_bounds__)")

    def _declared_types(self) -> dict:
        out: dict = {p.sym: p.type for p in self.func.params}
        for n in walk(self.func):
            if isinstance(n, N.Decl):
                out[n.sym] = n.type
            elif isinstance(n, N.For) and n.var_type is not None:
                out[n.var] = n.var_type
            elif isinstance(n, N.For):
                out[n.var] = INT32
        return out

    def summary(self) -> str:
        parts = [f"{v} {k}" for k, v in self.counts.items() if v]
        return ", ".join(parts) + f"; {self.threads} threads, {self.warps} warps of {self.ws}"

    # -- driver -----------------------------------------------------------------------------------------
    def lower(self) -> N.Func:
        body = self._stmts(self.func.body)
        pred = Predicator(self.macros, self.fresh, N.Var(self.tid))
        body = _dedupe_barriers(pred.body(tuple(self.prelude) + body))
        for ct, (sa, sb, size_a, size_b) in self.mfma_arrays.items():
            self.shared += [N.Alloc(sa, Scalar(ct), (_c(self.warps), _c(size_a)), Scope.SHARED),
                            N.Alloc(sb, Scalar(ct), (_c(self.warps), _c(size_b)), Scope.SHARED)]
        return replace(self.func, body=tuple(self.shared) + tuple(pred.prelude) + body)

    def _stmts(self, stmts: tuple) -> tuple:
        out: list = []
        for s in stmts:
            out.extend(self._stmt(s))
        return tuple(out)

    def _stmt(self, s: Any) -> list:
        if isinstance(s, N.Decl) and isinstance(s.type, Fragment):
            if s.init is not None:
                raise PassDeclined("detensorize: an initialized wmma fragment")
            self._fragment(s.sym, s.type)
            return []
        if isinstance(s, N.Alloc) and isinstance(s.elem, Fragment):
            raise PassDeclined("detensorize: arrays of wmma fragments are not handled")
        if isinstance(s, N.Barrier) and s.scope is N.BarrierScope.WARP:
            return [replace(s, scope=N.BarrierScope.BLOCK)]
        if isinstance(s, N.Evaluate) and self.kinds.kind(s.value) == "wmma":
            self._no_collective(s.value.args, "the arguments of a wmma call")
            return self._wmma(s.value)
        if isinstance(s, N.For):
            self._no_collective((s.start, s.stop, s.step), "a loop header")
            return [replace(s, body=self._stmts(s.body))]
        if isinstance(s, N.CFor):
            self._no_collective((s.init, s.cond, s.update), "a loop header")
            return [replace(s, body=self._stmts(s.body))]
        if isinstance(s, (N.While, N.DoWhile)):
            self._no_collective(s.cond, "a loop condition")
            return [replace(s, body=self._stmts(s.body))]
        if isinstance(s, N.Block):
            return [replace(s, body=self._stmts(s.body))]
        pre: list = []
        if isinstance(s, N.Switch):
            s = replace(s, value=self._hoist(s.value, pre),
                        cases=tuple(replace(c, body=self._stmts(c.body)) for c in s.cases))
        elif isinstance(s, N.If):
            s = replace(s, cond=self._hoist(s.cond, pre), then=self._stmts(s.then), orelse=self._stmts(s.orelse))
        elif isinstance(s, N.Decl) and s.init is not None:
            s = replace(s, init=self._hoist(s.init, pre))
        elif isinstance(s, (N.Assign, N.Evaluate)) or (isinstance(s, N.Return) and s.value is not None):
            s = replace(s, value=self._hoist(s.value, pre))
        elif isinstance(s, N.Store):
            value = self._hoist(s.value, pre)
            s = replace(s, target=self._hoist(s.target, pre), value=value)
        else:
            self._no_collective(s, "this statement")
        return pre + [s]

    def _no_collective(self, node: Any, where: str) -> None:
        if isinstance(node, tuple):
            for x in node:
                self._no_collective(x, where)
            return
        if node is None:
            return
        for n in walk(node):
            if self.kinds.kind(n) or isinstance(n, Fragment):
                raise PassDeclined(f"detensorize: {getattr(n, 'name', 'a fragment')} in {where} is not handled")

    def _hoist(self, e: N.Expr, pre: list) -> N.Expr:
        """`e` with every shuffle / MFMA call replaced by a temporary computed by statements added to `pre`
        (in evaluation order)."""
        for n in walk(e):
            parts = ()
            if isinstance(n, N.BinOp) and n.op in ("&&", "||"):
                parts = (n.b,)
            elif isinstance(n, N.Select):
                parts = (n.a, n.b)
            for p in parts:
                self._no_collective(p, "a conditionally evaluated operand")
        low = self

        class _H(Rewriter):
            def rewrite_Call(self, c: N.Call):
                k = low.kinds.kind(c)
                if k == "shfl":
                    return low._shuffle(c, pre)
                if k == "mfma":
                    return low._mfma(c, pre)
                if k is not None:
                    raise PassDeclined(f"detensorize: {c.name} ({k}) is not handled here")
                return None

        return _H().rewrite(e)

    # -- shared arrays ----------------------------------------------------------------------------------
    def _shared(self, name: str, dtype: str, shape: tuple[int, ...]) -> N.Sym:
        sym = self.fresh(name)
        self.shared.append(N.Alloc(sym, Scalar(dtype), tuple(_c(d) for d in shape), Scope.SHARED))
        return sym

    def _lane_loop(self, count: int, body) -> N.For:
        """for (e = lane; e < count; e += warp size) body(e), with its coverage obligation."""
        e = self.fresh("xp_e")
        loop = N.For(e, N.Var(self.lane), _c(count), _c(self.ws), tuple(body(N.Var(e))), var_type=INT32)
        self.obligations.append(Obligation(f"lane loop covers {count} elements once",
                                           lambda loop=loop, count=count: self._cover(loop, count)))
        return loop

    def _cover(self, loop: N.For, count: int) -> tuple[bool | None, str]:
        lane, t = z3.Int("lane"), z3.Int("t")
        e1, l2 = z3.Int("e1"), z3.Int("l2")

        def dom(lv, ev):
            env = {self.lane: lv, loop.var: ev}
            start, stop, step = (to_z3(x, env, self.defines) for x in (loop.start, loop.stop, loop.step))
            return z3.And(0 <= lv, lv < self.ws, start <= ev, ev < stop, (ev - start) % step == 0)

        s = z3.Solver()
        s.set("timeout", 5000)
        # in range, and each element reached by exactly one lane: dom(l, t) for l = t % ws, no other lane
        s.add(z3.Or(z3.And(dom(lane, e1), z3.Or(e1 < 0, e1 >= count)),
                    z3.And(0 <= t, t < count, z3.Not(dom(t % self.ws, t))),
                    z3.And(dom(lane, e1), dom(l2, e1), lane != l2)))
        r = s.check()
        if r == z3.unsat:
            return True, f"bijective onto [0, {count})"
        return (False, f"counterexample {s.model()}") if r == z3.sat else (None, "z3 gave up")

    # -- wmma -------------------------------------------------------------------------------------------
    @staticmethod
    def _dims(f: Fragment) -> tuple[int, int]:
        return {"matrix_a": (f.m, f.k), "matrix_b": (f.k, f.n), "accumulator": (f.m, f.n)}[f.use]

    def _fragment(self, sym: N.Sym, f: Fragment) -> None:
        if f.use not in ("matrix_a", "matrix_b", "accumulator"):
            raise PassDeclined(f"detensorize: fragment use {f.use}")
        if f.dtype not in _ACC:
            raise PassDeclined(f"detensorize: {f.dtype} fragments are not handled")
        r, c = self._dims(f)
        if (r * c) % self.ws:
            raise PassDeclined("detensorize: a fragment whose size is not a multiple of the warp size")
        self.frags[sym] = (f, self._shared(f"xp_frag_{sym.name}", f.dtype, (self.warps, r * c)))

    def _frag(self, e: N.Expr) -> tuple[Fragment, N.Sym]:
        if not isinstance(e, N.Var) or e.sym not in self.frags:
            raise PassDeclined("detensorize: a wmma operand that is not a declared fragment")
        return self.frags[e.sym]

    def _at(self, arr: N.Sym, idx: N.Expr) -> N.Load:
        return N.Load(N.Var(arr), (N.Var(self.warp), idx))

    def _col_major(self, f: Fragment, layout: N.Expr | None) -> bool:
        if f.use != "accumulator":
            return f.layout == "col_major"
        if isinstance(layout, N.Var) and layout.sym.name.endswith(("mem_row_major", "mem_col_major")):
            return layout.sym.name.endswith("mem_col_major")
        v = self.const(layout) if layout is not None else None
        if v in (0, 1):
            return v == 1
        raise PassDeclined("detensorize: a wmma memory layout that is not a constant")

    def _wmma(self, call: N.Call) -> list:
        op = call.name.rsplit("::", 1)[-1]
        a = call.args
        self.counts["wmma"] += 1
        if op == "fill_fragment":
            f, arr = self._frag(a[0])
            r, c = self._dims(f)
            def fill(e: N.Expr) -> list:
                return [N.Store(self._at(arr, e), N.Cast(Scalar(f.dtype), a[1]))]

            return [self._lane_loop(r * c, fill), _bar()]
        if op in ("load_matrix_sync", "store_matrix_sync"):
            load = op == "load_matrix_sync"
            f, arr = self._frag(a[0] if load else a[1])
            ptr, ldm = (a[1], a[2]) if load else (a[0], a[2])
            col = self._col_major(f, a[3] if len(a) > 3 else None)
            r, c = self._dims(f)

            def body(e: N.Expr) -> list:
                row, cc = _b("/", e, c), _b("%", e, c)
                off = _b("+", _b("*", cc, ldm), row) if col else _b("+", _b("*", row, ldm), cc)
                mem = N.Load(ptr, (off,))
                return [N.Store(self._at(arr, e), mem)] if load else [N.Store(mem, self._at(arr, e))]

            return [self._lane_loop(r * c, body), _bar()]
        # mma_sync(d, a, b, c[, satf])
        if len(a) > 4 and self.const(a[4]) != 0:
            raise PassDeclined("detensorize: saturating mma_sync")
        (fd, d), (fa, xa), (fb, xb), (_, xc) = (self._frag(x) for x in a[:4])
        if fa.dtype != fb.dtype or fa.dtype not in _ACC:
            raise PassDeclined("detensorize: mma_sync operand types")
        acc = Scalar(_ACC[fa.dtype])
        m, n, k = fd.m, fd.n, fd.k

        def body(e: N.Expr) -> list:
            i, j = _b("/", e, n), _b("%", e, n)
            s, kk = self.fresh("xp_acc"), self.fresh("xp_k")
            prod = _b("*", N.Cast(acc, self._at(xa, _b("+", _b("*", i, k), N.Var(kk)))),
                      N.Cast(acc, self._at(xb, _b("+", _b("*", N.Var(kk), n), j))))
            return [N.Decl(s, acc, N.Cast(acc, self._at(xc, e))),
                    N.For(kk, _c(0), _c(k), _c(1), (N.Assign(s, prod, "+"),), var_type=INT32),
                    N.Store(self._at(d, e), N.Cast(Scalar(fd.dtype), N.Var(s)))]

        return [self._lane_loop(m * n, body), _bar()]

    # -- shuffles ---------------------------------------------------------------------------------------
    def _bind(self, call: N.Call) -> dict:
        e = self.kinds.cat[call.name]
        ins = [o.name for o in e.operands if o.role != "out"]
        if len(call.args) > len(ins):
            raise PassDeclined(f"detensorize: {call.name} with {len(call.args)} arguments")
        got = dict(zip(ins, call.args))
        for k, v in (e.extra.get("defaults") or {}).items():
            got.setdefault(k, _c(int(v)) if isinstance(v, int) else v)
        return got

    def _shuffle(self, call: N.Call, pre: list) -> N.Expr:
        args = self._bind(call)
        var, width = args["var"], args.get("width", _c(self.ws))
        t = self._type(var)
        if not isinstance(t, Scalar) or t.dtype in ("void",):
            raise PassDeclined(f"detensorize: cannot infer the type of the value shuffled by {call.name}")
        slot = self.slots.get(t.dtype)
        if slot is None:
            slot = self.slots[t.dtype] = self._shared(f"xp_shfl_{t.dtype}", t.dtype, (self.threads,))
        lane = N.Var(self.lane)
        base = _b("-", N.Var(self.tid), lane)
        if "src_lane" in args:
            a = args["src_lane"]
            src = _b("+", _b("*", _b("/", lane, width), width), _b("&", a, _b("-", width, 1)))
        elif "lane_mask" in args:
            a = args["lane_mask"]
            x = _b("^", lane, a)
            seg_end = _b("-", _b("+", _b("*", _b("/", lane, width), width), width), 1)
            src = N.Select(_b("&&", _b(">=", x, 0), _b("<=", x, seg_end)), x, lane)
        elif "delta" in args and "up" in call.name:
            a = args["delta"]
            src = N.Select(_b("&&", _b(">=", a, 0), _b(">=", _b("%", lane, width), a)), _b("-", lane, a), lane)
        elif "delta" in args:
            a = args["delta"]
            pos = _b("+", _b("%", lane, width), a)
            src = N.Select(_b("&&", _b(">=", pos, 0), _b("<", pos, width)), _b("+", lane, a), lane)
        else:
            raise PassDeclined(f"detensorize: {call.name}: unknown shuffle")
        tmp = self.fresh("xp_shfl")
        self.types[tmp] = t
        pre += [N.Store(N.Load(N.Var(slot), (N.Var(self.tid),)), var), _bar(),
                N.Decl(tmp, t, N.Load(N.Var(slot), (_b("+", base, src),))), _bar()]
        self.counts["shfl"] += 1
        self.obligations.append(Obligation(f"{call.name}: the source lane lies in the thread's warp",
                                           lambda src=src, width=width: self._src_in_warp(src, width)))
        return N.Var(tmp)

    def _src_in_warp(self, src: N.Expr, width: N.Expr) -> tuple[bool | None, str]:
        """For every lane, every valid width (a power of two up to the warp size) and every 32-bit argument,
        the source lane is in [0, warp size). One query per width value, the argument left free."""
        wc = self.const(width)
        widths = [wc] if wc is not None else [1 << i for i in range(self.ws.bit_length()) if (1 << i) <= self.ws]
        for w in widths:
            if w is None or w <= 0 or w > self.ws or w & (w - 1):
                return False, f"width {w} is not a power of two up to {self.ws}"
            free: dict = {}

            def bv(e: Any, w: int = w, free: dict = free) -> Any:
                if e is width or isinstance(e, N.Const):
                    return z3.BitVecVal(w if e is width else int(e.value), 32)
                if isinstance(e, N.Var) and e.sym is self.lane:
                    return free.setdefault("lane", z3.BitVec("lane", 32))
                if isinstance(e, N.Select):
                    return z3.If(bv(e.cond), bv(e.a), bv(e.b))
                if isinstance(e, N.BinOp):
                    a, b = bv(e.a), bv(e.b)
                    return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b,
                            "%": lambda: z3.SRem(a, b), "&": lambda: a & b, "^": lambda: a ^ b,
                            "&&": lambda: z3.And(a, b), "<": lambda: a < b, "<=": lambda: a <= b,
                            ">=": lambda: a >= b}[e.op]()
                return free.setdefault(id(e), z3.BitVec(f"arg{len(free)}", 32))  # the shuffle's argument

            value = bv(src)
            s = z3.Solver()
            s.set("timeout", 10000)
            s.add(z3.ULT(free.setdefault("lane", z3.BitVec("lane", 32)), self.ws))
            s.add(z3.Or(value < 0, value >= self.ws))
            r = s.check()
            if r == z3.sat:
                return False, f"width {w}: counterexample {s.model()}"
            if r != z3.unsat:
                return None, f"width {w}: z3 gave up"
        return True, "source lane in [0, warp size) for every valid width"

    # -- MFMA -------------------------------------------------------------------------------------------
    def _mfma(self, call: N.Call, pre: list) -> N.Expr:
        e = self.kinds.cat[call.name]
        x = e.extra
        if len(call.args) != 6 or any(self.const(a) != 0 for a in call.args[3:]):
            raise PassDeclined(f"detensorize: {call.name} with cbsz/abid/blgp other than 0")
        in_t = e.operands[0].dtypes[0]
        if in_t not in _ACC or x["dmap"] not in _DPOS:
            raise PassDeclined(f"detensorize: {call.name} ({in_t}) is not handled")
        ct = _ACC[in_t]
        m, n, k, nb, kpl, nout = x["m"], x["n"], x["k"], x["blocks"], x["items_per_lane"], x["out_per_lane"]
        lanes = int(x.get("lanes", self.ws))
        arrs = self.mfma_arrays.get(ct)
        if arrs is None:  # one pair per compute type, sized for the largest variant (allocated in lower())
            arrs = self.mfma_arrays[ct] = [self.fresh(f"xp_mfma_a_{ct}"), self.fresh(f"xp_mfma_b_{ct}"), 0, 0]
        arrs[2], arrs[3] = max(arrs[2], nb * m * k), max(arrs[3], nb * k * n)
        sa, sb = arrs[0], arrs[1]
        lane = N.Var(self.lane)
        a_op, b_op, c_op = call.args[:3]
        for it in range(kpl):
            ia, ib = _mfma_ab_index(lane, it, m, n, k, nb, kpl)
            item = (lambda v: v) if kpl == 1 else (lambda v, it=it: N.Load(v, (_c(it),)))
            pre += [N.Store(self._at(sa, ia), N.Cast(Scalar(ct), item(a_op))),
                    N.Store(self._at(sb, ib), N.Cast(Scalar(ct), item(b_op)))]
        vt = self._type(c_op)
        if not isinstance(vt, Vector):
            vt = Vector(_ACC.get(e.operands[2].dtypes[0], "float32"), nout, e.returns)
        cin, out, r, kk, acc = (self.fresh(nm) for nm in ("xp_mfma_c", "xp_mfma_d", "xp_r", "xp_k", "xp_acc"))
        b, i, j = _DPOS[x["dmap"]](lane, N.Var(r))
        fma = "fmaf" if ct == "float32" else "fma"
        prod = N.Call(fma, (self._at(sa, _b("+", _b("*", _b("+", _b("*", b, m), i), k), N.Var(kk))),
                            self._at(sb, _b("+", _b("*", _b("+", _b("*", b, k), N.Var(kk)), n), j)), N.Var(acc)),
                      N.CallKind.MATH)
        item_loop = N.For(r, _c(0), _c(nout), _c(1), (
            N.Decl(acc, Scalar(ct), N.Cast(Scalar(ct), N.Load(N.Var(cin), (N.Var(r),)))),
            N.For(kk, _c(0), _c(k), _c(1), (N.Assign(acc, prod),), var_type=INT32),
            N.Store(N.Load(N.Var(out), (N.Var(r),)), N.Var(acc))), var_type=INT32)
        pre += [N.Decl(cin, vt, c_op), _bar(), N.Decl(out, vt), item_loop, _bar()]
        self.types[cin] = self.types[out] = vt
        self.counts["mfma"] += 1
        self.obligations.append(Obligation(f"{call.name}: lane layout bijective",
                                           lambda: _mfma_layout_ok(m, n, k, nb, kpl, nout, lanes, x["dmap"])))
        return N.Var(out)

    # -- types ------------------------------------------------------------------------------------------
    def _type(self, e: N.Expr) -> Type | None:
        if isinstance(e, N.Const):
            return Scalar(e.dtype) if e.dtype in _RANK else None
        if isinstance(e, N.Var):
            t = self.types.get(e.sym)
            if t is None and e.sym in self.macros:
                return self._type(self.macros[e.sym])
            return t
        if isinstance(e, N.Cast):
            return e.type
        if isinstance(e, N.Load):
            t = self._type(e.base)
            if isinstance(t, Pointer) and len(e.indices) == 1:
                return t.pointee
            if isinstance(t, Vector) and len(e.indices) == 1:
                return Scalar(t.elem)
            if isinstance(e.base, N.Var):
                for n in walk(self.func):
                    if isinstance(n, N.Alloc) and n.sym is e.base.sym and len(n.shape) == len(e.indices):
                        return n.elem
            return None
        if isinstance(e, N.Member) and not e.arrow:
            t = self._type(e.base)
            return Scalar(t.elem) if isinstance(t, Vector) else None
        if isinstance(e, N.UnOp):
            return BOOL if e.op == "!" else self._type(e.a)
        if isinstance(e, N.BinOp):
            if e.op in ("<", "<=", ">", ">=", "==", "!=", "&&", "||"):
                return BOOL
            return _promote(self._type(e.a), self._type(e.b))
        if isinstance(e, N.Select):
            return _promote(self._type(e.a), self._type(e.b))
        if isinstance(e, N.Call) and e.kind is N.CallKind.MATH:
            ts = [self._type(a) for a in e.args]
            if e.name.endswith("f") and e.name not in ("fma", "fmod"):
                return Scalar("float32")
            return _promote(*ts) if ts else None
        return None


def _dedupe_barriers(stmts: tuple) -> tuple:
    """Drop a block barrier that directly follows another one in the same statement list (also when the
    first ends a nested `{ }` block): both are reached by the same threads, so the second orders nothing."""
    out: list = []
    for s in stmts:
        if isinstance(s, N.Block):
            s = replace(s, body=_dedupe_barriers(s.body))
        elif isinstance(s, N.If):
            s = replace(s, then=_dedupe_barriers(s.then), orelse=_dedupe_barriers(s.orelse))
        elif isinstance(s, (N.For, N.CFor, N.While, N.DoWhile)):
            s = replace(s, body=_dedupe_barriers(s.body))
        if isinstance(s, N.Barrier) and s.scope is N.BarrierScope.BLOCK:
            prev = next((x for x in reversed(out) if not isinstance(x, N.Comment)), None)
            while isinstance(prev, N.Block) and prev.body:
                prev = prev.body[-1]
            if isinstance(prev, N.Barrier) and prev.scope is N.BarrierScope.BLOCK:
                continue
        out.append(s)
    return tuple(out)


def _promote(*ts: Any) -> Scalar | None:
    if not ts or not all(isinstance(t, Scalar) and t.dtype in _RANK for t in ts):
        return None
    best = max(ts, key=lambda t: _RANK.index(t.dtype))
    if _RANK.index(best.dtype) < _RANK.index("int32"):
        return INT32
    return best


# ----------------------------------------------------------------------------------------------------------
# MFMA lane layouts (the catalogue's, as the emulator implements them): A/B items and D items


def _mfma_ab_index(lane: N.Expr, it: int, m: int, n: int, k: int, nb: int, kpl: int) -> tuple[N.Expr, N.Expr]:
    g = _b("/", lane, m)
    kk = _b("+", _b("*", g, kpl), it) if nb == 1 else _c(it)
    blk = _c(0) if nb == 1 else g
    ia = _b("+", _b("*", _b("+", _b("*", blk, m), _b("%", lane, m)), k), kk)
    ib = _b("+", _b("*", _b("+", _b("*", blk, k), kk), n), _b("%", lane, n))
    return ia, ib


_DPOS = {  # (block, i, j) of accumulator item r of lane l
    "d16": lambda l, r: (_c(0), _b("+", _b("*", _b("/", l, 16), 4), r), _b("%", l, 16)),
    "d32": lambda l, r: (_c(0), _b("+", _b("+", _b("*", _b("/", r, 4), 8), _b("*", _b("/", l, 32), 4)),
                                    _b("%", r, 4)), _b("%", l, 32)),
    "d16_f64": lambda l, r: (_c(0), _b("+", _b("*", r, 4), _b("/", l, 16)), _b("%", l, 16)),
    "dm32": lambda l, r: (_b("/", r, 16), _b("+", _b("+", _b("*", _b("/", _b("%", r, 16), 4), 8),
                                                       _b("*", _b("/", l, 32), 4)), _b("%", r, 4)), _b("%", l, 32)),
    "dm16": lambda l, r: (_b("/", r, 4), _b("+", _b("*", _b("/", l, 16), 4), _b("%", r, 4)), _b("%", l, 16)),
    "dm4": lambda l, r: (_b("/", l, 4), r, _b("%", l, 4)),
}


def _mfma_layout_ok(m: int, n: int, k: int, nb: int, kpl: int, nout: int, lanes: int,
                    dmap: str) -> tuple[bool | None, str]:
    """Z3: (lane, item) -> A index, B index and D position are injective into matrices of exactly
    lanes * items elements (hence bijective)."""
    ls, rs = N.Sym("l"), N.Sym("r")
    l1, l2, r1, r2 = z3.Ints("l1 l2 r1 r2")
    checks = []
    for it in range(kpl):
        for it2 in range(kpl):
            a1, b1 = _mfma_ab_index(N.Var(ls), it, m, n, k, nb, kpl)
            a2, b2 = _mfma_ab_index(N.Var(ls), it2, m, n, k, nb, kpl)
            for x1, x2, size in ((a1, a2, nb * m * k), (b1, b2, nb * k * n)):
                checks.append((to_z3(x1, {ls: l1}), to_z3(x2, {ls: l2}), size, it == it2, None, None))
    b, i, j = _DPOS[dmap](N.Var(ls), N.Var(rs))
    d = _b("+", _b("*", _b("+", _b("*", b, m), i), n), j)
    checks.append((to_z3(d, {ls: l1, rs: r1}), to_z3(d, {ls: l2, rs: r2}), nb * m * n, None, nout, None))
    if lanes * kpl != nb * m * k or lanes * kpl != nb * k * n or lanes * nout != nb * m * n:
        return False, "item counts differ from the matrix sizes"
    for x1, x2, size, same_item, items, _ in checks:
        s = z3.Solver()
        s.set("timeout", 5000)
        rng = [0 <= l1, l1 < lanes, 0 <= l2, l2 < lanes]
        if items is not None:
            rng += [0 <= r1, r1 < items, 0 <= r2, r2 < items]
            distinct = z3.Or(l1 != l2, r1 != r2)
        else:
            distinct = z3.Or(l1 != l2, z3.BoolVal(not same_item))
        s.add(*rng)
        s.add(z3.Or(x1 < 0, x1 >= size, z3.And(distinct, x1 == x2)))
        r = s.check()
        if r == z3.sat:
            return False, f"collision or out of range: {s.model()}"
        if r != z3.unsat:
            return None, "z3 gave up"
    return True, "A, B and D layouts are bijections"
