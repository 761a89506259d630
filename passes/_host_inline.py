"""After host conversion IN, the entry usually only calls the former kernel (`f(X, Y);`). Inline such calls:
a function called once, as a statement of the entry's body, is replaced by its body in a block, so that the
serial form is one function whose loops later passes (loop_bind, cache, tensorize) can see.

Parameters bind by substitution when the argument is a variable, or pure integer arithmetic over variables
whose names the callee does not redeclare, and the callee never assigns or takes the address of the
parameter; otherwise the block starts with a copy `T p = arg;` (C passes by value), under a
fresh name when the argument mentions a variable of the same name. Functions that return a value, recurse,
contain `return` other than as their last statement, or are called more than once are left alone.
"""

from __future__ import annotations

import dataclasses

from xpiler.ir import nodes as N
from xpiler.ir.visit import substitute, walk


def _calls(module: N.Module) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in module.funcs():
        for st in f.body:
            for n in walk(st):
                if isinstance(n, N.Call):
                    counts[n.name] = counts.get(n.name, 0) + 1
    return counts


def _assigned(body: tuple, sym: N.Sym) -> bool:
    for st in body:
        for n in walk(st):
            if isinstance(n, N.Assign) and n.sym is sym:
                return True
            if isinstance(n, N.AddrOf) and isinstance(n.value, N.Var) and n.value.sym is sym:
                return True
            if isinstance(n, N.UnOp) and n.op in ("++", "--", "p++", "p--", "++p", "--p") \
                    and isinstance(n.a, N.Var) and n.a.sym is sym:
                return True
    return False


def _declared(body: tuple) -> set[str]:
    names = set()
    for st in body:
        for n in walk(st):
            if isinstance(n, (N.Decl, N.Alloc)):
                names.add(n.sym.name)
            elif isinstance(n, N.For):
                names.add(n.var.name)
    return names


_PURE = (N.Const, N.Var, N.BinOp, N.Cast, N.Select, N.SizeOf)


def _pure_int(e: N.Expr) -> bool:
    """An argument that may be substituted for a parameter: arithmetic over variables and constants (no
    call, load, assignment or increment), so evaluating it once or at every use gives the same value."""
    return all(isinstance(n, _PURE) or (isinstance(n, N.UnOp) and n.op in ("-", "+", "!", "~")) or
               not isinstance(n, N.Expr) for n in walk(e))


def _names(e: N.Expr) -> set[str]:
    return {n.sym.name for n in walk(e) if isinstance(n, N.Var)}


def _inlinable(f: N.Func) -> bool:
    if f.is_declaration or f.template_params:
        return False
    if getattr(f.ret, "dtype", None) not in (None, "void"):
        return False
    body = f.body
    for i, st in enumerate(body):
        for n in walk(st):
            if isinstance(n, N.Return) and not (n is st and i == len(body) - 1):
                return False
            if isinstance(n, N.Call) and n.name == f.name:
                return False
    return True


def inline_single_calls(module: N.Module, entry: str) -> tuple[N.Module, list[str]]:
    funcs = {f.name: f for f in module.funcs() if not f.is_declaration}
    if entry not in funcs:
        return module, []
    counts = _calls(module)
    e = funcs[entry]
    body, notes, done = [], [], set()
    for st in e.body:
        call = st.value if isinstance(st, N.Evaluate) and isinstance(st.value, N.Call) else None
        f = funcs.get(call.name) if call is not None else None
        if f is None or f.name == entry or counts.get(f.name) != 1 or not _inlinable(f) \
                or len(call.args) != len(f.params):
            body.append(st)
            continue
        mapping, prologue = {}, []
        used = {n.sym.name for a in call.args for n in walk(a) if isinstance(n, N.Var)}
        inner_names = _declared(f.body)
        for p, a in zip(f.params, call.args):
            if isinstance(a, N.Var) and not _assigned(f.body, p.sym):
                mapping[p.sym] = a
            elif _pure_int(a) and not _assigned(f.body, p.sym) and not (_names(a) & inner_names):
                mapping[p.sym] = a  # a size computed by the caller (`(n + 255) / 256`): the expression itself
            else:
                sym = N.Sym(p.sym.name + "_in") if p.sym.name in used else p.sym
                if sym is not p.sym:
                    mapping[p.sym] = N.Var(sym)
                prologue.append(N.Decl(sym, p.type, a))
        inner = tuple(substitute(s, mapping) for s in f.body)
        if inner and isinstance(inner[-1], N.Return):
            inner = inner[:-1]
        if not prologue and not (_declared(inner) & _declared(tuple(e.body))):
            body.extend(inner)  # no names to keep apart: splice, so the loops sit at the top level
        else:
            body.append(N.Block(tuple(prologue) + inner))
        done.add(f.name)
        notes.append(f"host: inlined {f.name} into {entry}")
    if not done:
        return module, []
    items = []
    for it in module.items:
        if isinstance(it, N.Func) and it.name in done:
            continue
        if isinstance(it, N.Func) and it.name == entry:
            it = dataclasses.replace(it, body=tuple(body))
        items.append(it)
    return dataclasses.replace(module, items=tuple(items)), notes
