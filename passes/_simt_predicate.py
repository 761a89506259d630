"""Make every barrier of a SIMT kernel body reachable by all threads of the block, by predication.

Detensorize (SIMT) replaces warp collectives by per-lane code plus block barriers (`__syncthreads()`), but
the collectives it replaces were only required to be *warp*-uniform: `if (active) wmma::mma_sync(...)`,
`for (j = warp; j < S / T; j += WARPS) { ...shuffles... }`, `if (row >= M) return;` before a reduction.
This module rewrites the body so that every statement containing a barrier runs in block-uniform control:

* a uniformity (taint) analysis marks the symbols whose value may differ between threads of a block
  (seeded by `threadIdx.*`; spread through assignments, per-thread arrays and control dependence);
* `if (c) {..barrier..}` with a non-uniform `c` becomes `bool t = p && c; bool e = p && !t; {then under t}
  {else under e}`: statements without barriers run under `if (t)`, barriers run unconditionally;
* a loop with barriers whose header is not uniform (or reads memory while some threads are inactive)
  becomes a `while (go)` loop that keeps going while *any* thread of the block still iterates: a vote
  through a `__shared__ int` (barrier; thread 0 clears; barrier; active threads set; barrier; read);
* a `return` followed by barriers clears a per-thread `alive` flag instead, and everything after it runs
  under `alive`.
Declarations whose initializer cannot fault (no memory reads, no division by a non-constant) stay
unguarded so that the symbols they define keep their scope; others are split into a declaration and a
guarded assignment.

Limits (PassDeclined): `break`/`continue` leaving a loop that must be converted, barriers inside `switch`
or `do-while`, returns inside loops that contain barriers, initializer lists that read memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from xpiler.frontend.consteval import const_value
from xpiler.ir import nodes as N
from xpiler.ir.types import BOOL, INT32, Scope
from xpiler.ir.visit import children, walk
from xpiler.pipeline.passes import PassDeclined

_LOOPS = (N.For, N.CFor, N.While, N.DoWhile)
_PURE_CALLS = (N.CallKind.MATH, N.CallKind.INTRINSIC, N.CallKind.MACRO, N.CallKind.CTOR)


def _walk(node: Any):
    for x in node if isinstance(node, tuple) else (node,):
        yield from walk(x)


def has_barrier(node: Any) -> bool:
    return any(isinstance(n, N.Barrier) for n in _walk(node))


def has_return(node: Any) -> bool:
    return any(isinstance(n, N.Return) for n in _walk(node))


def loop_escapes(body: tuple) -> bool:
    """Does a `break` or `continue` under `body` leave the loop whose body it is?"""

    def visit(n: Any, in_loop: bool, in_switch: bool) -> bool:
        if isinstance(n, N.Break):
            return not (in_loop or in_switch)
        if isinstance(n, N.Continue):
            return not in_loop
        lp, sw = in_loop or isinstance(n, _LOOPS), in_switch or isinstance(n, N.Switch)
        return any(visit(c, lp, sw) for c in children(n))

    return any(visit(s, False, False) for s in body)


# ----------------------------------------------------------------------------------------------------------
# speculation and uniformity


def speculatable(e: Any, macros: dict) -> bool:
    """Can `e` be evaluated by a thread that would not have evaluated it, without faulting? (No memory
    reads, no calls with effects, no division by something that may be zero.)"""
    if e is None or isinstance(e, (N.Const, N.StrLit, N.Var, N.Builtin, N.SizeOf)):
        return True
    if isinstance(e, N.BinOp):
        if e.op in ("/", "%"):
            d = const_value(e.b, macros)
            if not (isinstance(e.b, N.Builtin) or (d is not None and d != 0)):
                return False
        return speculatable(e.a, macros) and speculatable(e.b, macros)
    if isinstance(e, (N.UnOp, N.Cast)):
        return speculatable(e.a if isinstance(e, N.UnOp) else e.value, macros)
    if isinstance(e, N.Select):
        return all(speculatable(x, macros) for x in (e.cond, e.a, e.b))
    if isinstance(e, N.Member):
        return not e.arrow and speculatable(e.base, macros)
    if isinstance(e, N.InitList):
        return all(speculatable(x, macros) for x in e.items)
    if isinstance(e, N.AddrOf):  # address arithmetic reads nothing
        v = e.value
        if isinstance(v, N.Load):
            return speculatable(v.base, macros) and all(speculatable(i, macros) for i in v.indices)
        return isinstance(v, N.Var) or speculatable(v, macros)
    if isinstance(e, N.Call):
        return e.kind in (N.CallKind.MATH, N.CallKind.INTRINSIC) and all(speculatable(a, macros) for a in e.args)
    return False  # Load, Deref, OpaqueExpr, calls of functions


class Uniformity:
    """Which symbols of a kernel body may hold different values in different threads of a block.

    `guarded_all`: every assignment will run under a per-thread predicate (the body is predicated by a
    thread's `alive` flag), so anything assigned outside an unguarded declaration or a kept loop header is
    per-thread."""

    def __init__(self, body: tuple, macros: dict, guarded_all: bool = False) -> None:
        self.macros = macros
        self.tainted: set[N.Sym] = set()
        for _ in range(64):
            before = len(self.tainted)
            self._stmts(body, guarded_all)
            if len(self.tainted) == before:
                break

    def expr(self, e: Any) -> bool:
        """May `e` differ between the threads of a block?"""
        if e is None:
            return False
        for n in walk(e):
            if isinstance(n, N.Builtin) and n.name.startswith("threadIdx"):
                return True
            if isinstance(n, N.Var) and n.sym in self.tainted:
                return True
            if isinstance(n, N.OpaqueExpr):
                return True
            if isinstance(n, N.Call) and n.kind not in _PURE_CALLS:
                return True
        return False

    def _mark(self, sym: N.Sym) -> None:
        self.tainted.add(sym)

    def _header(self, exprs: list, assigns: list[N.Sym]) -> bool:
        t = any(self.expr(x) or not speculatable(x, self.macros) for x in exprs)
        if t:
            for s in assigns:
                self._mark(s)
        return t

    def _stmts(self, stmts: tuple, ctl: bool) -> None:
        for s in stmts:
            self._stmt(s, ctl)

    def _stmt(self, s: Any, ctl: bool) -> None:
        if isinstance(s, N.Decl):
            if self.expr(s.init) or (ctl and not speculatable(s.init, self.macros)):
                self._mark(s.sym)
        elif isinstance(s, N.Alloc):
            if s.scope is Scope.LOCAL and (s.init is not None and self.expr(s.init)):
                self._mark(s.sym)
        elif isinstance(s, N.Assign):
            if ctl or self.expr(s.value):
                self._mark(s.sym)
        elif isinstance(s, N.Store):
            base = s.target
            while isinstance(base, (N.Load, N.Member)):
                base = base.base
            if isinstance(base, N.Var) and (ctl or self.expr(s.value) or self.expr(s.target)):
                self._mark(base.sym)  # per-thread arrays / vectors; harmless for shared or global memory
        elif isinstance(s, N.For):
            t = self._header([s.start, s.stop, s.step], [s.var])
            self._stmts(s.body, ctl or t or loop_escapes(s.body))
        elif isinstance(s, N.CFor):
            syms = [x.sym for x in s.init + s.update if isinstance(x, (N.Decl, N.Assign))]
            exprs = [x.init if isinstance(x, N.Decl) else getattr(x, "value", None) for x in s.init + s.update]
            if any(not isinstance(x, (N.Decl, N.Assign)) for x in s.init + s.update):
                exprs.append(N.OpaqueExpr("header"))
            t = self._header(exprs + [s.cond], syms)
            self._stmts(s.body, ctl or t or loop_escapes(s.body))
        elif isinstance(s, (N.While, N.DoWhile)):
            t = self.expr(s.cond) or not speculatable(s.cond, self.macros)
            self._stmts(s.body, ctl or t or loop_escapes(s.body))
        elif isinstance(s, N.If):
            c = ctl or self.expr(s.cond)
            self._stmts(s.then, c)
            self._stmts(s.orelse, c)
        elif isinstance(s, N.Switch):
            c = ctl or self.expr(s.value)
            for case in s.cases:
                self._stmts(case.body, c)
        elif isinstance(s, N.Block):
            self._stmts(s.body, ctl)
        # side effects through addresses passed to calls
        for n in walk(s) if isinstance(s, (N.Evaluate, N.Assign, N.Decl, N.Store)) else ():
            if isinstance(n, N.Call) and n.kind not in _PURE_CALLS:
                for a in n.args:
                    if isinstance(a, N.AddrOf):
                        for m in walk(a):
                            if isinstance(m, N.Var):
                                self._mark(m.sym)


# ----------------------------------------------------------------------------------------------------------
# predication


def _and(p: N.Expr | None, x: N.Expr) -> N.Expr:
    return x if p is None else N.BinOp("&&", p, x)


class Predicator:
    """Rewrites a kernel body (see the module docstring). `fresh(name)` returns a new Sym with an unused
    name; `tid` is the linear thread index expression; after `body()`, `prelude` holds the declarations
    (vote slot, alive flag) to put at the start of the kernel body."""

    def __init__(self, macros: dict, fresh: Callable[[str], N.Sym], tid: N.Expr) -> None:
        self.macros = macros
        self.fresh = fresh
        self.tid = tid
        self.prelude: list = []
        self.vote: N.Sym | None = None
        self.alive: N.Sym | None = None
        self.uni: Uniformity | None = None
        self.votes = 0

    def body(self, stmts: tuple) -> tuple:
        early = any(has_return(s) for s in stmts[:-1]) or (stmts and not isinstance(stmts[-1], N.Return)
                                                           and has_return(stmts[-1]))
        self.uni = Uniformity(stmts, self.macros, guarded_all=early)
        p = None
        if early:
            self.alive = self.fresh("xp_alive")
            self.prelude.append(N.Decl(self.alive, BOOL, N.Const(True, "bool")))
            p = N.Var(self.alive)
        return tuple(self.block(tuple(stmts), p))

    # -- helpers -----------------------------------------------------------------------------------------
    def _spec(self, e: Any) -> bool:
        return speculatable(e, self.macros)

    def _vote(self, lp: N.Sym, go: N.Sym) -> list:
        if self.vote is None:
            self.vote = self.fresh("xp_vote")
            self.prelude.insert(0, N.Alloc(self.vote, INT32, (N.Const(1),), Scope.SHARED))
        self.votes += 1
        slot = N.Load(N.Var(self.vote), (N.Const(0),))
        bar = N.Barrier(N.BarrierScope.BLOCK)
        return [bar, N.If(N.BinOp("==", self.tid, N.Const(0)), (N.Store(slot, N.Const(0)),)), bar,
                N.If(N.Var(lp), (N.Store(slot, N.Const(1)),)), bar, N.Assign(go, slot)]

    def _decl(self, s: N.Decl, p: N.Expr) -> list:
        if s.init is None or self._spec(s.init):
            return [s]
        if isinstance(s.init, N.InitList):
            raise PassDeclined("detensorize: an initializer list that reads memory under a predicate")
        return [replace(s, init=None, const=False), N.If(p, (N.Assign(s.sym, s.init),))]

    def _kill_returns(self, stmts: tuple) -> tuple:
        """`stmts` (no barriers) with every `return` replaced by `alive = false` and what follows a statement
        that may return wrapped in `if (alive)`."""
        out: list = []
        for i, s in enumerate(stmts):
            if isinstance(s, N.Return):
                out.append(N.Assign(self.alive, N.Const(False, "bool")))
                return tuple(out)
            if not has_return(s):
                out.append(s)
                continue
            if isinstance(s, N.If):
                out.append(replace(s, then=self._kill_returns(s.then), orelse=self._kill_returns(s.orelse)))
            elif isinstance(s, N.Block):
                out.append(replace(s, body=self._kill_returns(s.body)))
            else:
                raise PassDeclined(f"detensorize: a return inside a {type(s).__name__} before a barrier")
            rest = stmts[i + 1:]
            if rest:
                out.append(N.If(N.Var(self.alive), self._kill_returns(rest)))
            return tuple(out)
        return tuple(out)

    # -- statements --------------------------------------------------------------------------------------
    def block(self, stmts: tuple, p: N.Expr | None) -> list:
        out: list = []
        run: list = []

        def flush() -> None:
            if run:
                out.append(N.If(p, tuple(run)))
                run.clear()

        for s in stmts:
            if isinstance(s, N.Comment):
                (run if run else out).append(s)
                continue
            if not has_barrier(s):
                if p is None:
                    out.append(s)
                    continue
                if isinstance(s, N.Return):
                    if self.alive is None:
                        raise PassDeclined("detensorize: a return under a predicate")
                    flush()
                    out.append(N.If(p, (N.Assign(self.alive, N.Const(False, "bool")),)))
                    return out
                if isinstance(s, (N.Break, N.Continue)):
                    raise PassDeclined("detensorize: break/continue in a loop with barriers under a predicate")
                if isinstance(s, N.Decl):
                    flush()
                    out.extend(self._decl(s, p))
                    continue
                if isinstance(s, N.Alloc):
                    if s.init is not None and not self._spec(s.init):
                        raise PassDeclined("detensorize: an array initializer that reads memory under a predicate")
                    flush()
                    out.append(s)
                    continue
                if has_return(s):
                    if self.alive is None:
                        raise PassDeclined("detensorize: a return under a predicate")
                    run.extend(self._kill_returns((s,)))
                    flush()
                    p = _and(p, N.Var(self.alive)) if p is not None and not _mentions(p, self.alive) else p
                    continue
                run.append(s)
                continue
            flush()
            if isinstance(s, N.Barrier):
                out.append(N.Barrier(N.BarrierScope.BLOCK, loc=s.loc))
            elif isinstance(s, N.Block):
                out.append(replace(s, body=tuple(self.block(s.body, p))))
            elif isinstance(s, N.If):
                out.extend(self._if(s, p))
            elif isinstance(s, (N.For, N.CFor, N.While)):
                out.extend(self._loop(s, p))
            else:
                raise PassDeclined(f"detensorize: a barrier inside a {type(s).__name__}")
            if has_return(s):  # the statement may have cleared `alive`: the rest runs under it
                if self.alive is None or p is None:
                    raise PassDeclined("detensorize: a return inside a statement with barriers")
                if not _mentions(p, self.alive):
                    p = _and(p, N.Var(self.alive))
        flush()
        return out

    def _if(self, s: N.If, p: N.Expr | None) -> list:
        if p is None and not self.uni.expr(s.cond):
            return [replace(s, then=tuple(self.block(s.then, None)), orelse=tuple(self.block(s.orelse, None)))]
        t = self.fresh("xp_then")
        out: list = [N.Decl(t, BOOL, _and(p, s.cond))]
        e = None
        if s.orelse:
            e = self.fresh("xp_else")
            out.append(N.Decl(e, BOOL, _and(p, N.UnOp("!", N.Var(t)))))
        out.append(N.Block(tuple(self.block(s.then, N.Var(t)))))
        if e is not None:
            out.append(N.Block(tuple(self.block(s.orelse, N.Var(e)))))
        return out

    def _loop(self, s: Any, p: N.Expr | None) -> list:
        uni = self.uni
        if isinstance(s, N.For):
            head = [s.start, s.stop, s.step]
        elif isinstance(s, N.CFor):
            head = [s.cond] + [x.init if isinstance(x, N.Decl) else getattr(x, "value", N.OpaqueExpr("?"))
                               for x in s.init + s.update]
        else:
            head = [s.cond]
        uniform = not any(uni.expr(x) for x in head)
        returns = has_return(s.body)
        if returns and (self.alive is None or p is None):
            raise PassDeclined("detensorize: a return inside a loop with barriers")
        if uniform and (p is None or all(self._spec(x) for x in head)):
            # a thread that returned in an earlier iteration stays off in the later ones
            inner = _and(p, N.Var(self.alive)) if returns and not _mentions(p, self.alive) else p
            return [replace(s, body=tuple(self.block(s.body, inner)))]
        if loop_escapes(s.body):
            raise PassDeclined("detensorize: break/continue in a non-uniform loop with barriers")
        lp, go = self.fresh("xp_iter"), self.fresh("xp_go")
        out: list = []
        if isinstance(s, N.For):
            cond = N.BinOp("<", N.Var(s.var), s.stop)
            out.append(N.Decl(s.var, s.var_type or INT32))
            out.append(N.If(p, (N.Assign(s.var, s.start),)) if p is not None else N.Assign(s.var, s.start))
            step = [N.If(N.Var(lp), (N.Assign(s.var, s.step, "+"),))]
        elif isinstance(s, N.CFor):
            cond = s.cond if s.cond is not None else N.Const(True, "bool")
            out.extend(self.block(s.init, p))
            step = self.block(s.update, N.Var(lp))
        else:
            cond = s.cond
            step = []
        if returns:
            cond = N.BinOp("&&", N.Var(self.alive), cond)
        out.append(N.Decl(lp, BOOL, _and(p, cond)))
        out.append(N.Decl(go, INT32, N.Const(0)))
        out.extend(self._vote(lp, go))
        body = [N.Block(tuple(self.block(s.body, N.Var(lp))))] + step
        body.append(N.Assign(lp, N.BinOp("&&", N.Var(lp), cond)))
        body.extend(self._vote(lp, go))
        out.append(N.While(N.Var(go), tuple(body)))
        return [N.Block(tuple(out))]


def _mentions(e: N.Expr, sym: N.Sym) -> bool:
    return any(isinstance(n, N.Var) and n.sym is sym for n in walk(e))
