"""Drop guards that always hold: an `if (c) S` inside counted loops whose condition Z3 proves true over the
loops' ranges (seeing through scalar locals computed once) becomes `S`. Recovered SIMT kernels carry the
source's bounds guards (`if (i < N)` with i = block * 256 + thread over an exact grid); without them the loop
nest is a plain loop that binding, staging and tensorizing can use. A guard is kept whenever the proof does
not go through (non-affine, unknown values, timeout)."""

from __future__ import annotations

import dataclasses

import z3

from xpiler.ir import nodes as N
from xpiler.ir.visit import walk
from xpiler.ir.z3expr import Unsupported, prove, sym_var, to_z3

from ._host_domain import inline, single_defs


def _range(f: N.For, defs: dict, defines: dict) -> list:
    v = sym_var(f.var)
    try:
        lo = to_z3(inline(f.start, defs), defines=defines)
        hi = to_z3(inline(f.stop, defs), defines=defines)
        step = z3.simplify(to_z3(inline(f.step, defs), defines=defines))
    except (Unsupported, ValueError, z3.Z3Exception, TypeError):
        return []
    parts = [lo <= v, v < hi]
    if not (z3.is_int_value(step) and step.as_long() == 1):
        parts += [step > 0, (v - lo) % step == 0]
    return parts


def _holds(cond: N.Expr, facts: list, defs: dict, defines: dict) -> bool:
    try:
        c = to_z3(inline(cond, defs), defines=defines)
        if not z3.is_bool(c):
            return False
        ok, _ = prove(c, facts, timeout_ms=500)
        return ok
    except (Unsupported, ValueError, z3.Z3Exception, TypeError, AttributeError):
        return False


def drop_true_guards(module: N.Module) -> tuple[N.Module, int]:
    defines = module.defines()
    dropped = 0

    def stmts(body: tuple, facts: list, defs: dict) -> tuple:
        nonlocal dropped
        out = []
        for s in body:
            if isinstance(s, N.If) and not s.orelse and facts and _holds(s.cond, facts, defs, defines):
                dropped += 1
                out.extend(stmts(s.then, facts, defs))
                continue
            out.append(stmt(s, facts, defs))
        return tuple(out)

    def stmt(s, facts, defs):
        if isinstance(s, N.For):
            return dataclasses.replace(s, body=stmts(s.body, facts + _range(s, defs, defines), defs))
        if isinstance(s, N.If):
            return dataclasses.replace(s, then=stmts(s.then, facts, defs), orelse=stmts(s.orelse, facts, defs))
        if isinstance(s, N.Block):
            return dataclasses.replace(s, body=stmts(s.body, facts, defs))
        if isinstance(s, (N.CFor, N.While, N.DoWhile)):
            return dataclasses.replace(s, body=stmts(s.body, [], defs))
        return s

    items = []
    for it in module.items:
        if isinstance(it, N.Func) and not it.is_declaration:
            it = dataclasses.replace(it, body=stmts(it.body, [], single_defs(it)))
        items.append(it)
    return dataclasses.replace(module, items=tuple(items)), dropped


# ----------------------------------------------------------------------------------------------------------
# guarded grids


def _is_const(e: N.Expr, v: int | None = None) -> bool:
    return isinstance(e, N.Const) and isinstance(e.value, int) and not isinstance(e.value, bool) and \
        (v is None or e.value == v)


def _counted(f) -> bool:
    return isinstance(f, N.For) and _is_const(f.start, 0) and _is_const(f.step, 1)


def _guard_split(cond: N.Expr, flat_poly, pvars: set) -> tuple[N.Expr | None, N.Expr | None]:
    """(R, rest) when `cond` is `flat < R` (or `R > flat`, possibly one conjunct of an `&&` chain, `rest`
    the other conjuncts) with R free of the loop counters `pvars`."""
    from xpiler.analysis.symbolic import normalize

    from xpiler.analysis.bounds import comparison

    parts: list = []

    def conj(c):
        c = comparison(c)
        if isinstance(c, N.BinOp) and c.op == "&&":
            conj(c.a)
            conj(c.b)
        else:
            parts.append(c)

    conj(cond)
    for k, g in enumerate(parts):
        if not (isinstance(g, N.BinOp) and g.op in ("<", ">")):
            continue
        lhs, rhs = (g.a, g.b) if g.op == "<" else (g.b, g.a)
        if normalize(lhs) == flat_poly and not ({n.sym for n in walk(rhs) if isinstance(n, N.Var)} & pvars):
            rest = parts[:k] + parts[k + 1:]
            out = None
            for r in rest:
                out = r if out is None else N.BinOp("&&", out, r)
            return rhs, out
    return None, None


def _contract(outer: N.For, defs: dict, defines: dict, assigned: set) -> N.For | None:
    """`for b < G: for t < B: [decls]; if (b * B + t < R) S` -> `for i < R: [decls]; S` (b, t read through
    i / B and i % B, or as i where the flat index was named) when Z3 proves G * B >= R for R >= 1: the
    guarded pairs are exactly 0 <= i < R, in the same order."""
    from xpiler.analysis.symbolic import normalize
    from xpiler.ir.visit import free_syms, substitute

    if not (_counted(outer) and len(outer.body) == 1 and _counted(outer.body[0])):
        return None
    inner = outer.body[0]
    if not _is_const(inner.stop) or inner.stop.value < 1:
        return None
    B = inner.stop.value
    b, t = outer.var, inner.var
    flat = normalize(N.BinOp("+", N.BinOp("*", N.Var(b), N.Const(B)), N.Var(t)))
    body = inner.body
    if not body or not isinstance(body[-1], N.If) or body[-1].orelse:
        return None
    pre, guard = body[:-1], body[-1]
    if not all(isinstance(s, N.Decl) and s.init is not None and s.sym not in assigned for s in pre):
        return None
    local = {s.sym: s.init for s in pre}
    cond = inline(guard.cond, local)
    R, rest = _guard_split(cond, flat, {b, t})
    if R is None or (free_syms(R) & (assigned | set(local))):
        return None
    try:
        g = to_z3(inline(outer.stop, defs), defines=defines)
        r = to_z3(inline(R, defs), defines=defines)
        params = [to_z3(N.Var(s)) >= 0 for s in free_syms(R) | free_syms(outer.stop)]
        ok, _ = prove(g * B >= r, [r >= 1] + params, timeout_ms=1000)
    except (Unsupported, ValueError, z3.Z3Exception, TypeError):
        return None
    if not ok:
        return None
    i = N.Sym(next((s.sym.name for s in pre if normalize(s.init) == flat), f"{b.name}_{t.name}"))
    named = {s.sym for s in pre if normalize(s.init) == flat}
    keep = tuple(s for s in pre if s.sym not in named)
    mapping = {s: N.Var(i) for s in named}
    mapping[b] = N.BinOp("/", N.Var(i), N.Const(B))
    mapping[t] = N.BinOp("%", N.Var(i), N.Const(B))
    then = tuple(guard.then) if rest is None else (N.If(rest, tuple(guard.then)),)
    new_body = tuple(substitute(s, mapping) for s in keep + then)
    kind = outer.kind if outer.kind == inner.kind else N.LoopKind.SERIAL
    return N.For(i, N.Const(0), R, N.Const(1), new_body, kind=kind, var_type=inner.var_type or outer.var_type,
                 loc=outer.loc)


def contract_guarded_grids(module: N.Module) -> tuple[N.Module, int]:
    """Contract every guarded block x thread nest of the serial form into one loop over the guarded range
    (the shape recovered SIMT kernels take: `if (blockIdx.x * 256 + threadIdx.x < n)`)."""
    defines = module.defines()
    done = 0

    def stmts(body: tuple, defs: dict, assigned: set) -> tuple:
        nonlocal done
        out = []
        for s in body:
            if isinstance(s, N.For):
                c = _contract(s, defs, defines, assigned)
                if c is not None:
                    done += 1
                    s = c
                s = dataclasses.replace(s, body=stmts(s.body, defs, assigned))
            elif isinstance(s, N.If):
                s = dataclasses.replace(s, then=stmts(s.then, defs, assigned), orelse=stmts(s.orelse, defs, assigned))
            elif isinstance(s, (N.Block, N.CFor, N.While, N.DoWhile)):
                s = dataclasses.replace(s, body=stmts(s.body, defs, assigned))
            out.append(s)
        return tuple(out)

    items = []
    for it in module.items:
        if isinstance(it, N.Func) and not it.is_declaration:
            assigned = {n.sym for n in walk(it) if isinstance(n, N.Assign)}
            assigned |= {n.a.sym for n in walk(it) if isinstance(n, N.UnOp) and isinstance(n.a, N.Var)
                         and n.op in ("++", "--", "p++", "p--", "++p", "--p")}
            it = dataclasses.replace(it, body=stmts(it.body, single_defs(it), assigned))
        items.append(it)
    return dataclasses.replace(module, items=tuple(items)), done


# ----------------------------------------------------------------------------------------------------------
# guards as loop bounds

def _bound_of(cond: N.Expr, var: N.Sym, lets: dict) -> tuple[str, N.Expr] | None:
    """("stop", X) for a condition that holds exactly when var < X, ("start", X) for var >= X; X free of
    var. The condition compares an expression of slope 1 in var (after inlining `lets`) with one free of it."""
    from xpiler.analysis.symbolic import normalize
    from xpiler.ir.visit import free_syms, substitute

    if not (isinstance(cond, N.BinOp) and cond.op in ("<", "<=", ">", ">=")):
        return None
    a, b = substitute(cond.a, lets), substitute(cond.b, lets)
    op = cond.op
    if var in free_syms(b) and var not in free_syms(a):
        a, b, op = b, a, {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
    if var in free_syms(b) or var not in free_syms(a):
        return None
    c = normalize(substitute(a, {var: N.Const(0)}))
    slope = normalize(N.BinOp("-", a, substitute(a, {var: N.Const(0)})))
    if c is None or slope is None or slope != N.Var(var):
        return None
    # var + c OP b  <=>  var OP b - c
    x = N.BinOp("-", b, c)
    if op in ("<=", ">"):
        x = N.BinOp("+", x, N.Const(1))
    x = normalize(x) or x
    return ("stop", x) if op in ("<", "<=") else ("start", x)


def guards_to_bounds(loop: N.For) -> tuple[N.For, N.Expr | None] | None:
    """`for v in [lo, hi) { int i = f(v); ...; if (i < X) S }` -> `for v in [lo, min(hi, X - c)) {...; S}`
    when the body is pure integer lets and one `if` without `else` whose condition (a comparison, or a
    conjunction of comparisons) bounds v, with i = v + c after the lets: the iterations the guard skips do
    nothing, so the loop need not visit them. Returns (the loop, the part of the condition that stays a
    guard or None), or None when the loop has no such guard."""
    from xpiler.ir.visit import free_syms

    if not isinstance(loop, N.For) or not loop.body or not _is_const(loop.step, 1):
        return None
    *lets_st, last = loop.body
    if not isinstance(last, N.If) or last.orelse:
        return None
    lets: dict = {}
    assigned = {n.sym for n in walk(loop.body) if isinstance(n, N.Assign)}
    for st in lets_st:
        if not (isinstance(st, N.Decl) and st.init is not None and st.sym not in assigned
                and getattr(st.type, "dtype", "").startswith(("int", "uint"))
                and not any(isinstance(n, (N.Call, N.Load, N.OpaqueExpr)) for n in walk(st.init))):
            return None
        lets[st.sym] = _subst_lets(st.init, lets)
    conj, todo = [], [last.cond]
    while todo:
        c = todo.pop()
        if isinstance(c, N.BinOp) and c.op == "&&":
            todo += [c.b, c.a]
        else:
            conj.append(c)
    start, stop, rest = loop.start, loop.stop, []
    changed = False
    for c in conj:
        got = _bound_of(c, loop.var, lets)
        if got is None or free_syms(got[1]) & (assigned | set(lets)):
            rest.append(c)
            continue
        changed = True
        side, x = got
        if side == "stop":
            stop = _min_expr(stop, x)
        else:
            start = _max_expr(start, x)
    if not changed:
        return None
    body, cond = tuple(lets_st), None
    if rest:
        cond = rest[0]
        for c in rest[1:]:
            cond = N.BinOp("&&", cond, c)
        body += (dataclasses.replace(last, cond=cond),)
    else:
        body += tuple(last.then)
    return dataclasses.replace(loop, start=start, stop=stop, body=body), cond


def _subst_lets(e, lets):
    from xpiler.ir.visit import substitute

    return substitute(e, lets)


def _min_expr(a: N.Expr, b: N.Expr) -> N.Expr:
    return N.Select(N.BinOp("<", a, b), a, b)


def _max_expr(a: N.Expr, b: N.Expr) -> N.Expr:
    return N.Select(N.BinOp(">", a, b), a, b)
