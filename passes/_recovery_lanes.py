"""Loop recovery for a serial form lifted from SIMD code: lane loops back into plain scalar loops.

detensorize turns every AVX-512 intrinsic into a loop over the 16 lanes of "lane arrays", so a vectorized
loop `for (; i + 16 <= N; i += 16) store(Y + i, f(load(X + i)))` with its masked remainder becomes a strip
loop of several lane loops plus an `if (i < N)` copy whose lanes are masked by `(1 << (N - i)) - 1`. Such
code runs correctly but serially everywhere: loop_bind finds no loop over elements, and the cache and
tensorize passes of other targets see no element loop to stage or vectorize. This pass rebuilds the
element loop, in three steps on every statement list of every function:

1. broadcast: a lane array filled with one loop-invariant value (`one[l] = 1.0f`) and never written again
   is that value;
2. fuse: consecutive lane loops `for (l = 0; l < W; ++l)` become one when every lane array they use is
   indexed by the loop's own lane, memory they write is accessed only at lane l of one same address, and
   no scalar written by one is used by another; lane arrays used only there become scalars;
3. unstrip: a strip loop `for (; i + W <= E; i += W)` whose body is one lane loop that uses i and its lane
   l only as the sum i + l becomes `for (q = i0; q < i0 + (E - i0) / W * W; ++q)`; the `if (i < E)` tail
   right after it, masked by `(1 << (E - i)) - 1`, becomes `for (q = .; q < E; ++q)`; when both bodies
   agree they are one loop `for (q = i0; q < E; ++q)`.

Every rewrite is checked structurally by the conditions above; the pass manager's differential test
checks the result. Nothing matched: the pass reports the program unchanged.
"""

from __future__ import annotations

import dataclasses

from xpiler.ir import nodes as N
from xpiler.ir.equal import structural_eq
from xpiler.ir.lanes import lane_test, prefix_mask_count, strip_casts
from xpiler.ir.types import Pointer, Scalar
from xpiler.ir.visit import Rewriter, map_exprs, substitute, walk
from xpiler.pipeline.passes import PassContext, PassResult
from xpiler.pipeline.program import Program

from ._cache_bang import Names
from ._deps import expr_constant, pure

_INT = Scalar("int32", "int")


def applies(program: Program, ctx: PassContext) -> bool:
    return any(isinstance(n, N.CFor) for n in walk(program.module)) or \
        any(isinstance(n, N.For) and _lane_width(n) for n in walk(program.module))


def run(program: Program, ctx: PassContext) -> PassResult:
    module, inlined = _inline_helpers(program.module, program.entry)
    r = _Recover(module)
    r.log.extend(inlined)
    items = tuple(dataclasses.replace(i, body=r.func(i)) if isinstance(i, N.Func) and not i.is_declaration else i
                  for i in module.items)
    if not r.log:
        return PassResult(program, changed=False, notes=["loop_recovery(lanes): no lane loops to recover"])
    new = program.replace(module=dataclasses.replace(module, items=items))
    return PassResult(new, notes=["loop_recovery(lanes): " + "; ".join(r.log)])


# ------------------------------------------------------------------------------------------------ inlining
def _inline_helpers(module: N.Module, entry: str) -> tuple[N.Module, list[str]]:
    """Calls, as statements, of void helper functions (`sign16(v, r);` with lane arrays) are replaced by a
    block with a copy of the helper's body, every local under a fresh name; helpers no longer called are
    dropped. Template helpers, recursive ones, and ones with a `return` before their end stay calls."""
    from ._host_inline import _assigned, _inlinable

    funcs = {f.name: f for f in module.funcs() if not f.is_declaration}
    names = Names(module)
    done: list[str] = []

    class _Inline(Rewriter):
        def rewrite_Evaluate(self, st):
            call = st.value
            f = funcs.get(call.name) if isinstance(call, N.Call) and call.kind is not N.CallKind.MATH else None
            if f is None or f.name == entry or not _inlinable(f) or len(call.args) != len(f.params):
                return None
            mapping, prologue = {}, []
            for prm, a in zip(f.params, call.args):
                if _simple(a) and not _assigned(f.body, prm.sym):
                    mapping[prm.sym] = a
                else:
                    sym = names.fresh(prm.sym.name)
                    mapping[prm.sym] = N.Var(sym)
                    prologue.append(N.Decl(sym, prm.type, a))
            body = f.body[:-1] if f.body and isinstance(f.body[-1], N.Return) else f.body
            body = _fresh_copy(tuple(substitute(x, mapping) for x in body), names)
            done.append(f.name)
            return N.Block(tuple(prologue) + body)

    items = []
    for it in module.items:
        if isinstance(it, N.Func) and not it.is_declaration and not it.template_params:
            it = dataclasses.replace(it, body=_Inline().rewrite(it.body))
        items.append(it)
    if not done:
        return module, []
    called = {n.name for it in items if isinstance(it, N.Func) for n in walk(it) if isinstance(n, N.Call)}
    items = [it for it in items if not (isinstance(it, N.Func) and it.name in done and it.name not in called
                                        and it.name != entry)]
    return dataclasses.replace(module, items=tuple(items)), [f"inlined {', '.join(sorted(set(done)))}"]


def _simple(a) -> bool:
    """An argument that may stand for the parameter at every use: variables, constants, and address
    arithmetic of them (no loads, no calls: nothing the callee's writes could change)."""
    a = strip_casts(a)
    if isinstance(a, (N.Var, N.Const)):
        return True
    return isinstance(a, N.BinOp) and a.op in ("+", "-", "*") and _simple(a.a) and _simple(a.b)


def _fresh_copy(stmts: tuple, names: Names) -> tuple:
    """`stmts` with every symbol they declare replaced by a new one under a fresh name."""
    decl = {}
    for n in walk(stmts):
        if isinstance(n, (N.Decl, N.Alloc)) and n.sym not in decl:
            decl[n.sym] = names.fresh(n.sym.name)
        elif isinstance(n, N.For) and n.var not in decl:
            decl[n.var] = names.fresh(n.var.name)

    class _R(Rewriter):
        def rewrite_Var(self, v):
            return N.Var(decl[v.sym]) if v.sym in decl else None

        def rewrite_Decl(self, d):
            return dataclasses.replace(d, sym=decl[d.sym]) if d.sym in decl else None

        def rewrite_Alloc(self, d):
            return dataclasses.replace(d, sym=decl[d.sym]) if d.sym in decl else None

        def rewrite_For(self, f):
            return dataclasses.replace(f, var=decl[f.var]) if f.var in decl else None

        def rewrite_Assign(self, a):
            return dataclasses.replace(a, sym=decl[a.sym]) if a.sym in decl else None

    return _R().rewrite(stmts)


# ------------------------------------------------------------------------------------------------ helpers
def _lane_width(s) -> int | None:
    """W for a lane loop `for (int l = 0; l < W; ++l)` with a constant W."""
    if not isinstance(s, N.For) or s.kind is not N.LoopKind.SERIAL:
        return None
    if not (isinstance(s.start, N.Const) and s.start.value == 0 and isinstance(s.step, N.Const)
            and s.step.value == 1 and isinstance(s.stop, N.Const) and isinstance(s.stop.value, int)):
        return None
    return s.stop.value if s.stop.value > 1 else None


def _mentions(node, syms) -> bool:
    return any(isinstance(n, N.Var) and n.sym in syms for n in walk(node))


def _refs(node, sym) -> bool:
    return any((isinstance(n, N.Var) and n.sym is sym) or (isinstance(n, N.Assign) and n.sym is sym)
               for n in walk(node))


def _root(e):
    """The pointer variable an address expression is based on (`(Y + i)` -> Y), or None."""
    e = strip_casts(e)
    if isinstance(e, N.Var):
        return e.sym
    if isinstance(e, N.BinOp) and e.op in ("+", "-"):
        return _root(e.a)
    return None


def _terms(e, sign: int, out: list) -> None:
    if isinstance(e, N.BinOp) and e.op in ("+", "-"):
        _terms(e.a, sign, out)
        _terms(e.b, sign if e.op == "+" else -sign, out)
    elif isinstance(e, N.UnOp) and e.op == "-":
        _terms(e.a, -sign, out)
    else:
        out.append((sign, e))


def _cancel(e):
    """`a + (q - a)` -> `q`: drop pairs of equal terms of opposite sign from a sum (else `e` unchanged)."""
    terms: list = []
    _terms(e, 1, terms)
    changed = False
    i = 0
    while i < len(terms):
        j = next((j for j in range(i + 1, len(terms)) if terms[j][0] == -terms[i][0]
                  and terms[j][1] == terms[i][1]), None)
        if j is None:
            i += 1
            continue
        del terms[j], terms[i]
        changed = True
    if not changed:
        return e
    if not terms:
        return N.Const(0)
    terms.sort(key=lambda t: -t[0])  # a positive term first
    out = terms[0][1] if terms[0][0] > 0 else N.UnOp("-", terms[0][1])
    for sign, t in terms[1:]:
        out = N.BinOp("+" if sign > 0 else "-", out, t)
    return out


def _flatten_loads(node):
    """`(P + e)[k]` -> `P[e + k]` for a pointer variable P (one index)."""
    def fn(x):
        if isinstance(x, N.Load) and len(x.indices) == 1 and isinstance(x.base, N.BinOp) and x.base.op == "+" \
                and isinstance(x.base.a, N.Var):
            return N.Load(x.base.a, (N.BinOp("+", x.base.b, x.indices[0]),))
        return None

    return map_exprs(node, fn)


def _simplify_sums(node):
    def fn(x):
        if isinstance(x, N.BinOp) and x.op in ("+", "-"):
            y = _cancel(x)
            return None if y is x else y
        return None

    return map_exprs(node, fn)


# ------------------------------------------------------------------------------------------------ the pass
class _Recover:
    def __init__(self, module: N.Module) -> None:
        self.module = module
        self.defines = module.defines()
        self.names = Names(module)
        self.log: list[str] = []
        self.types: dict = {}

    def func(self, f: N.Func) -> tuple:
        self.types = {p.sym: p.type for p in f.params}
        self.types.update({n.sym: n.type for n in walk(f) if isinstance(n, N.Decl)})
        self.types.update({n.sym: Pointer(n.elem) for n in walk(f) if isinstance(n, N.Alloc)})
        self.types.update({i.sym: (i.type if isinstance(i, N.Decl) else Pointer(i.elem)) for i in self.module.items
                           if isinstance(i, (N.Decl, N.Alloc))})
        self.arrays = {n.sym: n for n in walk(f) if isinstance(n, N.Alloc) and len(n.shape) == 1
                       and isinstance(n.shape[0], N.Const)}
        self.stored = {}  # array -> number of stores anywhere in the function
        for n in walk(f):
            if isinstance(n, N.Store) and isinstance(n.target, N.Load) and isinstance(n.target.base, N.Var):
                self.stored[n.target.base.sym] = self.stored.get(n.target.base.sym, 0) + 1
        body = self.broadcasts(f.body, f)
        return self.block(body)

    # ---- 1. broadcast arrays
    def broadcasts(self, body: tuple, f: N.Func) -> tuple:
        subst: dict = {}
        dead: set = set()
        assigned = {n.sym for n in walk(f) if isinstance(n, N.Assign)}
        for n in walk(f):
            w = _lane_width(n)
            if w is None or len(n.body) != 1 or not isinstance(n.body[0], N.Store) or n.body[0].op is not None:
                continue
            st = n.body[0]
            t = st.target
            if not (isinstance(t, N.Load) and isinstance(t.base, N.Var) and t.base.sym in self.arrays
                    and len(t.indices) == 1 and isinstance(t.indices[0], N.Var) and t.indices[0].sym is n.var):
                continue
            a = t.base.sym
            if self.stored.get(a) != 1 or self.arrays[a].shape[0].value != w:
                continue
            v = st.value
            if not (isinstance(v, N.Const) or (isinstance(v, N.Var) and v.sym not in assigned
                                               and v.sym not in self.arrays)):
                continue
            subst[a], dead = v, dead | {id(n), id(self.arrays[a])}
        if not subst:
            return body
        # every use must be an element access `a[k]` (the one store is the broadcast loop's)
        uses = sum(1 for n in walk(body) if isinstance(n, N.Var) and n.sym in subst)
        loads = sum(1 for n in walk(body) if isinstance(n, N.Load) and isinstance(n.base, N.Var)
                    and n.base.sym in subst)
        if uses != loads:
            return body

        def fn(x):
            if isinstance(x, N.Load) and isinstance(x.base, N.Var) and x.base.sym in subst:
                return subst[x.base.sym]
            return None

        def drop(stmts):
            out = []
            for s in stmts:
                if id(s) in dead:
                    continue
                out.append(_map_lists(s, drop))
            return tuple(out)

        body = drop(body)
        body = tuple(map_exprs(s, fn) for s in body)
        self.log.append("broadcast lane arrays " + ", ".join(sorted(a.name for a in subst)) + " -> values")
        return body

    # ---- statement lists, innermost first
    def block(self, stmts: tuple) -> tuple:
        stmts = tuple(_map_lists(s, self.block) for s in stmts)
        stmts = self.fuse(stmts)
        return self.unstrip(stmts)

    # ---- 2. lane-loop fusion
    def fuse(self, stmts: tuple) -> tuple:
        out: list = []
        k = 0
        while k < len(stmts):
            w = _lane_width(stmts[k])
            if w is None and isinstance(stmts[k], N.Alloc) and stmts[k].sym in self.arrays:
                w = self.arrays[stmts[k].sym].shape[0].value
                if not any(_lane_width(x) == w for x in stmts[k + 1:k + 2]):
                    w = None
            if w is None:
                out.append(stmts[k])
                k += 1
                continue
            j = k
            run = []
            while j < len(stmts) and (_lane_width(stmts[j]) == w or self.is_lane_alloc(stmts[j], w)
                                      or isinstance(stmts[j], N.Comment)):
                run.append(stmts[j])
                j += 1
            loops = [s for s in run if isinstance(s, N.For)]
            while len(loops) >= 2 and not self.fusable(loops, w):
                run = run[:run.index(loops[-1])]  # shrink from the end
                loops = loops[:-1]
            if len(loops) < 2:
                out.append(stmts[k])
                k += 1
                continue
            out.extend(self.fused(run, loops, stmts[k + len(run):]))
            self.log.append(f"fused {len(loops)} lane loops")
            k += len(run)
        return tuple(out)

    def is_lane_alloc(self, s, w: int) -> bool:
        return isinstance(s, N.Alloc) and s.sym in self.arrays and s.shape[0].value == w and s.init is None

    def fusable(self, loops: list, w: int) -> bool:
        lane_arrays = {a for a, al in self.arrays.items() if al.shape[0].value == w}
        written_scalars = []
        addr: dict = {}  # root of memory written in the run -> the address expression (lane var replaced)
        common = N.Sym("lane")
        bodies = [substitute(f.body, {f.var: N.Var(common)}) for f in loops]
        for body in bodies:
            declared = {n.sym for n in walk(body) if isinstance(n, (N.Decl, N.Alloc))} | \
                       {n.var for n in walk(body) if isinstance(n, N.For)}
            for n in walk(body):
                if isinstance(n, N.Call) and n.kind not in (N.CallKind.MATH,):
                    return False
                if isinstance(n, (N.Break, N.Continue, N.Return, N.Opaque, N.AddrOf, N.Deref)):
                    return False
            written_scalars.append({n.sym for n in walk(body) if isinstance(n, N.Assign)} - declared)
            # lane arrays: only element `lane`
            loads = [n for n in walk(body) if isinstance(n, N.Load)]
            n_uses = sum(1 for n in walk(body) if isinstance(n, N.Var) and n.sym in lane_arrays)
            lane_loads = [x for x in loads if isinstance(x.base, N.Var) and x.base.sym in lane_arrays]
            if n_uses != len(lane_loads):
                return False
            if any(not (len(x.indices) == 1 and isinstance(x.indices[0], N.Var) and x.indices[0].sym is common)
                   for x in lane_loads):
                return False
            for n in walk(body):
                if isinstance(n, N.Store) and isinstance(n.target, N.Load):
                    t = n.target
                    if isinstance(t.base, N.Var) and t.base.sym in lane_arrays:
                        continue
                    r = _root(t.base)
                    if r is None or not (len(t.indices) == 1 and isinstance(t.indices[0], N.Var)
                                         and t.indices[0].sym is common):
                        return False
                    if r in addr and addr[r] != t.base:
                        return False
                    addr[r] = t.base
                elif isinstance(n, N.Store):
                    return False
        for k, ws in enumerate(written_scalars):
            for j, body in enumerate(bodies):
                if j != k and _mentions(body, ws):
                    return False
        # memory written in the run: every access to it in the run is lane `lane` of the same address
        for body in bodies:
            for n in walk(body):
                if isinstance(n, N.Load) and not (isinstance(n.base, N.Var) and n.base.sym in lane_arrays):
                    r = _root(n.base)
                    if r is None and any(True for _ in addr):
                        return False
                    if r in addr and not (n.base == addr[r] and len(n.indices) == 1
                                          and isinstance(n.indices[0], N.Var) and n.indices[0].sym is common):
                        return False
        return True

    def fused(self, run: list, loops: list, rest: tuple) -> list:
        lane = loops[0].var
        body: list = []
        for f in loops:
            body.extend(substitute(f.body, {f.var: N.Var(lane)}))
        allocs = [s for s in run if isinstance(s, N.Alloc)]
        comments = [s for s in run if isinstance(s, N.Comment)]
        keep = []
        for a in allocs:
            scal = None if _refs(rest, a.sym) else self.scalarize(tuple(body), a, lane)
            if scal is None:
                keep.append(a)
            else:
                body = list(scal)
        loop = dataclasses.replace(loops[0], body=_forward(tuple(body), self.types))
        return comments + keep + [loop]

    def scalarize(self, body: tuple, a: N.Alloc, lane: N.Sym) -> tuple | None:
        """The fused body with lane array `a` (element `lane` only) as a scalar: its first use must be an
        unconditional top-level store."""
        first = None
        for k, s in enumerate(body):
            if _refs(s, a.sym):
                first = k
                break
        if first is None:
            return body
        s0 = body[first]
        if not (isinstance(s0, N.Store) and s0.op is None and isinstance(s0.target, N.Load)
                and isinstance(s0.target.base, N.Var) and s0.target.base.sym is a.sym
                and not _refs(s0.value, a.sym)):
            return None
        v = N.Sym(a.sym.name)
        self.types[v] = a.elem

        def fn(x):
            if isinstance(x, N.Load) and isinstance(x.base, N.Var) and x.base.sym is a.sym:
                return N.Var(v)
            return None

        def stmt(s):
            if isinstance(s, N.Store) and isinstance(s.target, N.Load) and isinstance(s.target.base, N.Var) \
                    and s.target.base.sym is a.sym:
                return N.Assign(v, map_exprs(s.value, fn), s.op)
            return _map_lists(map_exprs_shallow(s, fn), lambda xs: tuple(stmt(x) for x in xs))

        rest = tuple(stmt(s) for s in body[first + 1:])
        head = tuple(body[:first])
        return head + (N.Decl(v, a.elem, map_exprs(s0.value, fn)),) + rest

    # ---- 3. strip loops and their tails
    def unstrip(self, stmts: tuple) -> tuple:
        stmts = list(stmts)
        k = 0
        while k < len(stmts):
            got = self.strip_loop(stmts, k)
            if got is None:
                k += 1
                continue
            new, used = got
            stmts[k:k + used] = new
            k += len(new)
        return tuple(self.drop_dead_counters(tuple(stmts)))

    def strip_loop(self, stmts: list, k: int):
        s = stmts[k]
        if not isinstance(s, N.CFor) or s.init or s.cond is None or len(s.update) != 1:
            return None
        up = s.update[0]
        if not (isinstance(up, N.Assign) and up.op == "+" and isinstance(up.value, N.Const)):
            return None
        i, w = up.sym, up.value.value
        c = s.cond
        if not (isinstance(c, N.BinOp) and c.op == "<=" and isinstance(c.a, N.BinOp) and c.a.op == "+"
                and isinstance(c.a.a, N.Var) and c.a.a.sym is i and isinstance(c.a.b, N.Const)
                and c.a.b.value == w):
            return None
        end = c.b
        if _refs(end, i):
            return None
        body = [x for x in s.body if not isinstance(x, N.Comment)]
        if len(body) != 1 or _lane_width(body[0]) != w or \
                any(isinstance(n, N.Assign) and n.sym is i for n in walk(body[0])):
            return None
        lane = body[0]
        # the loop's bound: i0 + (E - i0) / W * W, and i's value after it
        start = self.start_value(stmts, k, i)
        e0 = expr_constant(end, self.defines)
        known = start is not None and e0 is not None and e0 >= start
        # the element loop may reuse i's name only when its bounds do not read i (a constant start: the
        # loop runs from it whatever the run-time end, `int i = 0; for (; i + 16 <= N; i += 16)`)
        q = N.Sym(i.name) if start is not None else self.names.fresh(i.name)
        main = self.rebase(lane.body, i, lane.var, q)
        if main is None:
            return None
        if known:
            hi = _times(_div(end, w), w) if start == 0 else \
                N.BinOp("+", N.Const(start), _times(_div(_minus(end, N.Const(start)), w), w))
        else:
            base = N.Var(i) if start is None else N.Const(start)
            span = _minus(end, base)
            hi = N.BinOp("+", base, N.Select(N.BinOp(">=", span, N.Const(0)), _times(_div(span, w), w),
                                             N.Const(0)))
        lo = N.Var(i) if start is None else N.Const(start)
        used = 1
        out: list = []
        tail = self.tail(stmts, k + 1, i, w, end)
        if tail is not None:
            tq, tbody, at = tail
            if structural_eq(substitute(tbody, {tq: N.Var(q)}), main):
                out.extend(x for x in stmts[k + 1:at] if isinstance(x, N.Comment))
                out.append(N.For(q, lo, end, N.Const(1), main, var_type=_INT))
                self.log.append(f"strip loop over {i.name} and its tail -> one loop")
                after = hi
                used = at - k + 1
        if used == 1:
            if isinstance(lo, N.Var):
                hi_sym = self.names.fresh(i.name + "_end")
                out.append(N.Decl(hi_sym, _INT, hi, const=True))
                hi = N.Var(hi_sym)
            out.append(N.For(q, lo, hi, N.Const(1), main, var_type=_INT))
            self.log.append(f"strip loop over {i.name} -> element loop")
            after = hi
        out.append(N.Assign(i, after))  # i's value after the strip loop (dropped when dead)
        return out, used

    def start_value(self, stmts: list, k: int, i: N.Sym) -> int | None:
        """The constant i holds when statement k starts: the nearest earlier statement that mentions i must
        be `int i = c` or `i = c`."""
        for s in reversed(stmts[:k]):
            if not _refs(s, i) and not (isinstance(s, N.Decl) and s.sym is i):
                continue
            v = s.init if isinstance(s, N.Decl) and s.sym is i else \
                s.value if isinstance(s, N.Assign) and s.sym is i and s.op is None else None
            return None if v is None else expr_constant(v, self.defines)
        return None

    def rebase(self, body: tuple, i: N.Sym, lane: N.Sym, q: N.Sym, masks: tuple = ()):
        """The lane loop's body over the element index q = i + lane, or None when i or the lane remain."""
        b = substitute(body, {lane: N.BinOp("-", N.Var(q), N.Var(i))})
        b = _flatten_loads(b)
        b = _simplify_sums(b)
        if masks:
            b = _drop_masks(b, masks, q, i)
        if b is None or _refs(b, i) or any(_refs(b, m) for m in masks):
            return None
        return b

    def tail(self, stmts: list, k: int, i: N.Sym, w: int, end):
        """(q, body) of the remainder `if (i < E) { mask m = (1 << (E - i)) - 1; lane loop }` at k."""
        while k < len(stmts) and isinstance(stmts[k], N.Comment):
            k += 1
        if k >= len(stmts):
            return None
        s = stmts[k]
        if not (isinstance(s, N.If) and not s.orelse and isinstance(s.cond, N.BinOp) and s.cond.op == "<"
                and isinstance(s.cond.a, N.Var) and s.cond.a.sym is i and s.cond.b == end):
            return None
        masks = []
        lane = None
        for x in s.then:
            if isinstance(x, N.Comment):
                continue
            if isinstance(x, N.Decl) and x.init is not None and lane is None:
                n = prefix_mask_count(x.init)
                if n is None or strip_casts(n) != N.BinOp("-", end, N.Var(i)):
                    return None
                masks.append(x.sym)
            elif _lane_width(x) == w and lane is None:
                lane = x
            else:
                return None
        if lane is None or any(isinstance(n, N.Assign) and n.sym is i for n in walk(lane)):
            return None
        q = N.Sym(i.name)
        b = self.rebase(lane.body, i, lane.var, q, tuple(masks))
        if b is None:
            return None
        return q, b, k

    def drop_dead_counters(self, stmts: tuple) -> list:
        """Remove `i = v` that nothing reads before i is overwritten (or the list ends, for an i declared
        here), and declarations of counters nothing uses any more."""
        out = list(stmts)
        declared_here = {s.sym for s in out if isinstance(s, N.Decl)}
        k = len(out) - 1
        while k >= 0:
            s = out[k]
            if isinstance(s, N.Assign) and s.op is None and not _refs(s.value, s.sym):
                nxt = next((x for x in out[k + 1:] if _refs(x, s.sym)), None)
                if (nxt is None and s.sym in declared_here) or (
                        isinstance(nxt, N.Assign) and nxt.sym is s.sym and nxt.op is None
                        and not _refs(nxt.value, s.sym)):
                    del out[k]
            k -= 1
        for k in range(len(out) - 1, -1, -1):
            s = out[k]
            if isinstance(s, N.Decl) and isinstance(s.type, Scalar) and (s.init is None or
                                                                       isinstance(s.init, N.Const)):
                others = out[:k] + out[k + 1:]
                if not any(_refs(x, s.sym) for x in others):
                    del out[k]
                elif all(isinstance(x, N.Assign) and x.sym is s.sym and isinstance(x.value, N.Const)
                         for x in others if _refs(x, s.sym)):
                    out = [x for x in out if not (x is s or (isinstance(x, N.Assign) and x.sym is s.sym))]
        return out


def _forward(body: tuple, types: dict) -> tuple:
    """Substitute each temporary `T v = e;` used once, by a later statement of the same list with only
    declarations in between, into that use (`v0 = A[i]; v1 = B[i]; C[i] = v0 + v1` -> `C[i] = A[i] + B[i]`).
    Nothing between them writes memory or a scalar, and `e` has no side effects, so its value is the same
    there; the use is not inside a nested loop, so `e` is still evaluated once."""
    out = list(body)
    changed = True
    while changed:
        changed = False
        for k in range(len(out) - 1, -1, -1):
            d = out[k]
            if not (isinstance(d, N.Decl) and d.init is not None and not d.static and pure(d.init)
                    and isinstance(d.type, Scalar)):
                continue
            uses = [j for j in range(k + 1, len(out)) if _refs(out[j], d.sym)]
            if len(uses) != 1:
                continue
            j = uses[0]
            if any(not isinstance(x, (N.Decl, N.Comment))
                   or (isinstance(x, N.Decl) and x.init is not None and not pure(x.init))
                   for x in out[k + 1:j]):
                continue
            tgt = out[j]
            if sum(1 for n in walk(tgt) if isinstance(n, N.Var) and n.sym is d.sym) != 1 or \
                    isinstance(tgt, (N.For, N.CFor, N.While, N.DoWhile)) or \
                    any(isinstance(n, (N.For, N.CFor, N.While, N.DoWhile)) for n in walk(tgt)) or \
                    (isinstance(tgt, N.Assign) and tgt.sym is d.sym):
                continue
            keep = isinstance(d.type, Scalar) and d.type.dtype == "float32" and _float_expr(d.init, types)
            val = d.init if keep else N.Cast(d.type, d.init)
            out[j] = substitute(tgt, {d.sym: val})
            del out[k]
            changed = True
            break
    return tuple(out)


def _float_expr(e, types: dict) -> bool:
    """Is `e` certainly a float32 value (so `float v = e` converts nothing)?"""
    if isinstance(e, N.Cast):
        return isinstance(e.type, Scalar) and e.type.dtype == "float32"
    if isinstance(e, N.Const):
        return e.dtype == "float32"
    if isinstance(e, N.Var):
        t = types.get(e.sym)
        return isinstance(t, Scalar) and t.dtype == "float32"
    if isinstance(e, N.Load) and _root(e.base) is not None:
        t = types.get(_root(e.base))
        t = t.pointee if isinstance(t, Pointer) else t
        return isinstance(t, Scalar) and t.dtype == "float32"
    if isinstance(e, N.BinOp) and e.op in ("+", "-", "*", "/"):
        return (_float_expr(e.a, types) and _float_or_int(e.b, types)) or \
            (_float_expr(e.b, types) and _float_or_int(e.a, types))
    if isinstance(e, N.UnOp) and e.op == "-":
        return _float_expr(e.a, types)
    if isinstance(e, N.Select):
        return (_float_expr(e.a, types) and _float_or_int(e.b, types)) or \
            (_float_expr(e.b, types) and _float_or_int(e.a, types))
    if isinstance(e, N.Call) and e.kind is N.CallKind.MATH:
        return e.name in ("expf", "logf", "sqrtf", "tanhf", "fabsf", "fmaxf", "fminf", "fmaf", "sinf", "cosf",
                          "erff", "powf", "rsqrtf", "exp2f", "log2f", "floorf", "ceilf")
    return False


def _float_or_int(e, types: dict) -> bool:
    """float32, or an integer of at most 16 bits or an int constant (exact in float32 arithmetic)."""
    if _float_expr(e, types):
        return True
    return isinstance(e, N.Const) and isinstance(e.value, int) and abs(e.value) < 2 ** 24


def _drop_masks(b, masks: tuple, q: N.Sym, i: N.Sym):
    """Inside the tail loop over q in [i, E) every lane test `(m >> (q - i)) & 1` of a tail mask of E - i
    lanes holds: replace it by 1 and fold the selects and ifs it guarded."""
    def is_test(x):
        t = lane_test(x)
        if t is None or not (isinstance(t[0], N.Var) and t[0].sym in masks):
            return False
        k = t[1]
        return isinstance(k, N.BinOp) and k.op == "-" and isinstance(k.a, N.Var) and k.a.sym is q \
            and isinstance(k.b, N.Var) and k.b.sym is i

    def fn(x):  # bottom-up: a test becomes 1 before the select that it guards is visited
        if is_test(x):
            return N.Const(1)
        if isinstance(x, N.Select) and isinstance(x.cond, N.Const) and x.cond.value == 1:
            return x.a
        return None

    b = map_exprs(b, fn)

    def stmts(xs):
        out = []
        for s in xs:
            if isinstance(s, N.If) and isinstance(s.cond, N.Const) and s.cond.value == 1 and not s.orelse:
                out.extend(stmts(s.then))
            else:
                out.append(_map_lists(s, stmts))
        return tuple(out)

    return stmts(b)


def _minus(a, b):
    return a if isinstance(b, N.Const) and b.value == 0 else N.BinOp("-", a, b)


def _div(a, w: int):
    return N.BinOp("/", a, N.Const(w))


def _times(a, w: int):
    return N.BinOp("*", a, N.Const(w))


def _map_lists(s, fn):
    """`s` with `fn` applied to each of its nested statement lists."""
    if isinstance(s, (N.For, N.Block, N.While, N.DoWhile)):
        return dataclasses.replace(s, body=fn(s.body))
    if isinstance(s, N.CFor):
        return dataclasses.replace(s, body=fn(s.body))
    if isinstance(s, N.If):
        return dataclasses.replace(s, then=fn(s.then), orelse=fn(s.orelse))
    if isinstance(s, N.Switch):
        return dataclasses.replace(s, cases=tuple(dataclasses.replace(c, body=fn(c.body)) for c in s.cases))
    return s


def map_exprs_shallow(s, fn):
    """`s` with `fn` applied to its own expressions (not to those of nested statement lists)."""
    if isinstance(s, (N.For, N.CFor, N.Block, N.While, N.DoWhile, N.If, N.Switch)):
        fields = {}
        for f in dataclasses.fields(s):
            v = getattr(s, f.name)
            if isinstance(v, N.Expr):
                fields[f.name] = map_exprs(v, fn)
        return dataclasses.replace(s, **fields)
    return map_exprs(s, fn)
