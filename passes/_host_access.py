"""How a function uses its pointer parameters: which it reads, which it may write, and where (the flat
element index of each access with the loops and conditions around it).

Host conversion needs this to build a host wrapper (copy in what is read, copy back what is written, skip
the copy-in of a buffer that is provably overwritten whole) and to decide when a device buffer may alias a
host pointer. The analysis is conservative: a parameter whose pointer escapes (passed to an unknown call,
stored, reassigned, accessed inside loops of unknown shape) counts as read and written at unknown places.

Pointers derived from a parameter by a declaration (`const float* row = X + i * D;`, `&X[k]`, a cast to a
pointer whose element spans whole elements of the parameter's, as `float4*` from `float*`) are followed; calls of the module's own functions are followed for the
read/write flags."""

from __future__ import annotations

from dataclasses import dataclass, field

from xpiler import dtypes
from xpiler.ir import nodes as N
from xpiler.ir import types as T
from xpiler.ir.visit import walk


@dataclass(frozen=True)
class Access:
    """One access of a parameter's elements: `index` the flat element index relative to the parameter
    (None when unknown), `loops` the enclosing counted loops (outermost first), `conds` the conditions that
    hold there, `clean` False when the access sits in a loop of unknown shape or after control flow that
    may skip it (break / continue / return / switch)."""

    index: N.Expr | None
    write: bool
    loops: tuple[N.For, ...] = ()
    conds: tuple[N.Expr, ...] = ()
    clean: bool = True


@dataclass
class ParamUse:
    reads: bool = False
    writes: bool = False
    escapes: bool = False  # used in a way the analysis does not follow (counts as read and written)
    accesses: list[Access] = field(default_factory=list)

    @property
    def may_read(self) -> bool:
        return self.reads or self.escapes

    @property
    def may_write(self) -> bool:
        return self.writes or self.escapes


def _elem_size(t: T.Type) -> int | None:
    if isinstance(t, T.Scalar) and t.dtype not in ("void",):
        try:
            return dtypes.itemsize(t.dtype)
        except (KeyError, ValueError):
            return {"size_t": 8, "ptrdiff_t": 8, "char": 1}.get(t.dtype)
    if isinstance(t, T.Vector):
        return t.bits // 8
    return None


class _Analysis:
    def __init__(self, func: N.Func, module: N.Module | None, depth: int = 0) -> None:
        self.module = module
        self.depth = depth
        self.params = {p.sym: i for i, p in enumerate(func.params) if isinstance(p.type, T.Pointer)}
        self.elem = {p.sym: p.type.pointee for p in func.params if isinstance(p.type, T.Pointer)}
        self.uses = {i: ParamUse() for i in self.params.values()}
        self.alias: dict[N.Sym, tuple[int, N.Expr | None, int]] = {}  # local pointer -> (param, offset, width)
        self.func = func

    # -- pointer derivation ---------------------------------------------------------------------
    def base_of(self, e: N.Expr):
        """(param index, element offset or None when unknown, width) when `e` is a pointer into a parameter:
        the offset counts the parameter's elements, `width` how many of them one element of `e` spans (a
        `float4*` made from a `float*` spans 4)."""
        if isinstance(e, N.Var):
            if e.sym in self.params:
                return self.params[e.sym], N.Const(0), 1
            return self.alias.get(e.sym)
        if isinstance(e, N.BinOp) and e.op in ("+", "-"):
            a = self.base_of(e.a)
            if a is not None:
                return a[0], None if a[1] is None else N.BinOp(e.op, a[1], _scaled(e.b, a[2])), a[2]
            if e.op == "+":
                b = self.base_of(e.b)
                if b is not None:
                    return b[0], None if b[1] is None else N.BinOp("+", b[1], _scaled(e.a, b[2])), b[2]
            return None
        if isinstance(e, N.Cast) and isinstance(e.type, T.Pointer):
            b = self.base_of(e.value)
            if b is None:
                return None
            unit = _elem_size(self.elem[self._param_sym(b[0])])
            new = _elem_size(e.type.pointee)
            if unit and new and new % unit == 0:
                return b[0], b[1], new // unit
            return b[0], None, 1
        if isinstance(e, N.AddrOf) and isinstance(e.value, N.Load) and len(e.value.indices) == 1:
            b = self.base_of(e.value.base)
            if b is not None:
                return b[0], None if b[1] is None else N.BinOp("+", b[1], _scaled(e.value.indices[0], b[2])), b[2]
        return None

    def _param_sym(self, i: int) -> N.Sym:
        return next(s for s, j in self.params.items() if j == i)

    # -- statements -----------------------------------------------------------------------------
    def stmts(self, body, loops, conds, clean) -> None:
        for s in body:
            self.stmt(s, loops, conds, clean)
            if isinstance(s, N.If) and not s.orelse and len(s.then) == 1 and isinstance(
                    s.then[0], (N.Break, N.Continue, N.Return)):
                conds = conds + (N.UnOp("!", s.cond),)  # `if (c) continue;`: what follows runs when !c
            if isinstance(s, (N.Break, N.Continue, N.Return)) or (
                    isinstance(s, (N.If, N.Block)) and any(isinstance(n, (N.Break, N.Continue, N.Return))
                                                           for n in walk(s))):
                clean = False  # what follows may be skipped

    def stmt(self, s, loops, conds, clean) -> None:
        ctx = (loops, conds, clean)
        if isinstance(s, N.Decl):
            b = self.base_of(s.init) if s.init is not None and isinstance(s.type, T.Pointer) else None
            if b is not None:
                self.alias[s.sym] = b
                if b[1] is not None:
                    self.expr(b[1], *ctx)  # the offset's own reads (`X + idx[i] * D`)
            elif s.init is not None:
                self.expr(s.init, *ctx)
        elif isinstance(s, N.Assign):
            if s.sym in self.alias:
                self.escape(self.alias[s.sym][0])
            self.expr(s.value, *ctx)
        elif isinstance(s, N.Store):
            if isinstance(s.target, N.Load):
                self.access(s.target, True, s.op is not None, *ctx)
            elif isinstance(s.target, N.Deref):
                b = self.base_of(s.target.value)
                if b is not None:
                    self.record(b, N.Const(0), True, s.op is not None, *ctx)
                else:
                    self.expr(s.target, *ctx)
            else:
                self.expr(s.target, *ctx)
            self.expr(s.value, *ctx)
        elif isinstance(s, N.For):
            for e in (s.start, s.stop, s.step):
                self.expr(e, *ctx)
            self.stmts(s.body, loops + (s,), conds, clean)
        elif isinstance(s, N.If):
            self.expr(s.cond, *ctx)
            self.stmts(s.then, loops, conds + (s.cond,), clean)
            self.stmts(s.orelse, loops, conds + (N.UnOp("!", s.cond),), clean)
        elif isinstance(s, N.Block):
            self.stmts(s.body, loops, conds, clean)
        elif isinstance(s, (N.CFor, N.While, N.DoWhile, N.Switch)):
            for n in (s.init if isinstance(s, N.CFor) else ()):
                self.stmt(n, loops, conds, False)
            for e in (getattr(s, "cond", None), getattr(s, "value", None)):
                if isinstance(e, N.Expr):
                    self.expr(e, loops, conds, False)
            inner = s.body if not isinstance(s, N.Switch) else tuple(x for c in s.cases for x in c.body)
            self.stmts(inner + (s.update if isinstance(s, N.CFor) else ()), loops, conds, False)
        elif isinstance(s, N.Opaque):
            self.opaque(s.reads + s.writes)
        else:  # Evaluate, Return, Launch, Alloc, ...: their expressions
            for f in ("value", "init", "config", "args", "shape"):
                v = getattr(s, f, None)
                for e in (v if isinstance(v, tuple) else (v,)):
                    if isinstance(e, N.Expr):
                        self.expr(e, *ctx)

    def opaque(self, syms) -> None:
        for sym in syms:
            if sym in self.params:
                self.escape(self.params[sym])
            elif sym in self.alias:
                self.escape(self.alias[sym][0])

    def escape(self, i: int) -> None:
        self.uses[i].escapes = True

    # -- expressions ----------------------------------------------------------------------------
    def expr(self, e, loops, conds, clean) -> None:
        if e is None:
            return
        if isinstance(e, N.Load):
            self.access(e, False, True, loops, conds, clean)
            return
        if isinstance(e, N.Deref):
            b = self.base_of(e.value)
            if b is not None:
                self.record(b, N.Const(0), False, True, loops, conds, clean)
                return
        if isinstance(e, N.Var):
            self.opaque((e.sym,))
            return
        if isinstance(e, N.OpaqueExpr):
            self.opaque(e.reads)
            return
        if isinstance(e, N.Call) and e.kind is N.CallKind.FUNC and self.module is not None and \
                self.call(e, loops, conds, clean):
            return
        if isinstance(e, N.SizeOf):
            return
        if isinstance(e, N.Select):  # each arm runs only where the condition says
            self.expr(e.cond, loops, conds, clean)
            self.expr(e.a, loops, conds + (e.cond,), clean)
            self.expr(e.b, loops, conds + (N.UnOp("!", e.cond),), clean)
            return
        if isinstance(e, N.BinOp) and e.op in ("&&", "||"):  # short circuit: b runs only after a decided
            self.expr(e.a, loops, conds, clean)
            self.expr(e.b, loops, conds + ((e.a,) if e.op == "&&" else (N.UnOp("!", e.a),)), clean)
            return
        b = self.base_of(e) if isinstance(e, (N.BinOp, N.Cast, N.AddrOf)) else None
        if b is not None:  # a derived pointer used as a value (compared, passed on): not followed
            self.escape(b[0])
            return
        for f in ("a", "b", "cond", "value", "base"):
            sub = getattr(e, f, None)
            if isinstance(sub, N.Expr):
                self.expr(sub, loops, conds, clean)
        for f in ("args", "items", "indices"):
            for sub in getattr(e, f, ()) or ():
                if isinstance(sub, N.Expr):
                    self.expr(sub, loops, conds, clean)

    def call(self, e: N.Call, loops, conds, clean) -> bool:
        """Follow a call of a module function for the read/write flags of pointer arguments."""
        try:
            callee = self.module.func(e.name)
        except KeyError:
            return False
        if self.depth > 8 or len(callee.params) != len(e.args):
            return False
        inner = analyze(callee, self.module, self.depth + 1)
        for j, a in enumerate(e.args):
            b = self.base_of(a)
            if b is None:
                self.expr(a, loops, conds, clean)
                continue
            u, cu = self.uses[b[0]], inner.get(j)
            if cu is None:
                self.escape(b[0])
                continue
            u.reads |= cu.may_read
            u.writes |= cu.may_write
            u.escapes = True  # the places are not followed into the callee
        return True

    def access(self, load: N.Load, write: bool, read: bool, loops, conds, clean) -> None:
        for ix in load.indices:
            self.expr(ix, loops, conds, clean)
        b = self.base_of(load.base)
        if b is None:
            self.expr(load.base, loops, conds, clean)
            return
        index = load.indices[0] if len(load.indices) == 1 else None
        self.record(b, index, write, read, loops, conds, clean)

    def record(self, b, index, write, read, loops, conds, clean) -> None:
        """An access of element `index` of the pointer `b`: its first parameter element, and its last one
        when an element spans several (a float4 load reaches 4 floats)."""
        i, off, width = b
        u = self.uses[i]
        u.reads |= read
        u.writes |= write
        if off is None or index is None:
            u.accesses.append(Access(None, write, loops, conds, clean))
            return
        first = _scaled(index, width)
        first = first if off == N.Const(0) else N.BinOp("+", off, first)
        u.accesses.append(Access(first, write, loops, conds, clean))
        if width > 1:
            u.accesses.append(Access(N.BinOp("+", first, N.Const(width - 1)), write, loops, conds, clean))


def _scaled(e: N.Expr, width: int) -> N.Expr:
    return e if width == 1 else N.BinOp("*", e, N.Const(width))


def analyze(func: N.Func, module: N.Module | None = None, depth: int = 0) -> dict[int, ParamUse]:
    """Parameter index -> ParamUse for every pointer parameter of `func`."""
    a = _Analysis(func, module, depth)
    a.stmts(func.body, (), (), True)
    return a.uses
