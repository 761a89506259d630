"""Loop recovery for SIMT programs (cuda, hip): every kernel becomes serial code launched `<<<1, 1>>>`.

What it does (MCUDA / CuPBoP style):
- the launch dimensions are evaluated to constants (host `<<<grid, block>>>` expressions with macros and
  `dim3` locals, or the program's launch for a bare kernel entry); `blockDim` / `gridDim` / `warpSize`
  become constants, `blockIdx` the counters of loops over the grid (z, y, x; PARALLEL: blocks never
  synchronize), `threadIdx` the counters of loops over the block;
- device functions that hold barriers, read thread built-ins or declare `__shared__` memory are inlined;
  `return`s are lifted into structured control flow (the rest of the body under the branch that does not
  return, or under a `returned` flag), never duplicating code;
- the kernel body is cut at every barrier into barrier-free phases; each phase is a loop nest over all
  threads of the block (PARALLEL: a barrier-free phase of a race-free kernel has independent threads).
  A barrier inside an `if` whose condition is the same for all threads of a block (uniform) or inside a
  loop with uniform bounds splits that construct, which then runs once per block around the phases; an
  `if` with a thread-dependent condition around a barrier has its condition evaluated once per thread,
  saved, and every phase inside it guarded by the saved value. Uniform conditions read thread 0's copy of
  the per-thread values they use;
- where thread-private variables live: one whose value flows from one phase into another (read before the
  phase writes it, read by a block-level condition, a saved condition) becomes a per-thread array indexed
  by the flattened thread index, unless it is *rematerializable* (declared once from parameters, macros,
  loop and thread counters and other such values by pure arithmetic: each phase recomputes it); one only
  reused as scratch (each phase writes it first) is declared again in each phase. `__shared__` buffers
  become per-block local arrays declared inside the block loop; kernel parameters the body modifies become
  per-thread locals;
- the launches become `<<<1, 1>>>` (or `grid=1,1,1 block=1,1,1` for a bare kernel entry).

Obligations (Z3, on the emitted loops): per kernel, the block loops and the thread loops enumerate exactly
the launch's grid and block, and the flattened index is a bijection onto [0, count).

Declines (PassDeclined) on: warp collectives, tensor-core intrinsics or fragments (detensorize first);
non-constant launches; dynamic shared memory; a barrier in a loop with thread-dependent bounds, in a
`switch`, or under a thread-dependent condition where a uniform construct then needs per-thread values;
`return` inside a loop; `break` / `continue` that would cross a barrier; opaque statements in kernels.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import z3

from xpiler.ir import nodes as N
from xpiler.ir.types import BOOL, INT32, Pointer, Scope, Type
from xpiler.ir.visit import Rewriter, children, map_exprs, substitute
from xpiler.ir.z3expr import prove, to_z3
from xpiler.pipeline.passes import Obligation, PassContext, PassDeclined, PassResult
from xpiler.pipeline.program import Program

from . import _simt_util as U
from ._simt_util import free_syms, walk

AXES = ("x", "y", "z")


def applies(program: Program, ctx: PassContext) -> bool:
    return program.dialect in ("cuda", "hip") and any(
        f.kind is N.FuncKind.KERNEL and not f.is_declaration for f in program.module.funcs())


def _declined(msg: str) -> PassDeclined:
    return PassDeclined(f"loop_recovery: {msg}")


# ----------------------------------------------------------------------------------------------------------
# thread variance: which variables may hold different values in different threads of one block


class _Variance:
    """A fixpoint over the kernel body: seeds are the thread counters; a variable is thread-variant when it
    is assigned a variant value, assigned under a variant condition (or in a loop with variant bounds or a
    variant exit), or its address is taken. Thread-private arrays are always variant; loads of shared or
    global memory at uniform indices are uniform (CUDA programs are race-free between barriers)."""

    def __init__(self, seeds: set, body: tuple) -> None:
        self.var = set(seeds)
        self.variant_loops: set = set()
        self.var |= U.address_taken(body)
        for n in walk(body):
            if isinstance(n, N.Alloc):
                self.var.add(n.sym)
            elif isinstance(n, N.Opaque):
                self.var.update(n.writes)
        self.changed = True
        while self.changed:
            self.changed = False
            self.stmts(body, False, [])

    def dep(self, e: Any) -> bool:
        for n in walk(e):
            if isinstance(n, N.Var) and n.sym in self.var:
                return True
            if isinstance(n, N.OpaqueExpr) or (isinstance(n, N.Call) and n.name.startswith("atomic")):
                return True
        return False

    def mark(self, s: N.Sym) -> None:
        if s not in self.var:
            self.var.add(s)
            self.changed = True

    def stmts(self, ss, ctx: bool, targets: list) -> None:
        for s in ss:
            self.stmt(s, ctx, targets)

    def _loop(self, s, ctx: bool, heads: tuple, targets: list) -> bool:
        lc = ctx or id(s) in self.variant_loops or any(self.dep(h) for h in heads if h is not None)
        targets.append((id(s), lc, True))
        return lc

    def stmt(self, s: N.Stmt, ctx: bool, targets: list) -> None:
        if isinstance(s, N.Decl):
            if ctx or (s.init is not None and self.dep(s.init)):
                self.mark(s.sym)
        elif isinstance(s, N.Assign):
            if ctx or self.dep(s.value):
                self.mark(s.sym)
        elif isinstance(s, N.Store):
            t = s.target
            while isinstance(t, N.Member):
                t = t.base
            if isinstance(t, N.Var) and (ctx or self.dep(s.value) or self.dep(s.target)):
                self.mark(t.sym)
        elif isinstance(s, N.Block):
            self.stmts(s.body, ctx, targets)
        elif isinstance(s, N.If):
            c = ctx or self.dep(s.cond)
            self.stmts(s.then, c, targets)
            self.stmts(s.orelse, c, targets)
        elif isinstance(s, N.Switch):
            c = ctx or self.dep(s.value)
            targets.append((id(s), c, False))
            for case in s.cases:
                self.stmts(case.body, c, targets)
            targets.pop()
        elif isinstance(s, N.For):
            lc = self._loop(s, ctx, (s.start, s.stop, s.step), targets)
            if lc:
                self.mark(s.var)
            self.stmts(s.body, lc, targets)
            targets.pop()
        elif isinstance(s, N.CFor):
            self.stmts(s.init, ctx, [])
            lc = self._loop(s, ctx, (s.cond,), targets)
            self.stmts(s.body, lc, targets)
            self.stmts(s.update, lc, targets)
            targets.pop()
        elif isinstance(s, (N.While, N.DoWhile)):
            lc = self._loop(s, ctx, (s.cond,), targets)
            self.stmts(s.body, lc, targets)
            targets.pop()
        elif isinstance(s, (N.Break, N.Continue)):
            for tid, tc, is_loop in reversed(targets):
                if isinstance(s, N.Continue) and not is_loop:
                    continue
                if ctx and not tc and is_loop and tid not in self.variant_loops:
                    self.variant_loops.add(tid)
                    self.changed = True
                break

    def uniform(self, *es: Any) -> bool:
        return not any(self.dep(e) for e in es if e is not None)


# ----------------------------------------------------------------------------------------------------------
# the schedule: phases (loops over the threads) and block-level constructs around them


@dataclass
class Phase:
    stmts: tuple
    guards: tuple  # ((Sym of a saved condition, expected truth), ...)


@dataclass
class BIf:
    cond: N.Expr
    then: list
    orelse: list
    guards: tuple


@dataclass
class BLoop:
    head: N.Stmt  # For / CFor / While / DoWhile with an empty body
    body: list
    guards: tuple


def _has_barrier(node: Any) -> bool:
    return any(isinstance(n, N.Barrier) for n in walk(node))


def _assigns(body: Any, syms: set) -> bool:
    for n in walk(body):
        if isinstance(n, N.Assign) and n.sym in syms:
            return True
    return bool(U.address_taken(body) & syms)


def _check_jumps(stmts: tuple) -> None:
    """A `break` / `continue` of a phase must stay inside the phase (its loop or switch is in the phase)."""
    def visit(n, in_loop: bool, in_switch: bool) -> None:
        if isinstance(n, N.Break) and not (in_loop or in_switch):
            raise _declined("a break leaves a loop that contains a barrier")
        if isinstance(n, N.Continue) and not in_loop:
            raise _declined("a continue skips to the next iteration of a loop that contains a barrier")
        if isinstance(n, N.Return):
            raise _declined("a return inside a loop is not handled")
        loop = in_loop or isinstance(n, U.LOOPS)
        switch = in_switch or isinstance(n, N.Switch)
        for c in children(n):
            visit(c, loop, switch)
    for s in stmts:
        visit(s, False, False)


class _Scheduler:
    def __init__(self, variance: _Variance) -> None:
        self.v = variance

    def split(self, stmts: tuple, guards: tuple) -> list:
        items: list = []
        cur: list = []

        def flush() -> None:
            if cur:
                _check_jumps(tuple(cur))
                items.append(Phase(tuple(cur), guards))
                cur.clear()

        work = list(stmts)
        i = 0
        while i < len(work):
            s = work[i]
            i += 1
            if not _has_barrier(s):
                cur.append(s)
            elif isinstance(s, N.Barrier):
                flush()
            elif isinstance(s, N.Block):
                work[i:i] = list(s.body)
            elif isinstance(s, N.If):
                if self.v.uniform(s.cond):
                    flush()
                    items.append(BIf(s.cond, self.split(s.then, guards), self.split(s.orelse, guards), guards))
                else:
                    c = N.Sym("cond")
                    cur.append(N.Decl(c, BOOL, s.cond, loc=s.loc))
                    flush()
                    items.extend(self.split(s.then, guards + ((c, True),)))
                    items.extend(self.split(s.orelse, guards + ((c, False),)))
            elif isinstance(s, N.For):
                if not self.v.uniform(s.start, s.stop, s.step) or id(s) in self.v.variant_loops:
                    raise _declined("a barrier inside a loop whose bounds depend on the thread")
                if _assigns(s.body, {s.var}):
                    raise _declined("a loop with a barrier assigns its own counter")
                flush()
                items.append(BLoop(replace(s, body=(), kind=N.LoopKind.SERIAL, unroll=None),
                                   self.split(s.body, guards), guards))
            elif isinstance(s, N.CFor):
                self._cfor(s, guards, items, cur, flush)
            elif isinstance(s, (N.While, N.DoWhile)):
                if not self.v.uniform(s.cond) or id(s) in self.v.variant_loops:
                    raise _declined("a barrier inside a loop whose condition depends on the thread")
                flush()
                items.append(BLoop(replace(s, body=()), self.split(s.body, guards), guards))
            else:
                raise _declined(f"a barrier inside a {type(s).__name__} is not handled")
        flush()
        return items

    def _cfor(self, s: N.CFor, guards: tuple, items: list, cur: list, flush) -> None:
        if (s.cond is not None and not self.v.uniform(s.cond)) or id(s) in self.v.variant_loops:
            raise _declined("a barrier inside a loop whose condition depends on the thread")
        own = {d.sym for d in s.init if isinstance(d, N.Decl)}
        nice = (all(isinstance(d, N.Decl) and self.v.uniform(d.init) for d in s.init)
                and all(isinstance(u, N.Assign) and u.sym in own and self.v.uniform(u.value) for u in s.update)
                and not _assigns(s.body, own))
        if nice:  # counters of the loop live at block level, like the loop itself
            flush()
            items.append(BLoop(replace(s, body=(), unroll=None, pragma=False), self.split(s.body, guards), guards))
            return
        # otherwise: init is thread code, the loop a while over a uniform condition, update thread code
        cur.extend(s.init)
        flush()
        cond = s.cond if s.cond is not None else N.Const(True, "bool")
        items.append(BLoop(N.While(cond, (), loc=s.loc), self.split(tuple(s.body) + tuple(s.update), guards),
                           guards))


# ----------------------------------------------------------------------------------------------------------
# emission


class _Replicate(Rewriter):
    """Per-thread copies: `v` -> `v_arr[index]`; declarations become stores (or disappear)."""

    def __init__(self, rep: dict, index: N.Expr) -> None:
        self.rep = rep
        self.index = index

    def _ref(self, s: N.Sym) -> N.Load:
        return N.Load(N.Var(self.rep[s]), (self.index,))

    def rewrite_Var(self, n: N.Var):
        return self._ref(n.sym) if n.sym in self.rep else None

    def rewrite_Decl(self, n: N.Decl):
        if n.sym not in self.rep:
            return None
        init = n.init
        if isinstance(init, N.InitList):  # `T v = {..}` becomes `v[t] = T{..}` (C++ list initialization)
            init = N.Cast(n.type, init, N.CastStyle.FUNCTIONAL)
        return () if init is None else N.Store(self._ref(n.sym), init, loc=n.loc)

    def rewrite_Alloc(self, n: N.Alloc):
        return () if n.sym in self.rep else None

    def rewrite_Assign(self, n: N.Assign):
        return N.Store(self._ref(n.sym), n.value, n.op, loc=n.loc) if n.sym in self.rep else None


def _changed_syms(body: Any) -> set:
    """Symbols assigned, address-taken or stored to through a member anywhere under `body`."""
    changed: set = set()
    for n in walk(body):
        if isinstance(n, N.Assign):
            changed.add(n.sym)
        elif isinstance(n, N.Store):
            t = n.target
            while isinstance(t, N.Member):
                t = t.base
            if isinstance(t, N.Var):
                changed.add(t.sym)
        elif isinstance(n, N.Opaque):
            changed.update(n.writes)
    return changed | U.address_taken(body)


def _killed_first(stmts: tuple, s: N.Sym) -> bool:
    """Does the first top-level statement of `stmts` that mentions `s` overwrite it without reading it?"""
    for st in stmts:
        if isinstance(st, N.Comment):
            continue
        if s not in free_syms(st) and s not in U.declared_syms(st):
            continue
        return isinstance(st, N.Assign) and st.sym is s and st.op is None and s not in free_syms(st.value)
    return False


def _and(a: N.Expr | None, b: N.Expr) -> N.Expr:
    return b if a is None else N.BinOp("&&", a, b)


@dataclass
class _Nest:
    """The loops over one launch dimension triple: counters (x, y, z; None where the extent is 1 and no
    loop is emitted, except for x which always has one) and the flat index."""

    dims: tuple
    syms: dict = field(default_factory=dict)

    @property
    def count(self) -> int:
        return self.dims[0] * self.dims[1] * self.dims[2]

    def builtin(self, axis: str) -> N.Expr:
        s = self.syms.get(axis)
        return N.Var(s) if s is not None else N.Const(0)

    def extent(self, k: int) -> N.Expr:
        """The extent of axis `k`: a constant, or the kernel parameter that carries a run-time grid size."""
        d = self.dims[k]
        return N.Const(d) if isinstance(d, int) else d

    def flat(self) -> N.Expr:
        e: N.Expr = self.builtin("x")
        if "y" in self.syms:
            e = N.BinOp("+", e, N.BinOp("*", self.extent(0), self.builtin("y")))
        if "z" in self.syms:
            e = N.BinOp("+", e, N.BinOp("*", N.BinOp("*", self.extent(0), self.extent(1)), self.builtin("z")))
        return e

    def loops(self, body: tuple, fresh: bool) -> N.For:
        syms = {a: (s.copy() if fresh else s) for a, s in self.syms.items()}
        node: tuple = body
        for axis in AXES:
            if axis in syms:
                k = AXES.index(axis)
                node = (N.For(syms[axis], N.Const(0), self.extent(k), N.Const(1), node,
                              kind=N.LoopKind.PARALLEL, var_type=INT32),)
        loop = node[0]
        if fresh:
            loop = U.RenameSyms({self.syms[a]: syms[a] for a in syms}).rewrite(loop)
        return loop


def _make_nest(dims: tuple, prefix: str) -> _Nest:
    nest = _Nest(tuple(dims))
    for k, axis in enumerate(AXES):
        if axis == "x" or not isinstance(dims[k], int) or dims[k] > 1:
            nest.syms[axis] = N.Sym(f"{prefix}_{axis}")
    return nest


class _KernelRecovery:
    def __init__(self, f: N.Func, grid: tuple, block: tuple, warp_size: int | None) -> None:
        self.f = f
        self.grid = _make_nest(grid, "block")
        self.threads = _make_nest(block, "thread")
        self.warp_size = warp_size
        self.thread_loops: list[N.For] = []
        self.block_loop: N.For | None = None

    def _builtins(self, body: tuple) -> tuple:
        dims = {"blockDim": self.threads.dims, "gridDim": self.grid.dims}

        def fn(e: N.Expr):
            if not isinstance(e, N.Builtin):
                return None
            head, _, axis = e.name.partition(".")
            if head == "threadIdx" and axis in AXES:
                return self.threads.builtin(axis)
            if head == "blockIdx" and axis in AXES:
                return self.grid.builtin(axis)
            if head == "blockDim" and axis in AXES:
                return N.Const(dims[head][AXES.index(axis)])
            if head == "gridDim" and axis in AXES:
                return self.grid.extent(AXES.index(axis))
            if e.name == "warpSize" and self.warp_size:
                return N.Const(self.warp_size)
            raise _declined(f"the built-in {e.name} is not handled")

        return map_exprs(body, fn)

    def _private_params(self, body: tuple) -> tuple:
        """Kernel parameters are per-thread copies: one the body modifies becomes a local initialized from
        the parameter (thread code, so every thread starts from the launch's value)."""
        changed = _changed_syms(body)
        mapping = {p.sym: p.sym.copy() for p in self.f.params if p.sym in changed}
        if not mapping:
            return body
        body = U.RenameSyms(mapping).rewrite(body)
        decls = tuple(N.Decl(mapping[p.sym], p.type, N.Var(p.sym)) for p in self.f.params if p.sym in mapping)
        return decls + tuple(body)

    def run(self) -> N.Func:
        f = self.f
        if any(isinstance(n, N.Opaque) for n in walk(f.body)):
            raise _declined(f"kernel {f.name} holds opaque statements")
        body = U.lift_returns(f.body, None) if U.has_return(f.body) else f.body
        body = self._builtins(body)
        body = self._private_params(body)

        # __shared__ buffers: hoisted to the top of the block loop as per-block local arrays
        shared: list = []

        class Hoist(Rewriter):
            def rewrite_Alloc(self, n: N.Alloc):
                if n.scope is not Scope.SHARED:
                    return None
                if n.extern:
                    raise _declined(f"dynamic (extern) shared memory {n.sym.name}")
                if n.init is not None:
                    raise _declined(f"an initialized shared buffer {n.sym.name}")
                shared.append(replace(n, scope=Scope.LOCAL, static=False))
                return ()

        body = Hoist().rewrite(body)

        variance = _Variance(set(self.threads.syms.values()), body)
        items = _Scheduler(variance).split(body, ())

        # which thread-level symbols live in more than one phase (or are read at block level)
        phases: list[Phase] = []
        block_exprs: list = []
        block_decls: set = set()
        self._collect(items, phases, block_exprs, block_decls)
        thread_decls: dict = {}
        home: dict = {}  # symbol -> index of the phase that declares it
        for k, ph in enumerate(phases):
            for n in walk(ph.stmts):
                if isinstance(n, (N.Decl, N.Alloc)):
                    thread_decls.setdefault(n.sym, n)
                    home.setdefault(n.sym, k)
        self.decls = thread_decls
        self.remat = self._rematerializable(body, thread_decls, block_decls)
        rep_allocs = self._storage(phases, free_syms(tuple(block_exprs)), thread_decls, home)
        inner = self._emit(items)
        block_body = tuple(shared) + tuple(rep_allocs) + tuple(inner)
        nest = self.grid.loops(block_body, fresh=False)
        self.block_loop = nest
        return replace(f, body=(nest,), launch_bounds=None)

    def _storage(self, phases: list, block_refs: set, decls: dict, home: dict) -> list:
        """Decide where each thread-level variable lives. A variable whose value flows from one phase into
        another (read in a phase before that phase writes it, read at block level, or a saved condition)
        gets a per-thread array, unless it can be rematerialized; one that is only reused as scratch in
        several phases (each phase writes it first) gets a plain declaration in each of them."""
        T = self.threads.count
        flows: set = set(block_refs)
        used_in: dict = {}
        for k, ph in enumerate(phases):
            flows.update(g for g, _ in ph.guards)
            for g, _ in ph.guards:
                used_in.setdefault(g, set()).add(k)
            for s in free_syms(ph.stmts):
                used_in.setdefault(s, set()).add(k)
                if s in decls and home.get(s) != k and not _killed_first(ph.stmts, s):
                    flows.add(s)
        self.rep: dict = {}
        self.scratch: dict = {}
        allocs: list = []
        for s, d in decls.items():
            if s in self.remat or not (used_in.get(s, set()) - {home[s]}) and s not in block_refs:
                continue
            if isinstance(d, N.Decl) and s not in flows:
                self.scratch[s] = d
                continue
            if isinstance(d, N.Decl):
                if d.static:
                    raise _declined(f"a static local {s.name} used across barriers")
                t = replace(d.type, restrict=False) if isinstance(d.type, Pointer) else d.type
                a = N.Alloc(N.Sym(s.name), t, (N.Const(T),), Scope.LOCAL, align=d.align)
            else:
                if d.init is not None:
                    raise _declined(f"an initialized local array {s.name} used across barriers")
                a = N.Alloc(N.Sym(s.name), d.elem, (N.Const(T),) + tuple(d.shape), Scope.LOCAL, align=d.align)
            self.rep[s] = a.sym
            allocs.append(a)
        return allocs

    def _collect(self, items: list, phases: list, exprs: list, decls: set) -> None:
        for it in items:
            if isinstance(it, Phase):
                phases.append(it)
            elif isinstance(it, BIf):
                exprs.append(it.cond)
                self._collect(it.then, phases, exprs, decls)
                self._collect(it.orelse, phases, exprs, decls)
            else:
                exprs.extend(self._heads(it.head))
                if isinstance(it.head, N.For):
                    decls.add(it.head.var)
                elif isinstance(it.head, N.CFor):
                    decls.update(d.sym for d in it.head.init if isinstance(d, N.Decl))
                self._collect(it.body, phases, exprs, decls)

    @staticmethod
    def _heads(h: N.Stmt) -> list:
        if isinstance(h, N.For):
            return [h.start, h.stop, h.step]
        if isinstance(h, N.CFor):
            return [x for x in (h.cond,) if x is not None] + list(h.init) + list(h.update)
        return [h.cond]

    _PURE = (N.Const, N.Var, N.BinOp, N.UnOp, N.Cast, N.Select, N.SizeOf)

    def _rematerializable(self, body: tuple, decls: dict, block_decls: set) -> dict:
        """Thread-level scalars that each phase may recompute instead of keeping per-thread copies: declared
        once with a pure initializer (arithmetic, casts, pure math calls; no memory reads) over values that
        never change (parameters, macros, counters of the block, thread and block-level loops, other such
        scalars). Maps each to its initializer, in declaration order."""
        changed = _changed_syms(body) - block_decls  # block-level loop counters are fixed within one iteration of their loop
        cand = {s: d.init for s, d in decls.items()
                if isinstance(d, N.Decl) and d.init is not None and not d.static and s not in changed
                and all(isinstance(n, self._PURE + (Type,)) or (isinstance(n, N.Call) and n.kind is N.CallKind.MATH)
                        for n in walk(d.init))}
        thread_level = set(decls)
        again = True
        while again:
            again = False
            for s, init in list(cand.items()):
                if any(r in changed or (r in thread_level and r not in cand) for r in free_syms(init)):
                    del cand[s]
                    again = True
        return cand

    def _expand_remat(self, e: Any) -> Any:
        for _ in range(64):
            if not any(s in self.remat for s in free_syms(e)):
                return e
            e = substitute(e, self.remat)
        raise _declined("rematerialized values nested too deeply")

    def _prelude(self, syms: set, declared: set) -> tuple[list, dict]:
        """Declarations recomputing the rematerialized `syms` (and what they read) in a phase, as fresh
        symbols; returns them and the renaming to apply to the phase."""
        need: set = set()
        todo = [s for s in syms if s in self.remat and s not in declared]
        while todo:
            s = todo.pop()
            if s in need:
                continue
            need.add(s)
            todo.extend(r for r in free_syms(self.remat[s]) if r in self.remat and r not in declared)
        rename = {s: s.copy() for s in need}
        out = []
        for s in self.remat:  # declaration order is a topological order
            if s in need:
                d = self.decls[s]
                init = U.RenameSyms(rename).rewrite(self.remat[s])
                out.append(N.Decl(rename[s], d.type, init, const=d.const,
                                  align=d.align))
        return out, rename

    def _bexpr(self, e: Any, guards: tuple) -> Any:
        e = self._expand_remat(e)
        if guards and any(s in self.rep for s in free_syms(e)):
            raise _declined("a uniform construct under a thread-dependent condition reads per-thread values")
        return _Replicate(self.rep, N.Const(0)).rewrite(e)

    def _emit(self, items: list) -> list:
        out: list = []
        for it in items:
            if isinstance(it, Phase):
                loop = self._phase(it)
                if loop is not None:
                    out.append(loop)
            elif isinstance(it, BIf):
                out.append(N.If(self._bexpr(it.cond, it.guards), tuple(self._emit(it.then)),
                                tuple(self._emit(it.orelse))))
            else:
                h = self._bexpr(it.head, it.guards)
                out.append(replace(h, body=tuple(self._emit(it.body))))
        return out

    def _prune(self, body: tuple) -> tuple:
        """Drop declarations left without any use (a phase that no longer needs a variable it declares)."""
        pure = self._PURE + (Type,)

        class P(Rewriter):
            def __init__(self, refs: set) -> None:
                self.refs = refs

            def rewrite_Decl(self, n: N.Decl):
                if n.sym in self.refs or n.static:
                    return None
                if n.init is None or all(isinstance(m, pure) or (isinstance(m, N.Call) and m.kind is N.CallKind.MATH)
                                         for m in walk(n.init)):
                    return ()
                return None

        while True:
            new = P(free_syms(body)).rewrite(body)
            if new is body:
                return body
            body = new

    def _phase(self, ph: Phase) -> N.For | None:
        flat = self.threads.flat()
        declared = set(U.declared_syms(ph.stmts))
        guard_syms = {g for g, _ in ph.guards}
        outer, ren_o = self._prelude(guard_syms, declared)
        inner, ren_i = self._prelude(free_syms(ph.stmts) - guard_syms, declared | set(ren_o))
        for s in free_syms(ph.stmts):  # scratch variables reused here: a declaration of their own
            if s in self.scratch and s not in declared:
                ren_i[s] = s.copy()
                t = self.scratch[s].type
                inner.append(N.Decl(ren_i[s], replace(t, restrict=False) if isinstance(t, Pointer) else t,
                                    align=self.scratch[s].align))
        body = tuple(inner) + tuple(ph.stmts)
        body = U.RenameSyms({**ren_o, **ren_i}).rewrite(body)
        body = _Replicate(self.rep, flat).rewrite(body)
        outer = _Replicate(self.rep, flat).rewrite(tuple(outer))
        cond = None
        for g, truth in ph.guards:
            ref = N.Load(N.Var(self.rep[g]), (flat,)) if g in self.rep else N.Var(ren_o.get(g, g))
            cond = _and(cond, ref if truth else N.UnOp("!", ref))
        if cond is not None:
            body = tuple(outer) + (N.If(cond, tuple(body)),)
        body = self._prune(tuple(body))
        if all(isinstance(x, N.Comment) for x in body):
            return None
        loop = self.threads.loops(tuple(body), fresh=bool(self.thread_loops))
        self.thread_loops.append(loop)
        return loop


# ----------------------------------------------------------------------------------------------------------
# obligations


def _nest_obligation(kernel: str, what: str, nest: _Nest, loop: N.For) -> Obligation:
    """The loops of the nest at `loop` enumerate the launch's `what` dimensions (x, y, z) and the flattened
    index (the one per-thread arrays are indexed with) is a bijection onto [0, x*y*z)."""
    syms = set(nest.syms.values())
    flat = nest.flat()

    def check() -> tuple[bool | None, str]:
        loops = [n for n in walk(loop) if isinstance(n, N.For) and n.var in syms]
        if len(loops) != len(syms):
            return False, f"{kernel}: expected {len(syms)} {what} loops, found {len(loops)}"
        ext = [to_z3(nest.extent(k)) for k in range(3)]
        total = ext[0] * ext[1] * ext[2]
        a_env: dict = {}
        b_env: dict = {}
        dom: list = [e >= 1 for e in ext]  # a run-time grid size is a launch's positive dimension
        count: Any = z3.IntVal(1)
        for lp in loops:
            a, b = z3.Int(f"a_{lp.var.name}"), z3.Int(f"b_{lp.var.name}")
            a_env[lp.var], b_env[lp.var] = a, b
            lo, hi, st = to_z3(lp.start), to_z3(lp.stop), z3.simplify(to_z3(lp.step))
            if not (z3.is_int_value(st) and st.as_long() == 1):
                return False, f"{kernel}: {what} loop {lp.var.name} has step {st}"
            dom += [lo <= a, a < hi, lo <= b, b < hi]
            count = count * z3.If(hi > lo, hi - lo, 0)
        same, _ = prove(count == total, [e >= 1 for e in ext])
        if not same:
            return False, f"{kernel}: {what} loops enumerate {z3.simplify(count)} points, the launch has " \
                          f"{z3.simplify(total)}"
        fa, fb = to_z3(flat, a_env), to_z3(flat, b_env)
        in_range, _ = prove(z3.And(0 <= fa, fa < total), dom)
        injective, _ = prove(z3.Implies(fa == fb, z3.And(*[a_env[s] == b_env[s] for s in a_env])), dom)
        ok = in_range and injective
        return ok, (f"{kernel}: {z3.simplify(total)} {what}s; flat index in range: {in_range}; "
                    f"injective: {injective}")

    return Obligation(f"{kernel}: {what} loops are a bijection onto the launch's {what}s", check)


# ----------------------------------------------------------------------------------------------------------
# the pass


def _relaunch(module: N.Module, kernels: set[str], grid_params: dict, warp: int | None) -> N.Module:
    """Launches of the recovered kernels become `<<<1, 1>>>`; a kernel whose grid has run-time axes gets
    their values as extra arguments (the expressions the launch computed them with)."""

    def rewrite_func(f: N.Func) -> N.Func:
        config = U.launch_config_reader(f, module, warp)

        class R(Rewriter):
            def rewrite_Launch(self, n: N.Launch):
                if n.kernel not in kernels:
                    return None
                extra: tuple = ()
                axes = grid_params.get(n.kernel, {})
                if axes:
                    grid = config(n)[0]
                    extra = tuple(N.Const(grid[k]) if isinstance(grid[k], int) else grid[k] for k in sorted(axes))
                return replace(n, config=(N.Const(1), N.Const(1)) + tuple(n.config[2:]), args=tuple(n.args) + extra)

        return R().rewrite(f)

    items = tuple(rewrite_func(it) if isinstance(it, N.Func) and it.kind is not N.FuncKind.KERNEL else it
                  for it in module.items)
    return replace(module, items=tuple(items))


def _launch_dims(name: str, confs: list) -> tuple[tuple, tuple, set]:
    """One kernel's (grid, block, run-time grid axes) over all its launches: the block must be the same
    constant everywhere; a grid axis is run-time when any launch computes it or the launches disagree."""
    blocks = {c[1] for c in confs}
    if len(blocks) != 1:
        raise _declined(f"{name} is launched with different block sizes")
    grid: list = []
    runtime: set = set()
    for k in range(3):
        vals = [c[0][k] for c in confs]
        if all(isinstance(v, int) for v in vals) and len(set(vals)) == 1:
            grid.append(vals[0])
        else:
            grid.append(None)
            runtime.add(k)
    return tuple(grid), blocks.pop(), runtime


def run(program: Program, ctx: PassContext) -> PassResult:
    if program.dialect not in ("cuda", "hip"):
        raise _declined(f"dialect {program.dialect} is not SIMT")
    module = program.module
    kernels = [f for f in module.funcs() if f.kind is N.FuncKind.KERNEL and not f.is_declaration]
    if not kernels:
        raise _declined("no kernel to recover")
    catalogue = ctx.catalogue(program.dialect) if ctx is not None else None
    for f in module.funcs():
        if f.kind in (N.FuncKind.KERNEL, N.FuncKind.DEVICE):
            what = U.collective_in(f, catalogue)
            if what is not None:
                raise _declined(f"{f.name} contains {what} (run detensorize first)")
    if any(isinstance(n, N.Launch) for f in kernels for n in walk(f)):
        raise _declined("kernels that launch kernels (dynamic parallelism)")

    # launch dimensions per kernel
    dims: dict = {}
    if program.entry_is_kernel:
        if not program.launch:
            raise _declined(f"the kernel entry {program.entry} has no launch configuration")
        dims[program.entry] = U.parse_simt_launch(program.launch)
    warp = ctx.language(program.dialect).warp_size if ctx is not None else None
    runtime_axes: dict = {}
    for name, confs in U.host_launches(module, warp).items():
        if any(c is None for c in confs):
            raise _declined(f"a launch of {name} has a block size that is not constant")
        if name in dims:
            confs = confs + [dims[name]]
        grid, block, axes = _launch_dims(name, confs)
        dims[name] = (grid, block)
        if axes:
            runtime_axes[name] = axes
    for n in walk(module):
        if isinstance(n, N.Launch) and len(n.config) > 2:
            shm = n.config[2]
            if not (isinstance(shm, N.Const) and shm.value == 0):
                raise _declined(f"the launch of {n.kernel} passes dynamic shared memory")

    module = U.inline_device_functions(module, U.needs_inlining(module))
    taken = U.module_names(module)
    obligations: list = []
    notes: list = []
    items: list = []
    recovered: set = set()
    grid_params: dict = {}
    for it in module.items:
        if isinstance(it, N.Func) and it.kind is N.FuncKind.KERNEL and not it.is_declaration:
            if it.name not in dims:
                if it.name == program.entry:
                    raise _declined(f"no launch configuration for {it.name}")
                notes.append(f"dropped kernel {it.name}: never launched")
                continue
            grid, block = dims[it.name]
            if it.name in runtime_axes:  # run-time grid sizes arrive as parameters
                params = list(it.params)
                names = {p.sym.name for p in params} | taken
                grid = list(grid)
                grid_params[it.name] = {}
                for k in sorted(runtime_axes[it.name]):
                    nm = "xp_grid_" + AXES[k]
                    while nm in names:
                        nm += "_"
                    names.add(nm)
                    sym = N.Sym(nm)
                    params.append(N.Param(sym, INT32))
                    grid[k] = N.Var(sym)
                    grid_params[it.name][k] = sym
                it = replace(it, params=tuple(params))
                grid = tuple(grid)
            kr = _KernelRecovery(it, grid, block, warp)
            new = U.uniquify_names(kr.run(), taken)
            recovered.add(it.name)
            shown = tuple(g if isinstance(g, int) else g.sym.name for g in grid)
            notes.append(f"{it.name}: grid {shown}, block {block} -> {len(kr.thread_loops)} phase(s), "
                         f"{len(kr.rep)} per-thread array(s)")
            obligations.append(_nest_obligation(it.name, "block", kr.grid, kr.block_loop))
            if kr.thread_loops:
                obligations.append(_nest_obligation(it.name, "thread", kr.threads, kr.thread_loops[0]))
            it = new
        items.append(it)
    module = _relaunch(replace(module, items=tuple(items)), recovered, grid_params, warp)
    launch = "grid=1,1,1 block=1,1,1" if program.entry_is_kernel else program.launch
    out = program.replace(module=module, launch=launch).with_note(
        "loop_recovery.simt_launch", {k: dims[k] for k in sorted(recovered)})
    return PassResult(out, obligations=obligations, notes=notes)
