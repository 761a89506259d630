"""cache for bang: stage contiguous GDRAM streams of innermost loops in NRAM, tile by tile.

A candidate is an innermost counted loop `for (v = lo; v < hi; ++v) body` of a kernel whose body is
straight-line code (declarations, assignments, stores, ifs; pure math calls). A GDRAM pointer `p` (a kernel
pointer parameter, or a local pointer derived from one by `q + offset`) is *staged* when every access of
its root buffer in the body is `p[v + c]` with `c` invariant in the loop (one index per base) and, when the
root is written in the body, all of its accesses go through that one base and index. The loop becomes

    for (v0 = lo; v0 < full; v0 += T) {                  // full tiles (full = lo + (hi - lo) / T * T)
      __memcpy(nram_p, p + (v0 + c), T * sizeof(E), GDRAM2NRAM);   // read (or partly written) roots
      for (v = 0; v < T; ++v) body[p[v + c] -> nram_p[v], v -> v0 + v]
      __memcpy(p + (v0 + c), nram_p, T * sizeof(E), NRAM2GDRAM);   // written roots
    }
    if (full < hi) { len = hi - full; the same tile with len elements }   // the tail

Bounds stay symbolic (the #define names survive); a constant trip count only guides the tile length.

Assumptions, stated: distinct kernel pointer parameters do not alias (the entry contract hands them
separate buffers); a loop's bounds are invariant in its body. Loops whose accesses cannot be classified are
left alone. Capacities and alignment come from `backends/bang/dialect.py` through the registry.
Obligations (Z3): each staged access reads the element the original did (index maps equal); the tiles
cover exactly `[lo, hi)` and fit their buffers.
"""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass, field

import z3

from xpiler import dtypes
from xpiler.ir import nodes as N
from xpiler.ir.types import INT32, Pointer, Scalar, Scope
from xpiler.ir.visit import Rewriter, children, free_syms, substitute
from xpiler.ir.visit import walk as _walk1
from xpiler.ir.z3expr import Unsupported, affine_form, prove, sym_var, to_z3
from xpiler.pipeline.passes import Obligation, PassContext, PassDeclined, PassResult
from xpiler.pipeline.program import Program

ONCHIP = (Scope.NRAM, Scope.WRAM, Scope.SRAM, Scope.LDRAM)


# ---------------------------------------------------------------------------------------------- shared helpers
def walk(node):
    """`visit.walk` that also takes a tuple of nodes (a statement list)."""
    if isinstance(node, tuple):
        for x in node:
            yield from walk(x)
        return
    yield from _walk1(node)

def bang_facts():
    """The bang dialect module (capacities, alignment), reached through the registry."""
    from xpiler.registry import get_backend

    return importlib.import_module(get_backend("bang").package + ".dialect")


def itemsize(t) -> int | None:
    if isinstance(t, Scalar) and t.dtype not in ("void", "bool"):
        try:
            return dtypes.itemsize(t.dtype)
        except (KeyError, ValueError):
            return None
    return None


def const_int(expr: N.Expr, defines: dict, env: dict | None = None) -> int | None:
    """The value of `expr` when it is a compile-time integer constant (macros expanded)."""
    try:
        v = z3.simplify(to_z3(expr, env, defines))
    except (Unsupported, ValueError, z3.Z3Exception):
        return None
    return v.as_long() if z3.is_int_value(v) else None


def onchip_bytes(module: N.Module, func: N.Func, defines: dict, scope: Scope = Scope.NRAM) -> int | None:
    """Bytes of `scope` buffers declared at module level or in `func` (None if a size is not constant)."""
    total = 0
    for a in list(module.items) + [n for n in walk(func.body) if isinstance(n, N.Alloc)]:
        if isinstance(a, N.Alloc) and a.scope is scope:
            size = alloc_bytes(a, defines)
            if size is None:
                return None
            total += size
    return total


def alloc_bytes(alloc: N.Alloc, defines: dict) -> int | None:
    """Bytes of a declared array (None when its element size or an extent is not a constant)."""
    n = itemsize(alloc.elem)
    for d in alloc.shape:
        v = const_int(d, defines)
        if n is None or v is None:
            return None
        n *= v
    return n


class Names:
    """Fresh, readable names that collide with nothing in the module."""

    def __init__(self, module: N.Module) -> None:
        self.used: set[str] = set()
        for n in walk(module):
            for attr in ("sym", "var"):
                s = getattr(n, attr, None)
                if isinstance(s, N.Sym):
                    self.used.add(s.name)
            if isinstance(n, N.Func):
                self.used.add(n.name)
                self.used.update(p.sym.name for p in n.params)

    def fresh(self, base: str) -> N.Sym:
        name, k = base, 1
        while name in self.used:
            name, k = f"{base}_{k}", k + 1
        self.used.add(name)
        return N.Sym(name)


def assigned_syms(node) -> set[N.Sym]:
    """Symbols declared or assigned under `node`."""
    out = set()
    for n in walk(node):
        if isinstance(n, (N.Assign, N.Decl, N.Alloc)):
            out.add(n.sym)
        elif isinstance(n, N.For):
            out.add(n.var)
        elif isinstance(n, N.Opaque):
            out.update(n.writes)
    return out


def swap_loops(body: tuple, replace: dict) -> tuple:
    """`body` with each For whose id is a key of `replace` spliced out for the statements it maps to."""

    class _Swap(Rewriter):
        def rewrite(self, node):
            if isinstance(node, N.For) and id(node) in replace:
                return tuple(replace[id(node)])
            return super().rewrite(node)

    return _Swap().rewrite(body)


def replace_func(module: N.Module, old: N.Func, new: N.Func) -> N.Module:
    return dataclasses.replace(module, items=tuple(new if it is old else it for it in module.items))


def memcpy(dst: N.Expr, src: N.Expr, count: N.Expr, elem, direction: str) -> N.Stmt:
    size = N.BinOp("*", count, N.SizeOf(elem))
    return N.Evaluate(N.Call("__memcpy", (dst, src, size, N.Var(N.Sym(direction))), N.CallKind.INTRINSIC))


def minus(a: N.Expr, b: N.Expr) -> N.Expr:
    return a if isinstance(b, N.Const) and b.value == 0 else N.BinOp("-", a, b)


def plus(a: N.Expr, b: N.Expr) -> N.Expr:
    if isinstance(b, N.Const) and b.value == 0:
        return a
    if isinstance(a, N.Const) and a.value == 0:
        return b
    return N.BinOp("+", a, b)


# ---------------------------------------------------------------------------------------------- analysis
_OK_STMTS = (N.Decl, N.Assign, N.Store, N.If, N.Block, N.Comment)


def _pure_body(body) -> bool:
    for n in walk(body):
        if isinstance(n, N.Stmt) and not isinstance(n, _OK_STMTS):
            return False
        if isinstance(n, (N.OpaqueExpr, N.Deref, N.AddrOf)):
            return False
        if isinstance(n, N.Call) and n.kind not in (N.CallKind.MATH, N.CallKind.MACRO):
            return False
    return True


def pointer_roots(func: N.Func, module: N.Module) -> dict[N.Sym, tuple]:
    """GDRAM pointers of a kernel: sym -> (element type, root sym). Roots are the pointer parameters; a local
    pointer `T *x = q + e` (never reassigned) has the root of `q`; other pointers map to root None."""
    out: dict[N.Sym, tuple] = {}
    for p in func.params:
        if isinstance(p.type, Pointer) and p.type.scope not in ONCHIP:
            out[p.sym] = (p.type.pointee, p.sym)
    reassigned = {n.sym for n in walk(func.body) if isinstance(n, N.Assign)}
    for n in walk(func.body):
        if isinstance(n, N.Decl) and isinstance(n.type, Pointer) and n.type.scope not in ONCHIP:
            root = None
            base = n.init
            while isinstance(base, N.BinOp) and base.op in ("+", "-"):
                base = base.a
            while isinstance(base, N.Cast):
                base = base.value
            if isinstance(base, N.Var) and base.sym in out and n.sym not in reassigned:
                root = out[base.sym][1]
            out[n.sym] = (n.type.pointee, root)
    return out


@dataclass
class Access:
    base: N.Sym
    index: N.Expr
    write: bool = False
    read: bool = False  # read before the iteration surely wrote it (needs the GDRAM data)
    expanded: N.Expr | None = None  # the index with the body's integer lets inlined
    sure: bool = False  # every iteration makes this access (not only under a condition)


def collect_accesses(body) -> list[tuple[N.Load, bool, bool, bool]] | None:
    """(load node, is a store target, needs the old value, conditional) for every Load in `body`, in
    execution order. An access needs the old value when it reads an element not yet surely written by this
    iteration, or writes it under a condition or with a compound operator. It is conditional when only some
    iterations make it: under an `if`, in a branch of `?:`, or right of `&&` / `||` (`i < n ? a[i] : 0`
    reads a[i] only where i < n; a tile copy of every iteration's element could read past the buffer)."""
    out = []
    written: list = []  # (base, index) surely stored so far in this iteration

    def expr(e, cond):
        if isinstance(e, N.Select):
            expr(e.cond, cond)
            expr(e.a, True)
            expr(e.b, True)
            return
        if isinstance(e, N.BinOp) and e.op in ("&&", "||"):
            expr(e.a, cond)
            expr(e.b, True)
            return
        if isinstance(e, N.Load):
            out.append((e, False, (e.base, e.indices) not in written, cond))
        for c in children(e):
            if isinstance(c, N.Expr):
                expr(c, cond)

    def stmts(ss, cond):
        for s in ss:
            if isinstance(s, N.Store):
                if not isinstance(s.target, N.Load):
                    return False
                for ix in s.target.indices:
                    expr(ix, cond)
                expr(s.target.base, cond)
                expr(s.value, cond)
                key = (s.target.base, s.target.indices)
                exposed = (cond or s.op is not None) and key not in written
                out.append((s.target, True, exposed, cond))
                if not cond and s.op is None:
                    written.append(key)
            elif isinstance(s, N.If):
                expr(s.cond, cond)
                if stmts(s.then, True) is False or stmts(s.orelse, True) is False:
                    return False
            elif isinstance(s, N.Block):
                if stmts(s.body, cond) is False:
                    return False
            elif isinstance(s, N.Decl):
                if s.init is not None:
                    expr(s.init, cond)
            elif isinstance(s, N.Assign):
                expr(s.value, cond)
        return True

    return out if stmts(body, False) is not False else None


@dataclass
class Plan:
    loop: N.For
    staged: dict  # base sym -> Access (staged pointers)
    elems: dict  # base sym -> element type
    trip: int | None
    buffers: dict = field(default_factory=dict)  # base sym -> NRAM buffer sym


def task_count(program: Program, func: N.Func) -> int | None:
    """The number of tasks `func` runs as: the launch of a kernel entry, else the constant dimension of the
    `<<<dim, ...>>>` launches of it in the module (None when unknown)."""
    import re

    if program.entry_is_kernel and program.entry == func.name and program.launch:
        m = re.search(r"tasks=(\d+)", program.launch)
        return int(m.group(1)) if m else None
    counts = set()
    for f in program.module.funcs():
        decls = {d.sym: d for d in walk(f.body) if isinstance(d, N.Decl)}
        for n in walk(f.body):
            if isinstance(n, N.Launch) and n.kernel == func.name and n.config:
                dim = n.config[0]
                if isinstance(dim, N.Var) and dim.sym in decls:
                    dim = decls[dim.sym].init
                if not isinstance(dim, N.InitList):
                    return None
                total = 1
                for x in dim.items:
                    v = const_int(x, program.module.defines())
                    if v is None:
                        return None
                    total *= v
                counts.add(total)
    return counts.pop() if len(counts) == 1 else None


def max_trip(loop: N.For, func: N.Func, defines: dict, tasks: int | None) -> int | None:
    """The largest trip count of `loop` over all tasks (integer lets of the kernel inlined), or None."""
    env: dict = {}
    rebound = {n.sym for n in walk(func.body) if isinstance(n, N.Assign)}
    for d in walk(func.body):
        if isinstance(d, N.Decl) and d.init is not None and d.sym not in rebound and isinstance(d.type, Scalar):
            try:
                env[d.sym] = to_z3(d.init, env, defines)
            except (Unsupported, z3.Z3Exception):
                pass
    try:
        trip = to_z3(N.BinOp("-", loop.stop, loop.start), env, defines)
    except (Unsupported, z3.Z3Exception):
        return None
    free = {str(x) for x in _z3_consts(trip)}
    if free - {"taskId", "taskDim"} or tasks is None and free:
        return None
    opt = z3.Optimize()
    opt.set("timeout", 2000)
    if tasks is not None:
        opt.add(z3.Int("taskDim") == tasks, z3.Int("taskId") >= 0, z3.Int("taskId") < tasks)
    h = opt.maximize(trip)
    if opt.check() != z3.sat:
        return None
    v = opt.upper(h)
    return v.as_long() if z3.is_int_value(v) else None


def _z3_consts(e) -> set:
    out, todo = set(), [e]
    while todo:
        x = todo.pop()
        if z3.is_const(x) and x.decl().kind() == z3.Z3_OP_UNINTERPRETED:
            out.add(x)
        todo.extend(x.children())
    return out


def plan_loop(loop: N.For, roots: dict, defines: dict) -> Plan | None:
    if loop.kind is N.LoopKind.BOUND or not _pure_body(loop.body):
        return None
    if const_int(loop.step, defines) != 1:
        return None
    changed = assigned_syms(loop.body)
    if loop.var in changed or (free_syms(loop.start) | free_syms(loop.stop)) & changed:
        return None
    got = collect_accesses(loop.body)
    if not got:
        return None
    # integer lets at the top of the body (`const int i = i_flat;`) are inlined into the indices
    lets: dict = {}
    rebound = {n.sym for n in walk(loop.body) if isinstance(n, N.Assign)}
    for st in loop.body:
        if (isinstance(st, N.Decl) and isinstance(st.type, Scalar) and st.type.dtype.startswith(("int", "uint"))
                and st.init is not None and st.sym not in rebound
                and not any(isinstance(n, (N.Load, N.Call)) for n in walk(st.init))):
            lets[st.sym] = substitute(st.init, lets)
    per_root: dict = {}
    bad_roots = set()
    for load, is_store, needs_old, conditional in got:
        if not isinstance(load.base, N.Var):
            if any(isinstance(x, N.Var) and x.sym in roots for x in walk(load.base)):
                return None  # pointer arithmetic in the base: cannot classify
            continue
        sym = load.base.sym
        if sym not in roots:
            continue  # an on-chip or local array
        _elem, root = roots[sym]
        if root is None:
            return None
        if len(load.indices) != 1 or sym in changed:
            bad_roots.add(root)
            continue
        per_root.setdefault(root, []).append((sym, load.indices[0], is_store, needs_old, conditional))
    staged: dict = {}
    elems: dict = {}
    for root, accs in per_root.items():
        if root in bad_roots:
            continue
        pairs = {}
        ok = True
        for sym, idx, is_store, needs_old, conditional in accs:
            key = None
            for (s2, i2) in pairs:
                if s2 is sym and i2 == idx:
                    key = (s2, i2)
            if key is None:
                key = (sym, idx)
                pairs[key] = Access(sym, idx)
            a = pairs[key]
            a.write |= is_store
            a.read |= needs_old
            a.sure |= not conditional
        written = any(a.write for a in pairs.values())
        if written and len(pairs) != 1:
            continue
        bases = {}
        for (sym, idx), a in pairs.items():
            a.expanded = substitute(idx, lets)
            form = affine_form(a.expanded, [loop.var], defines)
            if form is None or form.coeff(loop.var) != 1 or free_syms(a.expanded) & (changed - {loop.var}):
                ok = False
                break
            if sym in bases:  # one base read at two offsets: leave it in GDRAM
                ok = False
                break
            if not a.sure:  # a tile would copy elements that some iterations do not touch (maybe past the end)
                ok = False
                break
            bases[sym] = a
        if not ok:
            continue
        for sym, a in bases.items():
            staged[sym] = a
            elems[sym] = roots[sym][0]
    if not staged or any(itemsize(t) is None for t in elems.values()):
        return None
    trip = const_int(N.BinOp("-", loop.stop, loop.start), defines)
    if trip is not None and trip <= 0:
        return None
    return Plan(loop, staged, elems, trip)


# ---------------------------------------------------------------------------------------------- rewrite
class _Stage(Rewriter):
    def __init__(self, plan: Plan, e: N.Sym) -> None:
        self.plan, self.e = plan, e

    def rewrite_Load(self, node: N.Load):
        if isinstance(node.base, N.Var) and node.base.sym in self.plan.staged:
            a = self.plan.staged[node.base.sym]
            if len(node.indices) == 1 and node.indices[0] == a.index:
                return N.Load(N.Var(self.plan.buffers[node.base.sym]), (N.Var(self.e),))
        return None


def _drop_dead_lets(body: tuple) -> tuple:
    """Remove top-level scalar declarations nothing reads any more (the lets staging made unused)."""
    while True:
        keep = []
        for i, st in enumerate(body):
            if (isinstance(st, N.Decl) and isinstance(st.type, Scalar)
                    and not any(isinstance(n, N.Call) for n in walk(st.init))
                    and not any(st.sym in free_syms(x) for x in body[:i] + body[i + 1:])):
                continue
            keep.append(st)
        if len(keep) == len(body):
            return body
        body = tuple(keep)


def tile_stmts(plan: Plan, start: N.Expr, length: N.Expr, names: Names) -> list[N.Stmt]:
    """Copy-ins, the loop over one tile of `length` elements starting at iteration `start`, copy-outs."""
    loop = plan.loop
    e = N.Sym(loop.var.name)  # the original counter is gone: its name is free inside the tile
    body = _Stage(plan, e).rewrite(loop.body)
    body = _drop_dead_lets(substitute(body, {loop.var: plus(start, N.Var(e))}))
    out: list[N.Stmt] = []
    for sym, a in plan.staged.items():
        if a.read:
            off = substitute(a.expanded, {loop.var: start})
            out.append(memcpy(N.Var(plan.buffers[sym]), plus(N.Var(sym), off), length, plan.elems[sym], "GDRAM2NRAM"))
    out.append(N.For(e, N.Const(0), length, N.Const(1), body, kind=loop.kind if loop.kind is N.LoopKind.PARALLEL
                     else N.LoopKind.SERIAL, var_type=INT32))
    for sym, a in plan.staged.items():
        if a.write:
            off = substitute(a.expanded, {loop.var: start})
            out.append(memcpy(plus(N.Var(sym), off), N.Var(plan.buffers[sym]), length, plan.elems[sym], "NRAM2GDRAM"))
    return out


def tile_length(plan: Plan, cap: int, align: int) -> int:
    """Elements per tile: at most `cap`, a multiple of `align` when the trip count allows it."""
    t = max(align, cap // align * align) if cap >= align else cap
    if plan.trip is not None and plan.trip <= t:
        t = plan.trip // align * align if plan.trip >= align else plan.trip
    return max(1, t)


def rewrite_loop(plan: Plan, tile: int, names: Names) -> tuple[list[N.Stmt], dict]:
    """The statements replacing `plan.loop`, and facts for the obligations."""
    loop = plan.loop
    lo, hi = loop.start, loop.stop
    T = N.Const(tile)
    out: list[N.Stmt] = []
    v0 = names.fresh(loop.var.name + "_tile")
    fsym = names.fresh(loop.var.name + "_full")
    full_init = plus(lo, N.BinOp("*", N.BinOp("/", minus(hi, lo), T), T))
    out.append(N.Decl(fsym, INT32, full_init, const=True))
    out.append(N.For(v0, lo, N.Var(fsym), T, tuple(tile_stmts(plan, N.Var(v0), T, names)), kind=loop.kind,
                     var_type=INT32))
    lsym = names.fresh(loop.var.name + "_len")
    tail = [N.Decl(lsym, INT32, N.BinOp("-", hi, N.Var(fsym)), const=True)]
    tail += tile_stmts(plan, N.Var(fsym), N.Var(lsym), names)
    out.append(N.If(N.BinOp("<", N.Var(fsym), hi), tuple(tail)))
    return out, {"full": full_init, "v0": v0, "tile": tile}


# ---------------------------------------------------------------------------------------------- obligations
def _index_obligation(plan: Plan, defines: dict) -> Obligation:
    loop = plan.loop

    def check():
        try:
            v0, e = z3.Int("v0!tile"), z3.Int("e!tile")
            for sym, a in plan.staged.items():
                orig = to_z3(a.expanded, {loop.var: v0 + e}, defines)
                base = to_z3(a.expanded, {loop.var: v0}, defines)
                ok, model = prove(orig == base + e)
                if not ok:
                    return False, f"{sym.name}: staged element differs from the original ({model})"
            return True, f"{len(plan.staged)} staged access(es): NRAM lane e holds the element of iteration v0+e"
        except Unsupported as ex:
            return None, str(ex)

    return Obligation(f"cache: index maps of loop {loop.var.name}", check)


def _cover_obligation(plan: Plan, facts: dict, defines: dict) -> Obligation:
    loop = plan.loop

    def check():
        try:
            lo, hi = to_z3(loop.start, None, defines), to_z3(loop.stop, None, defines)
            full = to_z3(facts["full"], None, defines)
            T = facts["tile"]
            v0, e = z3.Int("v0!cov"), z3.Int("e!cov")
            claims = [
                # full tiles stay inside [lo, hi)
                z3.Implies(z3.And(lo <= v0, v0 < full, (v0 - lo) % T == 0, 0 <= e, e < T), z3.And(lo <= v0 + e,
                                                                                                v0 + e < hi)),
                # the tail covers the rest and fits a buffer of T elements
                z3.Implies(lo <= hi, z3.And(full <= hi, (full - lo) % T == 0, full >= lo, hi - full < T)),
            ]
            for c in claims:
                ok, model = prove(c)
                if not ok:
                    return False, f"tiling of {loop.var.name} does not cover [lo, hi) exactly ({model})"
            return True, f"tiles of {T} cover [lo, hi) of {loop.var.name} exactly"
        except Unsupported as ex:
            return None, str(ex)

    return Obligation(f"cache: iteration space of loop {loop.var.name}", check)


# ---------------------------------------------------------------------------------------------- driver
def _tighten(func: N.Func, defines: dict) -> tuple[N.Func, list[Obligation]]:
    """Innermost loops whose body is one bounds guard (`if (i < n)`, recovered SIMT threads of a block that
    n does not fill) visit only the iterations the guard admits, so their accesses happen on every
    iteration and can be staged. Each rewrite carries a Z3 proof that it runs the same iterations."""
    from ._simplify import guards_to_bounds

    repl, obs = {}, []
    for lp in _innermost(func.body):
        got = guards_to_bounds(lp)
        if got is not None:
            repl[id(lp)] = [got[0]]
            obs.append(_tighten_obligation(lp, *got, defines))
    if not repl:
        return func, []
    return dataclasses.replace(func, body=tuple(swap_loops(func.body, repl))), obs


def _tighten_obligation(old: N.For, new: N.For, residual: N.Expr | None, defines: dict) -> Obligation:
    def check():
        try:
            v = sym_var(old.var)
            lets = {}
            for st in old.body[:-1]:
                lets[st.sym] = substitute(st.init, lets)
            guard = to_z3(substitute(old.body[-1].cond, lets), None, defines)
            was = z3.And(to_z3(old.start, None, defines) <= v, v < to_z3(old.stop, None, defines), guard)
            now = z3.And(to_z3(new.start, None, defines) <= v, v < to_z3(new.stop, None, defines))
            if residual is not None:
                now = z3.And(now, to_z3(substitute(residual, lets), None, defines))
            ok, model = prove(was == now)
            return (True, "the guard's iterations are the new range") if ok else (False, f"differ at {model}")
        except Unsupported as ex:
            return None, str(ex)

    return Obligation(f"cache: guard of loop {old.var.name} as its bounds", check)


def _innermost(body) -> list[N.For]:
    return [n for n in walk(body) if isinstance(n, N.For) and not any(isinstance(m, (N.For, N.CFor, N.While,
                                                                                     N.DoWhile))
                                                                    for m in walk(n.body))]


def applies(program: Program, ctx: PassContext) -> bool:
    return program.dialect == "bang" and any(f.kind is N.FuncKind.KERNEL and not f.is_declaration
                                             for f in program.module.funcs())


def run(program: Program, ctx: PassContext) -> PassResult:
    if program.dialect != "bang":
        raise PassDeclined("cache (bang): the program is not bang")
    facts = bang_facts()
    gen = facts.generation()
    module = program.module
    defines = module.defines()
    names = Names(module)
    max_tile = int(ctx.knob("cache", "tile", 8192))
    share = float(ctx.knob("cache", "budget", 0.5))
    obligations, notes = [], []
    for func in [f for f in module.funcs() if f.kind is N.FuncKind.KERNEL and not f.is_declaration]:
        roots = pointer_roots(func, module)
        func0, (func, tightened) = func, _tighten(func, defines)
        obligations += tightened
        plans = [p for p in (plan_loop(lp, roots, defines) for lp in _innermost(func.body)) if p is not None]
        if not plans:
            continue
        tasks = task_count(program, func)
        for p in plans:
            if p.trip is None:  # size the tiles by the largest trip any task runs
                p.trip = max_trip(p.loop, func, defines, tasks)
        used = onchip_bytes(module, func, defines)
        if used is None:
            continue
        # loops run one after another and a tile's buffers are dead after its copy-out: the loops share
        # one pool of NRAM buffers per element type
        per_elem = max(sum(itemsize(t) for t in p.elems.values()) for p in plans)
        cap = min(max_tile, int((gen.nram - used) * share) // per_elem)
        widest = max(itemsize(t) for p in plans for t in p.elems.values())
        align = max(1, facts.NFU_ALIGN_SIZE // widest)
        if cap < 1:
            continue
        pool: dict[str, list] = {}  # element dtype -> [(buffer sym, element type)]
        sizes: dict[N.Sym, int] = {}
        replace: dict[int, list] = {}
        for p in plans:
            tile = tile_length(p, cap, align)
            taken: dict[str, int] = {}
            for sym in p.staged:
                dt = p.elems[sym].dtype
                k = taken.get(dt, 0)
                taken[dt] = k + 1
                bufs = pool.setdefault(dt, [])
                if k == len(bufs):
                    bufs.append((names.fresh("nram_" + sym.name), p.elems[sym]))
                p.buffers[sym] = bufs[k][0]
                sizes[bufs[k][0]] = max(sizes.get(bufs[k][0], 0), tile)
            stmts, info = rewrite_loop(p, tile, names)
            replace[id(p.loop)] = stmts
            obligations += [_index_obligation(p, defines), _cover_obligation(p, info, defines)]
            notes.append(f"cache: {func.name}: loop {p.loop.var.name} staged "
                         f"{', '.join(s.name for s in p.staged)} in NRAM tiles of {tile}")

        body = swap_loops(func.body, replace)
        allocs = tuple(N.Alloc(b, t, (N.Const(sizes[b]),), Scope.NRAM) for bufs in pool.values() for b, t in bufs)
        new = dataclasses.replace(func, body=allocs + tuple(body))
        module = replace_func(module, func0, new)
    if not notes:
        raise PassDeclined("cache (bang): no innermost loop streams GDRAM data contiguously")
    return PassResult(program.replace(module=module), obligations=obligations, notes=notes)
