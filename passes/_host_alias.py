"""Remove redundant device copies after host conversion IN: in the entry function, a buffer `d` that is
`malloc`ed, filled by a full `memcpy` from a host parameter `P` and/or copied back whole into `P`, and
otherwise only handed to the (now plain) kernel functions, is replaced by `P` itself.

It is done only when clearly safe:
* every statement naming `d` sits at the top level of the entry: the declaration (empty or null), one malloc of B bytes,
  at most one copy `P -> d` of B bytes before every call that uses `d`, at most one copy `d -> P` of B
  bytes after them, one free, and calls that pass `d` as an argument;
* `P` is named nowhere else in the entry (no second device copy of it, no host code reading it meanwhile);
* without a copy back, no called function may write through `d` (so `P` stays unchanged as before).
The entry's pointer parameters are taken not to overlap each other (the usual contract of these kernels;
the source itself copies each into its own device buffer)."""

from __future__ import annotations

import dataclasses

from xpiler.ir import nodes as N
from xpiler.ir import types as T
from xpiler.ir.visit import substitute, walk

from ._host_access import analyze
from ._host_domain import inline, single_defs
from ._host_ir import const_int


def _var(e: N.Expr):
    while isinstance(e, N.Cast):
        e = e.value
    return e.sym if isinstance(e, N.Var) else None


def _count(node, sym) -> int:
    return sum(1 for n in walk(node) if isinstance(n, (N.Var, N.Assign)) and n.sym is sym)


def _same(a: N.Expr, b: N.Expr, defines) -> bool:
    if a == b:
        return True
    va, vb = const_int(a, defines), const_int(b, defines)
    return va is not None and va == vb


def _malloc_of(s) -> tuple | None:
    if isinstance(s, N.Assign) and isinstance(s.value, N.Cast) and isinstance(s.value.value, N.Call) \
            and s.value.value.name == "malloc" and len(s.value.value.args) == 1:
        return s.sym, s.value.value.args[0]
    return None


def _call(s, name):
    if isinstance(s, N.Evaluate) and isinstance(s.value, N.Call) and s.value.name == name:
        return s.value
    return None


def alias_copies(program):
    module = program.module
    try:
        entry = program.entry_func
    except KeyError:
        return program, []
    defines = module.defines()
    params = {p.sym: p for p in entry.params if isinstance(p.type, T.Pointer)}
    body, notes = entry.body, []
    counts: dict = {}
    for d, nbytes in [m for m in (_malloc_of(s) for s in entry.body) if m is not None]:
        got = _plan(body, d, nbytes, params, module, defines)
        if got is None:
            continue
        drop, P, calls = got
        decl = next(s for s in body if isinstance(s, N.Decl) and s.sym is d)
        cast = params[P].type.const and not all(_const_param(body[k].value, d, module) for k in calls)
        repl = N.Cast(decl.type, N.Var(P)) if cast else N.Var(P)
        body = tuple(substitute(s, {d: repl}) for k, s in enumerate(body) if k not in drop)
        notes.append(f"host: device copy {d.name} of {P.name} replaced by {P.name}")
        # the count through size locals (`A_bytes = n * sizeof(float)`), so it reads the entry's parameters
        counts[P.name] = _elements(inline(nbytes, single_defs(entry)), params[P].type.pointee)
    if body is entry.body:
        return program, notes
    body = drop_dead_scalars(body)
    items = tuple(dataclasses.replace(it, body=body) if it is entry else it for it in module.items)
    out = program.replace(module=dataclasses.replace(module, items=items))
    if counts:  # the source's own statement of each buffer's size, for a later host conversion OUT
        out = out.with_note(SOURCE_COUNTS, {**(program.note(SOURCE_COUNTS) or {}), **counts})
    return out, notes


SOURCE_COUNTS = "host.source_counts"  # note: {entry parameter name: element count the source's host copies}


def _elements(nbytes: N.Expr, elem) -> N.Expr:
    """`nbytes` (a byte count) in elements of `elem`: `X * sizeof(T)` -> X (casts of X kept), else nbytes / size."""
    if isinstance(nbytes, N.BinOp) and nbytes.op == "*":
        for a, b in ((nbytes.a, nbytes.b), (nbytes.b, nbytes.a)):
            if isinstance(b, N.SizeOf) and isinstance(b.arg, T.Type) and b.arg == elem:
                return a
    return N.BinOp("/", nbytes, N.SizeOf(elem))


def _plan(body, d, nbytes, params, module, defines):
    """(indices of the statements to drop, the parameter) when `d` may become that parameter, else None."""
    decl = [k for k, s in enumerate(body) if isinstance(s, N.Decl) and s.sym is d and (s.init is None or _null(s.init))]
    if len(decl) != 1 or not isinstance(body[decl[0]].type, T.Pointer):
        return None
    malloc, h2d, d2h, free, calls, P = [], [], [], [], [], None
    for k, s in enumerate(body):
        n = _count(s, d)
        if not n or k in decl:
            continue
        m, cp, fr = _malloc_of(s), _call(s, "memcpy"), _call(s, "free")
        if m is not None and m[0] is d:
            malloc.append(k)
        elif cp is not None and len(cp.args) == 3 and n == 1 and _same(cp.args[2], nbytes, defines):
            dst, src = _var(cp.args[0]), _var(cp.args[1])
            other = src if dst is d else dst if src is d else None
            if other not in params or (P is not None and other is not P) or not isinstance(
                    cp.args[0 if dst is d else 1], N.Var):
                return None
            P = other
            (h2d if dst is d else d2h).append(k)
        elif fr is not None and _var(fr.args[0]) is d:
            free.append(k)
        elif isinstance(s, N.Evaluate) and isinstance(s.value, N.Call) and s.value.kind is N.CallKind.FUNC and \
                n == sum(1 for a in s.value.args if isinstance(a, N.Var) and a.sym is d):
            calls.append(k)
        else:
            return None
    if P is None or len(malloc) != 1 or len(h2d) > 1 or len(d2h) > 1 or len(free) > 1:
        return None
    if sum(_count(s, d) for s in body) != sum(_count(body[k], d) for k in decl + malloc + h2d + d2h + free + calls):
        return None  # d is named inside nested statements
    before = [k for k in range(malloc[0]) if _count(body[k], P)]
    if sum(_count(s, P) for s in body) != len(h2d) + len(d2h) + sum(_count(body[k], P) for k in before):
        return None  # P is used elsewhere
    if not all(_only_reads(body[k], P) for k in before):
        return None  # only reads of P before the device buffer exists (a scan of an index buffer)
    order = [malloc[0]] + h2d + calls + d2h + free
    if order != sorted(order):
        return None
    ptype, dtype = params[P].type, body[decl[0]].type
    if getattr(ptype.pointee, "dtype", None) != getattr(dtype.pointee, "dtype", None) or not isinstance(
            ptype.pointee, T.Scalar):
        return None
    if not d2h and any(_writes(body[k].value, d, module) for k in calls):
        return None
    return set(decl + malloc + h2d + d2h + free), P, calls


def _null(e: N.Expr) -> bool:
    """`0`, `NULL`, `nullptr` (a pointer declared empty, `float* d_A = 0;`, then allocated)."""
    while isinstance(e, N.Cast):
        e = e.value
    return (isinstance(e, N.Const) and e.value == 0) or (isinstance(e, N.Var) and e.sym.name in ("NULL", "nullptr"))


def _const_param(call: N.Call, d, module) -> bool:
    """Every parameter that receives `d` in this call points to const (a const host pointer fits)."""
    try:
        callee = module.func(call.name)
    except KeyError:
        return False
    return all(isinstance(p.type, T.Pointer) and p.type.const for p, a in zip(callee.params, call.args)
               if isinstance(a, N.Var) and a.sym is d)


def _writes(call: N.Call, d, module) -> bool:
    try:
        callee = module.func(call.name)
    except KeyError:
        return True
    uses = analyze(callee, module)
    for j, a in enumerate(call.args):
        if isinstance(a, N.Var) and a.sym is d:
            u = uses.get(j)
            if u is None or u.may_write:
                return True
    return False


def _only_reads(stmt, P) -> bool:
    """Every mention of P under `stmt` is the base of an element read (`P[i]`)."""
    bases = sum(1 for n in walk(stmt) if isinstance(n, N.Load) and isinstance(n.base, N.Var) and n.base.sym is P)
    stored = any(isinstance(n, N.Store) and isinstance(n.target, N.Load) and _var(n.target.base) is P
                 for n in walk(stmt))
    return not stored and bases == _count(stmt, P)


def _effects_only_on(stmt, syms: set) -> bool:
    """`stmt` only assigns `syms` or variables it declares itself (no stores, no calls with effects)."""
    local = {n.sym for n in walk(stmt) if isinstance(n, N.Decl)} | {n.var for n in walk(stmt) if isinstance(n, N.For)}
    for n in walk(stmt):
        if isinstance(n, (N.Store, N.Evaluate, N.Opaque, N.Return, N.Alloc, N.Launch)):
            return False
        if isinstance(n, N.Call) and n.kind is not N.CallKind.MATH:
            return False
        if isinstance(n, N.Assign) and n.sym not in syms and n.sym not in local:
            return False
    return True


def _declares_other(stmt, sym) -> bool:
    """Does `stmt` declare a variable other than `sym` that may be read later (`int blocks = total / 128;`
    reads `total` but is not dead with it)?"""
    return any(isinstance(n, N.Decl) and n.sym is not sym for n in walk(stmt)) and not isinstance(stmt, N.For)


def drop_dead_scalars(body: tuple) -> tuple:
    """Remove top-level scalar variables nothing reads any more together with the statements (loops) that
    only compute them, and the comment right before such a declaration."""
    while True:
        drop = set()
        for k, d in enumerate(body):
            if not isinstance(d, N.Decl) or isinstance(d.type, T.Pointer) or not _effects_only_on(d, set()):
                continue
            users = [j for j, s in enumerate(body) if j != k and _count(s, d.sym)]
            if all(_effects_only_on(body[j], {d.sym}) and not _declares_other(body[j], d.sym) for j in users):
                drop |= {k, *users}
                if k > 0 and isinstance(body[k - 1], N.Comment):
                    drop.add(k - 1)
                break
        if not drop:
            return body
        body = tuple(s for j, s in enumerate(body) if j not in drop)
