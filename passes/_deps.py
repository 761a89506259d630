"""Dependence analysis for loop passes: which memory a region reads and writes, and whether the iterations
of a band of loops are independent (Z3 over the index arithmetic).

Model.
- An access is (base, flat element offset, read/write, enclosing loops, position). `base` is the memory
  object: a pointer parameter, a module-level buffer, or a function-local `Alloc`. Local pointers declared
  as `P + off`, `&P[off]` or `P` (never reassigned) resolve to their base with the offset added; a
  multi-dimensional `Alloc` index is flattened row-major. An access whose base cannot be resolved has
  `base=None` and conflicts with everything.
- Typed views of one buffer (`float *x = (float *)nram_buffer; float *y = x + n;`, `(half *)(buf + k)`) resolve
  to that buffer: offsets are counted in the buffer's elements, and an access through a wider type covers
  `width` consecutive elements (a float through a char buffer: 4). Views narrower than the buffer's element,
  or of unknown size, are unknown. Accesses of different widths conflict when their element ranges overlap.
- Distinct pointer parameters are assumed not to alias (the entry contract passes separate buffers).
- Index sub-expressions Z3 cannot model (loads such as `idx[i]`, float-to-int casts, calls, scalars that are
  assigned more than once) become unknown integers, fresh for each of the two iteration instances compared:
  an over-approximation, so "independent" is only claimed when it holds for any values.
- Local integer scalars assigned exactly once (`const int s = ...`) are replaced by their initializer.
- Guards: an access records the conditions that hold where it sits (`if` arms, `?:` arms, a C-style loop's
  condition inside its body). A scalar assigned several times (a counter shared by a strip loop and its
  tail) is one value per instance inside a region that does not assign it (the body of the loop whose
  condition reads it, the arm of the `if`), so the guard bounds it there; a counter that only starts at
  and is reset to constants >= 0 and only grows is >= 0. A tail-mask lane test `(m >> l) & 1` with
  `m = (1 << n) - 1` is `l < n`.

`band_conflicts` asks, for every pair of accesses to one base of which one writes: can two instances whose
band variables differ touch the same element? Any `sat`/`unknown` answer is a conflict. Privatization of
local arrays (a per-thread copy) is checked separately by `covered_reads`: every read of the array in an
iteration reads an element that the same iteration wrote before, unconditionally.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import z3

from xpiler.ir import nodes as N
from xpiler.ir.lanes import lane_test, prefix_mask_count
from xpiler.ir.types import Pointer, Scalar
from xpiler.ir.visit import children, is_node, map_exprs, substitute, walk
from xpiler.ir.z3expr import Unsupported, expand_macros, to_z3

PURE_CALLS = (N.CallKind.MATH, N.CallKind.CTOR)  # math and value constructors (`make_float4`)
_INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "size_t", "ptrdiff_t",
               "char", "bool")


@dataclass
class Access:
    base: N.Sym | None
    index: N.Expr | None  # flat element offset; None = unknown
    write: bool
    loops: tuple[N.For, ...]  # enclosing counted loops inside the analysed region, outermost first
    path: tuple[tuple[int, str, int], ...]  # (id of the enclosing statement, field, position) from the region
    node: Any = None
    guards: tuple = ()  # conditions known to hold at the access (`if`, `?:` arms, a C-style loop's condition)
    regions: tuple = ()  # (scalars constant in a guarded region, symbols declared in it before the access)
    width: int = 1  # elements of `base` the access covers (a float read through a char buffer: 4)


@dataclass
class Region:
    """Everything `analyze` learnt about a statement list."""

    accesses: list[Access] = field(default_factory=list)
    assigned: dict[N.Sym, int] = field(default_factory=dict)  # scalar -> number of assignments in region
    declared: set[N.Sym] = field(default_factory=set)  # symbols declared inside the region
    impure: list[str] = field(default_factory=list)  # reasons the region has effects we cannot model
    jumps: list[tuple[Any, tuple]] = field(default_factory=list)  # (Break/Continue/Return, path)

    def bases_written(self) -> set:
        return {a.base for a in self.accesses if a.write}


class FuncFacts:
    """Function-wide facts: pointer aliases, single-assignment scalars, local arrays, defines."""

    def __init__(self, func: N.Func, module: N.Module) -> None:
        self.func = func
        self.defines = module.defines()
        self.define_syms = {d.sym for d in self.defines.values()}
        self.params = {p.sym for p in func.params}
        self.module_buffers = {i.sym: i for i in module.items if isinstance(i, (N.Alloc, N.Decl))}
        self.allocs: dict[N.Sym, N.Alloc] = {}
        self.decls: dict[N.Sym, N.Decl] = {}
        counts: dict[N.Sym, int] = {}
        for n in walk(func):
            if isinstance(n, N.Alloc):
                self.allocs[n.sym] = n
            elif isinstance(n, N.Decl):
                if n.sym in self.decls:  # declared in several places (copies of a body): not one value
                    counts[n.sym] = counts.get(n.sym, 0) + 1
                self.decls[n.sym] = n
            elif isinstance(n, N.Assign):
                counts[n.sym] = counts.get(n.sym, 0) + 1
            elif isinstance(n, N.For):
                counts[n.var] = counts.get(n.var, 0)  # loop variables are not single-assignment scalars
            elif isinstance(n, (N.AddrOf,)) and isinstance(n.value, N.Var):
                counts[n.value.sym] = counts.get(n.value.sym, 0) + 1  # address taken: may change
        self.assign_counts = counts
        self.loop_vars = {n.var for n in walk(func) if isinstance(n, N.For)}
        self.redefined = _straight_redefinitions(func, self.decls, counts)
        self.nonneg_counters = _nonneg_counters(func, self.decls, self.defines)

    def is_local_array(self, sym: N.Sym | None) -> bool:
        return sym in self.allocs

    def single(self, sym: N.Sym) -> N.Expr | None:
        """The initializer of a scalar declared once with an integer value and never reassigned."""
        d = self.decls.get(sym)
        if sym in self.redefined and isinstance(d.type, Scalar) and d.type.dtype in _INT_DTYPES:
            return self.redefined[sym]
        if d is None or d.init is None or self.assign_counts.get(sym, 0) or sym in self.loop_vars:
            return None
        if isinstance(d.type, Scalar) and d.type.dtype in _INT_DTYPES:
            return d.init
        return None

    def pointer(self, sym: N.Sym, depth: int = 0) -> tuple[N.Sym | None, N.Expr | None]:
        """(base, element offset) of pointer variable `sym`; (None, None) when unknown."""
        base, off, _ = self.view(N.Var(sym), depth)
        return base, off

    def pointer_expr(self, e: N.Expr, want: Any = None, depth: int = 0) -> tuple[N.Sym | None, N.Expr | None]:
        """(base, offset in the base's elements) of a pointer expression; (None, None) when unknown."""
        base, off, _ = self.view(e, depth)
        return base, off

    def view(self, e: N.Expr, depth: int = 0) -> tuple[N.Sym | None, N.Expr | None, int]:
        """(base, offset in the base's elements, base elements per element of `e`'s pointee): pointer
        arithmetic and casts of one buffer to other element types (`(float *)nram_buffer + n`)."""
        if depth > 16:
            return None, None, 1
        if isinstance(e, N.Var):
            sym = e.sym
            if sym in self.params or sym in self.allocs or sym in self.module_buffers:
                return sym, N.Const(0), 1
            d = self.decls.get(sym)
            if d is None or d.init is None or self.assign_counts.get(sym, 0) or not isinstance(d.type, Pointer):
                return None, None, 1
            base, off, k = self.view(d.init, depth + 1)
            if base is None:
                return None, None, 1
            # the declaration may itself convert (`float *x = buf;` with a void or char buffer)
            return self._retype(base, off, k, self._type_of(d.init), d.type)
        if isinstance(e, N.Cast) and isinstance(e.type, Pointer):
            base, off, k = self.view(e.value, depth + 1)
            if base is None:
                return None, None, 1
            return self._retype(base, off, k, self._type_of(e.value), e.type)
        if isinstance(e, N.BinOp) and e.op in ("+", "-"):
            for p, off, sign in ((e.a, e.b, e.op), (e.b, e.a, "+")):
                if self._is_pointer(p) and not self._is_pointer(off):
                    base, o, k = self.view(p, depth + 1)
                    if base is None:
                        return None, None, 1
                    return base, N.BinOp(sign, o, off if k == 1 else N.BinOp("*", off, N.Const(k))), k
            return None, None, 1
        if isinstance(e, N.AddrOf) and isinstance(e.value, N.Load):
            base, off, k = self.element_view(e.value, depth + 1)
            return base, off, k
        return None, None, 1

    def _retype(self, base, off, k, from_t, to_t) -> tuple[N.Sym | None, N.Expr | None, int]:
        if isinstance(from_t, Pointer) and isinstance(to_t, Pointer) and _same_elem(from_t.pointee, to_t.pointee):
            return base, off, k
        b_sz, t_sz = self._base_elem_size(base), _elem_size(to_t.pointee) if isinstance(to_t, Pointer) else None
        if b_sz is None or t_sz is None or t_sz % b_sz:
            return None, None, 1
        return base, off, t_sz // b_sz

    def _base_elem_size(self, base: N.Sym) -> int | None:
        t = self._type_of(N.Var(base))
        return _elem_size(t.pointee) if isinstance(t, Pointer) else None

    def element(self, ld: N.Load, depth: int = 0) -> tuple[N.Sym | None, N.Expr | None]:
        """(base, flat offset) of the element `ld` names."""
        base, off, _ = self.element_view(ld, depth)
        return base, off

    def element_view(self, ld: N.Load, depth: int = 0) -> tuple[N.Sym | None, N.Expr | None, int]:
        """(base, flat offset in the base's elements, elements of the base the access covers)."""
        if not isinstance(ld.base, N.Var):
            base, off, k = self.view(ld.base, depth)
            if base is None or len(ld.indices) != 1:
                return None, None, 1
            ix = ld.indices[0] if k == 1 else N.BinOp("*", ld.indices[0], N.Const(k))
            return base, N.BinOp("+", off, ix), k
        sym = ld.base.sym
        buf = self.allocs.get(sym) or self.module_buffers.get(sym)
        if isinstance(buf, N.Alloc) and len(buf.shape) == len(ld.indices):
            flat: N.Expr = ld.indices[0]
            for ext, ix in zip(buf.shape[1:], ld.indices[1:]):
                flat = N.BinOp("+", N.BinOp("*", flat, ext), ix)
            return sym, flat, 1
        if len(ld.indices) != 1:
            return None, None, 1
        base, off, k = self.view(ld.base, depth)
        if base is None:
            return None, None, 1
        ix = ld.indices[0] if k == 1 else N.BinOp("*", ld.indices[0], N.Const(k))
        return base, N.BinOp("+", off, ix), k

    def _is_pointer(self, e: N.Expr) -> bool:
        return isinstance(self._type_of(e), Pointer) or (isinstance(e, N.Var) and e.sym in self.allocs)

    def _type_of(self, e: N.Expr) -> Any:
        if isinstance(e, N.Var):
            if e.sym in self.allocs:
                return Pointer(self.allocs[e.sym].elem)
            for p in self.func.params:
                if p.sym is e.sym:
                    return p.type
            d = self.decls.get(e.sym) or self.module_buffers.get(e.sym)
            if isinstance(d, N.Decl):
                return d.type
            if isinstance(d, N.Alloc):
                return Pointer(d.elem)
            return None
        if isinstance(e, N.Cast):
            return e.type
        if isinstance(e, N.BinOp) and e.op in ("+", "-"):
            return self._type_of(e.a) if isinstance(self._type_of(e.a), Pointer) else self._type_of(e.b)
        if isinstance(e, N.AddrOf) and isinstance(e.value, N.Load):
            t = self._type_of(e.value.base)
            return t
        return None


def _straight_redefinitions(func: N.Func, decls: dict, counts: dict) -> dict:
    """Scalars declared and then reassigned only by the statements right after their declaration, in the
    same statement list, before anything else reads them (`int d = SIZE / 3; d = d / 32 * 32;`): every
    read sees the last value, which is the assignments composed (the scalar is one value, like a single
    assignment)."""
    out = {}
    lists = [func.body] + [getattr(n, f) for n in walk(func) for f in ("body", "then", "orelse")
                           if isinstance(getattr(n, f, None), tuple) and not isinstance(n, N.Func)]
    for stmts in lists:
        for k, s in enumerate(stmts):
            if not isinstance(s, N.Decl) or s.init is None or not counts.get(s.sym) or decls.get(s.sym) is not s:
                continue
            value, j, n_assign = s.init, k + 1, 0
            while j < len(stmts):
                t = stmts[j]
                if isinstance(t, N.Assign) and t.sym is s.sym:
                    v = substitute(t.value, {s.sym: value})
                    value = v if t.op is None else N.BinOp(t.op, value, v)
                    n_assign += 1
                elif isinstance(t, N.Comment) or not any(
                        isinstance(x, N.Var) and x.sym is s.sym for x in walk(t)):
                    if n_assign == counts[s.sym]:
                        break
                else:
                    break
                j += 1
            if n_assign and n_assign == counts[s.sym] and not any(
                    isinstance(x, N.AddrOf) for x in walk(stmts[k:j])):
                out[s.sym] = value
    return out


def _nonneg_counters(func: N.Func, decls: dict, defines: dict) -> set:
    """Integer scalars that never go negative: initialized to a constant >= 0 and afterwards only set to
    such constants or increased by positive constants (`i = 0; ...; i += 16`)."""
    def nonneg_const(e):
        v = expr_constant(e, defines)
        return v is not None and v >= 0

    ok = {s for s, d in decls.items() if isinstance(d.type, Scalar) and d.type.dtype in _INT_DTYPES
          and d.init is not None and nonneg_const(d.init)}
    for n in walk(func):
        if isinstance(n, N.Assign) and n.sym in ok:
            if n.op is None and nonneg_const(n.value):
                continue
            if n.op == "+" and (expr_constant(n.value, defines) or 0) > 0:
                continue
            ok.discard(n.sym)
        elif isinstance(n, N.AddrOf) and isinstance(n.value, N.Var):
            ok.discard(n.value.sym)
    return ok


def _same_elem(a: Any, b: Any) -> bool:
    return isinstance(a, Scalar) and isinstance(b, Scalar) and a.dtype == b.dtype


def _elem_size(t: Any) -> int | None:
    from xpiler import dtypes

    if not isinstance(t, Scalar):
        return None
    try:
        return dtypes.itemsize(t.dtype)
    except KeyError:
        return None


# ----------------------------------------------------------------------------------------------------------
# region analysis


def analyze(stmts: tuple, facts: FuncFacts) -> Region:
    """Accesses, scalar assignments, declarations and unmodelled effects of a statement list."""
    reg = Region()
    _stmts(stmts, facts, reg, (), (), _Ctx())
    return reg


@dataclass(frozen=True)
class _Ctx:
    """Where a statement sits: the guards that hold there and the guarded regions around it. A region is a
    statement list (a C-style loop's body, an `if` arm) that does not assign the scalars of its condition;
    those scalars keep one value throughout it, so the condition bounds them at every access inside."""

    guards: tuple = ()
    regions: tuple = ()  # (frozenset of stable scalars, list of symbols declared so far in the region)

    def guarded(self, cond: N.Expr, body, negate: bool = False) -> _Ctx:
        stable = frozenset(s for s in _scalars(cond) if s not in _assigned_in(body))
        g = N.UnOp("!", cond) if negate else cond
        if not stable:
            return _Ctx(self.guards + (g,), self.regions)
        return _Ctx(self.guards + (g,), self.regions + ((stable, []),))

    def with_guard(self, g: N.Expr) -> _Ctx:
        return _Ctx(self.guards + (g,), self.regions)

    def declare(self, sym: N.Sym) -> None:
        for _, decls in self.regions:
            decls.append(sym)

    def snapshot(self) -> tuple:
        return tuple((stable, frozenset(decls)) for stable, decls in self.regions)


def _scalars(e) -> set:
    return {n.sym for n in walk(e) if isinstance(n, N.Var)}


def _assigned_in(stmts) -> set:
    out = set()
    for n in walk(stmts):
        if isinstance(n, N.Assign):
            out.add(n.sym)
        elif isinstance(n, N.AddrOf) and isinstance(n.value, N.Var):
            out.add(n.value.sym)
        elif isinstance(n, (N.Decl, N.Alloc)):
            out.add(n.sym)  # a shadowing declaration: not the same scalar
    return out


def _access(reg, base, off, write, loops, path, node, ctx, width: int = 1) -> None:
    reg.accesses.append(Access(base, off, write, loops, path, node, ctx.guards, ctx.snapshot(), width))


def _stmts(stmts, facts, reg, loops, path, ctx, tag: tuple = ()):
    for k, s in enumerate(stmts):
        _stmt(s, facts, reg, loops, path + (tag + (k,),) if tag else path + ((0, "body", k),), ctx)


def _stmt(s, facts, reg, loops, path, ctx):
    def sub(stmts, name, new_loops=loops, c=ctx):
        _stmts(stmts, facts, reg, new_loops, path, c, (id(s), name))

    if isinstance(s, (N.Decl, N.Alloc)):
        reg.declared.add(s.sym)
        if s.init is not None:
            _reads(s.init, facts, reg, loops, path, ctx)
        ctx.declare(s.sym)
    elif isinstance(s, N.Assign):
        reg.assigned[s.sym] = reg.assigned.get(s.sym, 0) + 1
        _reads(s.value, facts, reg, loops, path, ctx)
    elif isinstance(s, N.Store):
        _reads(s.value, facts, reg, loops, path, ctx)
        t = s.target
        if isinstance(t, N.Load):
            for ix in t.indices:
                _reads(ix, facts, reg, loops, path, ctx)
            _reads(t.base, facts, reg, loops, path, ctx, top=False)
            base, off, w = facts.element_view(t)
            if s.op is not None:
                _access(reg, base, off, False, loops, path, s, ctx, w)
            _access(reg, base, off, True, loops, path, s, ctx, w)
        elif isinstance(t, N.Deref):
            _reads(t.value, facts, reg, loops, path, ctx, top=False)
            base, off, w = facts.view(t.value)
            if s.op is not None:
                _access(reg, base, off, False, loops, path, s, ctx, w)
            _access(reg, base, off, True, loops, path, s, ctx, w)
        else:
            reg.impure.append(f"store to {type(t).__name__}")
    elif isinstance(s, N.For):
        reg.declared.add(s.var)
        for e in (s.start, s.stop, s.step):
            _reads(e, facts, reg, loops, path, ctx)
        sub(s.body, "body", loops + (s,))
    elif isinstance(s, N.CFor):
        sub(s.init, "init")
        if s.cond is not None:
            _reads(s.cond, facts, reg, loops, path, ctx)
        sub(s.update, "update")
        # the body runs only when the condition held, and (when it does not assign the condition's
        # scalars; the update runs after it) those scalars keep that value throughout the body
        sub(s.body, "body", c=ctx if s.cond is None else ctx.guarded(s.cond, s.body))
    elif isinstance(s, (N.While, N.DoWhile)):
        _reads(s.cond, facts, reg, loops, path, ctx)
        sub(s.body, "body", c=ctx.guarded(s.cond, s.body) if isinstance(s, N.While) else ctx)
    elif isinstance(s, N.If):
        _reads(s.cond, facts, reg, loops, path, ctx)
        sub(s.then, "then", c=ctx.guarded(s.cond, s.then))
        sub(s.orelse, "orelse", c=ctx.guarded(s.cond, s.orelse, negate=True))
    elif isinstance(s, N.Switch):
        _reads(s.value, facts, reg, loops, path, ctx)
        for i, c in enumerate(s.cases):
            sub(c.body, f"case{i}")
    elif isinstance(s, N.Block):
        sub(s.body, "body")
    elif isinstance(s, (N.Break, N.Continue, N.Return)):
        reg.jumps.append((s, path))
        if isinstance(s, N.Return) and s.value is not None:
            _reads(s.value, facts, reg, loops, path, ctx)
    elif isinstance(s, N.Evaluate):
        _reads(s.value, facts, reg, loops, path, ctx)
    elif isinstance(s, N.Comment):
        pass
    else:
        reg.impure.append(type(s).__name__)


def pure(e) -> bool:
    """Does evaluating `e` have no effect (no calls but math, nothing opaque)?"""
    return not any(isinstance(n, (N.Call, N.OpaqueExpr)) and getattr(n, "kind", None) not in PURE_CALLS
                   for n in walk(e))


def _reads(e, facts, reg, loops, path, ctx, top: bool = True):
    if isinstance(e, tuple):
        for x in e:
            _reads(x, facts, reg, loops, path, ctx)
        return
    if not is_node(e):
        return
    if isinstance(e, N.Select):  # each arm is read only when the condition says so
        _reads(e.cond, facts, reg, loops, path, ctx)
        _reads(e.a, facts, reg, loops, path, ctx.with_guard(e.cond))
        _reads(e.b, facts, reg, loops, path, ctx.with_guard(N.UnOp("!", e.cond)))
        return
    if isinstance(e, N.Load):
        base, off, w = facts.element_view(e)
        _access(reg, base, off, False, loops, path, e, ctx, w)
    elif isinstance(e, N.Deref):
        base, off, w = facts.view(e.value)
        _access(reg, base, off, False, loops, path, e, ctx, w)
    elif isinstance(e, N.Call) and e.kind not in PURE_CALLS and e.kind is not N.CallKind.MACRO:
        reg.impure.append(f"call of {e.name}")
    elif isinstance(e, N.OpaqueExpr):
        reg.impure.append("opaque expression")
    elif isinstance(e, N.Builtin):
        reg.impure.append(f"parallel built-in {e.name}")
    for c in children(e):
        if isinstance(c, N.Expr):
            _reads(c, facts, reg, loops, path, ctx)


# ----------------------------------------------------------------------------------------------------------
# Z3 model of index expressions


class Instance:
    """One instance of the region: its own Z3 variable for every loop variable and unknown."""

    def __init__(self, tag: str, facts: FuncFacts, parent: Instance | None = None, own: set = frozenset(),
                 access: Access | None = None) -> None:
        self.tag = tag
        self.facts = facts
        self.env: dict = {}
        self.parent, self.own = parent, own  # loop variables not in `own` are the parent's (same iteration)
        # with `access`: the scalars its guarded regions keep constant have one value in this instance
        self.regions = access.regions if access is not None else ()
        self.pinned = frozenset().union(*(st for st, _ in self.regions)) if self.regions else frozenset()

    def guard_constraints(self, access: Access) -> list:
        """What holds at `access` in this instance: its guards, and `v >= 0` for the pinned counters that
        only ever take non-negative values."""
        out = []
        for g in access.guards:
            try:
                c = self.cond(g)
            except (Unsupported, ValueError, z3.Z3Exception):
                continue
            if c is not None:
                out.append(c)
        out += [self.var(v) >= 0 for v in self.pinned if v in self.facts.nonneg_counters]
        return out

    def cond(self, e: N.Expr) -> Any:
        e = _prefix_mask_tests(self._inline(e))
        v = self._conv(e)
        return v if z3.is_bool(v) else (v != 0 if z3.is_int(v) else None)

    def var(self, sym: N.Sym) -> z3.ArithRef:
        if self.parent is not None and sym not in self.own:
            return self.parent.var(sym)
        v = self.env.get(sym)
        if v is None:
            v = self.env[sym] = z3.Int(f"{sym.name}!{sym.id}@{self.tag}")
        return v

    def fresh(self) -> z3.ArithRef:
        return z3.FreshInt(f"unk@{self.tag}")

    def term(self, e: N.Expr) -> z3.ArithRef:
        """`e` as a Z3 integer for this instance; unmodelled sub-expressions become fresh unknowns."""
        e = self._inline(e)
        return _as_int(self._conv(e))

    def _inline(self, e: N.Expr, depth: int = 0) -> N.Expr:
        if depth > 8:
            return e
        subst = {}
        for n in walk(e):
            if isinstance(n, N.Var) and n.sym not in subst:
                init = self.facts.single(n.sym)
                if init is not None and self._inlinable(n.sym, init):
                    subst[n.sym] = init
        return self._inline(substitute(e, subst), depth + 1) if subst else e

    def _inlinable(self, sym: N.Sym, init: N.Expr) -> bool:
        """A single-assignment scalar whose initializer reads a pinned scalar stands for that pinned value
        only when it was declared inside a region that keeps the scalar constant."""
        uses = _scalars(init) & self.pinned
        return not uses or any(sym in decls and uses <= stable for stable, decls in self.regions)

    def _conv(self, e: N.Expr) -> Any:
        # loop variables are this instance's, and so are scalars its guarded regions keep constant; other
        # scalars may change between two accesses: unknowns
        env = {s: (self.var(s) if s in self.facts.loop_vars or s in self.pinned else self.fresh())
               for s in _local_syms(e, self.facts)}
        try:
            return to_z3(e, env, self.facts.defines)
        except (Unsupported, ValueError, z3.Z3Exception):
            pass
        if isinstance(e, N.BinOp) and e.op in ("+", "-", "*", "/", "%"):
            a, b = _as_int(self._conv(e.a)), _as_int(self._conv(e.b))
            if e.op == "+":
                return a + b
            if e.op == "-":
                return a - b
            if e.op == "*":
                return a * b
            return self.fresh()
        if isinstance(e, N.UnOp) and e.op == "-":
            return -_as_int(self._conv(e.a))
        if isinstance(e, N.Cast) and isinstance(e.type, Scalar) and e.type.dtype in _INT_DTYPES[:-1]:
            inner = e.value
            if not isinstance(inner, (N.Call, N.Load)):
                try:
                    return _as_int(self._conv(inner))
                except z3.Z3Exception:
                    pass
        return self.fresh()


def _prefix_mask_tests(e: N.Expr) -> N.Expr:
    """`(m >> l) & 1` with `m = (1 << n) - 1` (a tail mask of n leading lanes) is the test `l < n` (a mask
    kept in a scalar was inlined already, where that is sound)."""
    def fn(x):
        t = lane_test(x)
        n = prefix_mask_count(t[0]) if t is not None else None
        return None if n is None else N.BinOp("<", t[1], n)

    return map_exprs(e, fn)


def _as_int(v: Any) -> Any:
    return z3.If(v, z3.IntVal(1), z3.IntVal(0)) if z3.is_bool(v) else v


def _local_syms(e: N.Expr, facts: FuncFacts) -> set:
    """Symbols of `e` that vary per instance: loop variables and scalars that are not single-assignment.
    Parameters and macros are shared by both instances."""
    out = set()
    for n in walk(e):
        if isinstance(n, N.Var):
            s = n.sym
            if s in facts.params or s in facts.define_syms or s in facts.module_buffers:
                continue
            out.add(s)
    return out


def domain(inst: Instance, loops: tuple[N.For, ...]) -> list:
    """Constraints `start <= v < stop` (and the step lattice) for `loops` in instance `inst`."""
    out = []
    for f in loops:
        v = inst.var(f.var)
        lo, hi, st = inst.term(f.start), inst.term(f.stop), inst.term(f.step)
        out += [lo <= v, v < hi]
        st_s = z3.simplify(st)
        if not (z3.is_int_value(st_s) and st_s.as_long() == 1):
            out += [st > 0, (v - lo) % st == 0]
    return out


def check_sat(constraints: list, timeout_ms: int = 4000) -> Any:
    s = z3.Solver()
    s.set("timeout", timeout_ms)
    s.add(*constraints)
    return s.check()


# ----------------------------------------------------------------------------------------------------------
# dependence tests


def band_conflicts(accesses: list[Access], band: tuple[N.For, ...], facts: FuncFacts,
                   skip_bases: set = frozenset()) -> list[str]:
    """Pairs of accesses (one a write) to one base that two instances with different band variables can
    both touch. Empty list: the band's iterations touch disjoint memory except for read-read sharing."""
    problems: list[str] = []
    seen: set = set()
    by_base: dict = {}
    for a in accesses:
        if a.base in skip_bases:
            continue
        by_base.setdefault(a.base, []).append(a)
    for base, accs in by_base.items():
        if base is None:
            return ["an access whose memory object is unknown"]
        writes = [a for a in accs if a.write]
        for w in writes:
            for o in accs:
                key = (id(w.node), id(o.node), w.write, o.write)
                rkey = (id(o.node), id(w.node), o.write, w.write)
                if key in seen or rkey in seen:
                    continue
                seen.add(key)
                if not _may_conflict(w, o, band, facts):
                    continue
                problems.append(f"{base.name}: write at {_txt(w.index)} vs {'write' if o.write else 'read'} "
                                f"at {_txt(o.index)}")
                if len(problems) > 3:
                    return problems
    return problems


def _txt(e) -> str:
    from xpiler.ir.dump import expr_text

    return "?" if e is None else expr_text(e)


def _may_conflict(a: Access, b: Access, band: tuple[N.For, ...], facts: FuncFacts) -> bool:
    if a.index is None or b.index is None:
        return True
    if a.index == b.index and a.width == b.width == 1 and _mixed_radix(a.index, band, a.loops):
        return False
    i1, i2 = Instance("1", facts, access=a), Instance("2", facts, access=b)
    cs = domain(i1, a.loops) + domain(i2, b.loops) + i1.guard_constraints(a) + i2.guard_constraints(b)
    cs.append(z3.Or(*[i1.var(f.var) != i2.var(f.var) for f in band]))
    cs.append(overlap(i1.term(a.index), a.width, i2.term(b.index), b.width))
    return check_sat(cs) != z3.unsat


def _mixed_radix(index: N.Expr, band: tuple[N.For, ...], loops: tuple[N.For, ...]) -> bool:
    """Is `index` a row-major position in the band's box, `((v0 * S1 + v1) * S2 + v2) ... + c` with every band
    variable v_k over [0, S_k) (step 1) and c free of loop variables? Two instances with different band
    variables then touch different elements (the mixed-radix lemma) whatever the sizes: the dependence test
    needs no solver (symbolic sizes make it nonlinear for Z3)."""
    from xpiler.analysis.symbolic import poly

    pa = poly(index)
    if pa is None:
        return False
    p, atoms = pa
    loop_vars = {f.var for f in loops} | {f.var for f in band}
    key_of = {a.sym: k for k, a in atoms.by_key.items() if isinstance(a, N.Var)}
    for k, a in atoms.by_key.items():  # loop variables appear only as plain atoms
        if not isinstance(a, N.Var) and any(isinstance(n, N.Var) and n.sym in loop_vars for n in walk(a)):
            return False
    if any(f.var not in key_of for f in band):
        return False
    changed = {n.sym for f in band for n in walk(f) if isinstance(n, (N.Decl, N.Assign))}
    if any(s_ in changed and s_ not in loop_vars for s_ in key_of):
        return False  # a local set inside the band is no invariant
    band_keys = {key_of[f.var]: f for f in band}
    other = {key_of[s_] for s_ in loop_vars if s_ in key_of} - set(band_keys)
    weights: dict = {}
    for m, c in p.items():
        ks = [k for k in m if k in band_keys]
        if any(k in other for k in m) or len(ks) > 1:
            return False
        if ks:
            rest = tuple(k for k in m if k != ks[0])
            if m.count(ks[0]) != 1:
                return False
            weights.setdefault(ks[0], {})[rest] = c
    want = {(): 1}
    left = dict(band_keys)
    while left:  # innermost digit first: the variable whose weight is the product of the inner extents
        k = next((k for k in left if weights.get(k) == want), None)
        if k is None:
            return False
        f = left.pop(k)
        if not (isinstance(f.start, N.Const) and f.start.value == 0 and isinstance(f.step, N.Const)
                and f.step.value == 1):
            return False
        stop = poly(f.stop, atoms)
        if stop is None or any(kk in band_keys or kk in other for m in stop[0] for kk in m):
            return False
        want = {}
        for m1, c1 in weights[k].items():
            for m2, c2 in stop[0].items():
                mm = tuple(sorted(m1 + m2))
                want[mm] = want.get(mm, 0) + c1 * c2
        want = {m: c for m, c in want.items() if c}
    return True


def overlap(x: Any, wx: int, y: Any, wy: int) -> Any:
    """Z3: the element ranges [x, x + wx) and [y, y + wy) share an element (x == y for single elements)."""
    if wx == 1 and wy == 1:
        return x == y
    return z3.And(x < y + wy, y < x + wx)


def contains(outer: Any, wo: int, inner: Any, wi: int) -> Any:
    """Z3: [inner, inner + wi) lies within [outer, outer + wo)."""
    if wo == 1 and wi == 1:
        return outer == inner
    return z3.And(outer <= inner, inner + wi <= outer + wo)


def covered_reads(reg: Region, base: N.Sym, facts: FuncFacts) -> tuple[bool, str]:
    """Does every read of `base` in the region (one band iteration) read an element that the same iteration
    wrote earlier, unconditionally? Then a private copy per iteration (thread, task) is equivalent."""
    reads = [a for a in reg.accesses if a.base is base and not a.write]
    writes = [a for a in reg.accesses if a.base is base and a.write and a.index is not None]
    for r in reads:
        if r.index is None:
            return False, f"read of {base.name} at an unknown element"
        alts = []
        inst = Instance("r", facts)
        for w in writes:
            split = _precedes(w.path, r.path)
            if split is None or not _unconditional(w, split, reg):
                continue
            shared = [f for f in w.loops if f in r.loops and _loop_depth(f, w) <= split]
            own = [f for f in w.loops if f not in shared]
            winst = Instance("w", facts, parent=inst, own={f.var for f in own})
            eq = contains(winst.term(w.index), w.width, inst.term(r.index), r.width)
            dom = domain(winst, tuple(own))
            own_vars = [winst.var(f.var) for f in own]
            body = z3.And(*dom, eq) if dom else eq
            alts.append(z3.Exists(own_vars, body) if own_vars else body)
        if not alts:
            return False, f"read of {base.name}[{_txt(r.index)}] not preceded by a write in the same iteration"
        cs = domain(inst, r.loops) + [z3.Not(z3.Or(*alts))]
        if check_sat(cs) != z3.unsat:
            return False, f"read of {base.name}[{_txt(r.index)}] not covered by earlier writes"
    return True, ""


def _loop_depth(f: N.For, a: Access) -> int:
    """Path length at which loop `f` encloses access `a` (the step into f's body)."""
    for k, step in enumerate(a.path):
        if step[0] == id(f):
            return k
    return -1


def _precedes(wp: tuple, rp: tuple) -> int | None:
    """If the write's statement comes strictly before the read's in one statement list, the depth of that
    list in the paths; else None."""
    k = 0
    while k < len(wp) and k < len(rp) and wp[k] == rp[k]:
        k += 1
    if k == len(wp) or k == len(rp):
        return None  # same statement (or one inside the other)
    (wid, wf, wi), (rid, rf, ri) = wp[k], rp[k]
    if wid == rid and wf == rf and wi < ri:
        return k
    return None


def _unconditional(w: Access, split: int, reg: Region) -> bool:
    """The write runs whenever the statement that contains it at depth `split` runs: the path below goes only
    through counted loop bodies, and no jump sits in that statement or before the write in those loops."""
    for step in w.path[split + 1:]:
        if step[1] != "body" or not any(id(f) == step[0] for f in w.loops):
            return False
    below = w.path[:split + 1]
    for _, jp in reg.jumps:
        if jp[:split + 1] == below:
            return False
    return True


def scalars_free_of_loops(e: N.Expr, loops: tuple[N.For, ...]) -> bool:
    vs = {f.var for f in loops}
    return not any(isinstance(n, N.Var) and n.sym in vs for n in walk(e))


def expr_constant(e: N.Expr, defines: dict) -> int | None:
    """The integer value of `e` (macros expanded) or None."""
    try:
        v = z3.simplify(_as_int(to_z3(expand_macros(e, defines), None, defines)))
    except (Unsupported, ValueError, z3.Z3Exception):
        return None
    return v.as_long() if z3.is_int_value(v) else None


__all__ = [
    "Access",
    "FuncFacts",
    "Instance",
    "Region",
    "analyze",
    "band_conflicts",
    "check_sat",
    "contains",
    "covered_reads",
    "domain",
    "expr_constant",
    "map_exprs",
    "overlap",
]


# ----------------------------------------------------------------------------------------------------------
# loop sites (for the loop transformation passes) and their iteration-space obligations


def target_funcs(program) -> list[N.Func]:
    """The functions a loop pass works on: the program's kernels when it has some, else its entry."""
    funcs = [f for f in program.module.funcs() if not f.is_declaration]
    kernels = [f for f in funcs if f.kind is N.FuncKind.KERNEL]
    return kernels or [f for f in funcs if f.name == program.entry]


def loops_in(func: N.Func) -> list[N.For]:
    """Counted loops of `func` in source order (outermost first)."""
    return [n for n in walk(func) if isinstance(n, N.For)]


def nest_below(loop: N.For) -> list[N.For]:
    """`loop` and the loops perfectly nested under it (bodies of exactly one loop, comments aside)."""
    out = [loop]
    while True:
        body = [s for s in out[-1].body if not isinstance(s, N.Comment)]
        if len(body) == 1 and isinstance(body[0], N.For):
            out.append(body[0])
        else:
            return out


def replace_node(root: Any, old: Any, new: Any) -> Any:
    """`root` with the statement `old` (by identity) replaced by `new` (a statement or a tuple to splice)."""
    from xpiler.ir.visit import Rewriter

    class _R(Rewriter):
        def rewrite(self, node):
            if node is old:
                return new
            return super().rewrite(node)

    return _R().rewrite(root)


def replace_func(program, old: N.Func, new: N.Func):
    import dataclasses

    items = tuple(new if i is old else i for i in program.module.items)
    return program.replace(module=dataclasses.replace(program.module, items=items))


def same_iterations(old_loops: list[N.For], new_loops: list[N.For], guards: list[N.Expr], defs: dict,
                    defines: dict) -> tuple[bool | None, str]:
    """Z3: the new nest (with its guards and its definitions of the old loop variables) visits exactly the
    old nest's iteration space, each point once: in range, injective, onto."""
    new_vars = [f.var for f in new_loops]

    def inst(tag):
        env = {s: z3.Int(f"{s.name}!{s.id}@{tag}") for s in new_vars}
        dom = []
        for f in new_loops:
            v = env[f.var]
            lo, hi, st = (_as_int(to_z3(e, env, defines)) for e in (f.start, f.stop, f.step))
            dom += [lo <= v, v < hi, st > 0, (v - lo) % st == 0]
        dom += [_as_bool(to_z3(g, env, defines)) for g in guards]
        olds = []
        for f in old_loops:
            e = defs.get(f.var, N.Var(f.var))
            olds.append(_as_int(to_z3(_close(e, defs), env, defines)))
        return env, dom, olds

    def old_dom(vals):
        env = {f.var: v for f, v in zip(old_loops, vals)}
        out = []
        for f, v in zip(old_loops, vals):
            lo, hi, st = (_as_int(to_z3(e, env, defines)) for e in (f.start, f.stop, f.step))
            out += [lo <= v, v < hi, st > 0, (v - lo) % st == 0]
        return out

    try:
        env1, dom1, o1 = inst("1")
        r = check_sat(dom1 + [z3.Not(z3.And(*old_dom(o1)))])
        if r != z3.unsat:
            return (False if r == z3.sat else None), "a new iteration falls outside the old iteration space"
        env2, dom2, o2 = inst("2")
        r = check_sat(dom1 + dom2 + [a == b for a, b in zip(o1, o2)]
                      + [z3.Or(*[env1[s] != env2[s] for s in new_vars])])
        if r != z3.unsat:
            return (False if r == z3.sat else None), "two new iterations run the same old iteration"
        vals = [z3.Int(f"{f.var.name}!{f.var.id}@old") for f in old_loops]
        env3, dom3, o3 = inst("3")
        cover = z3.Exists([env3[s] for s in new_vars], z3.And(*dom3, *[a == b for a, b in zip(o3, vals)]))
        r = check_sat(old_dom(vals) + [z3.Not(cover)])
        if r != z3.unsat:
            return (False if r == z3.sat else None), "an old iteration is never run"
    except (Unsupported, z3.Z3Exception, ValueError) as e:
        return None, f"not modelled: {e}"
    return True, "the new nest runs every old iteration exactly once"


def _close(e: N.Expr, defs: dict, depth: int = 0) -> N.Expr:
    if depth > 8:
        return e
    syms = {n.sym for n in walk(e) if isinstance(n, N.Var)} & set(defs)
    return _close(substitute(e, {s: defs[s] for s in syms}), defs, depth + 1) if syms else e


def _as_bool(v: Any) -> Any:
    return v if z3.is_bool(v) else v != 0


def order_conflicts(accesses: list[Access], before: callable, facts: FuncFacts) -> list[str]:
    """Pairs of accesses (one a write) to one base for which two instances x, y exist with `before(x, y)`
    (x ran first originally and now runs after y) and the same element: a dependence the new order breaks.
    `before(i1, i2, a, b)` returns the Z3 condition for instances i1 of a and i2 of b."""
    out = []
    by_base: dict = {}
    for a in accesses:
        by_base.setdefault(a.base, []).append(a)
    for base, accs in by_base.items():
        if base is None:
            return ["an access whose memory object is unknown"]
        for a in accs:
            for b in accs:
                if not (a.write or b.write):
                    continue
                if a.index is None or b.index is None:
                    return [f"{base.name}: unknown element"]
                i1, i2 = Instance("1", facts), Instance("2", facts)
                cs = domain(i1, a.loops) + domain(i2, b.loops) + [before(i1, i2, a, b),
                                                                  overlap(i1.term(a.index), a.width,
                                                                          i2.term(b.index), b.width)]
                if check_sat(cs) != z3.unsat:
                    out.append(f"{base.name}: {_txt(a.index)} / {_txt(b.index)}")
                    return out
    return out


def lex_lt(xs: list, ys: list) -> Any:
    """Lexicographic x < y over Z3 terms."""
    if not xs:
        return z3.BoolVal(False)
    return z3.Or(xs[0] < ys[0], z3.And(xs[0] == ys[0], lex_lt(xs[1:], ys[1:])))
