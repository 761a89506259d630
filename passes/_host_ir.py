"""Small IR helpers shared by the host-conversion pass (passes/_host_in.py, _host_out.py) and the port pass:
rewriting the types inside a tree (memory scopes of pointers), integer constants, fresh names, includes.

Why here: the generic `Rewriter` of xpiler.ir.visit leaves types alone, and host conversion is mostly about
types (a kernel's `float* __restrict__` global pointer becomes a host pointer and back)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import z3

from xpiler.ir import nodes as N
from xpiler.ir import types as T
from xpiler.ir.visit import is_node, walk
from xpiler.ir.z3expr import Unsupported, to_z3

ON_CHIP = (T.Scope.SHARED, T.Scope.NRAM, T.Scope.WRAM, T.Scope.SRAM, T.Scope.LDRAM, T.Scope.CONSTANT)


def map_types(node: Any, fn: Callable[[T.Type], T.Type | None]) -> Any:
    """`node` with every Type inside it (parameters, declarations, casts, sizeof, allocs, template args,
    nested pointee types) replaced bottom-up by `fn(type)` (None keeps it). Unchanged subtrees are shared."""
    if isinstance(node, tuple):
        out = tuple(map_types(x, fn) for x in node)
        return node if all(a is b for a, b in zip(out, node)) else out
    if isinstance(node, T.Type):
        changes = {}
        for f in dataclasses.fields(node):
            v = getattr(node, f.name)
            if isinstance(v, T.Type):
                nv = map_types(v, fn)
                if nv is not v:
                    changes[f.name] = nv
        if changes:
            node = dataclasses.replace(node, **changes)
        got = fn(node)
        return node if got is None else got
    if not is_node(node):
        return node
    changes = {}
    for f in dataclasses.fields(node):
        if f.name == "loc":
            continue
        v = getattr(node, f.name)
        if isinstance(v, (tuple, T.Type)) or is_node(v):
            nv = map_types(v, fn)
            if nv is not v:
                changes[f.name] = nv
    return dataclasses.replace(node, **changes) if changes else node


def pointer_scope(scope: T.Scope, only: tuple[T.Scope, ...] | None = None):
    """A `map_types` function that sets the memory scope of every pointer (of those in `only`, when given)."""

    def fn(t: T.Type):
        if isinstance(t, T.Pointer) and t.scope != scope and (only is None or t.scope in only):
            return dataclasses.replace(t, scope=scope)
        return None

    return fn


def const_int(e: N.Expr, defines: dict | None) -> int | None:
    """The integer value of `e` (macros expanded), or None when it is not a constant."""
    try:
        v = z3.simplify(to_z3(e, defines=defines))
    except (Unsupported, ValueError, z3.Z3Exception):
        return None
    if z3.is_int_value(v):
        return v.as_long()
    if z3.is_true(v):
        return 1
    if z3.is_false(v):
        return 0
    return None


def names_in(node: Any) -> set[str]:
    """Every symbol, function and call name used under `node` (to choose names that do not clash)."""
    out: set[str] = set()
    for n in walk(node):
        for f in ("sym", "var"):
            s = getattr(n, f, None)
            if isinstance(s, N.Sym):
                out.add(s.name)
        if isinstance(n, (N.Func, N.Call)):
            out.add(n.name)
        if isinstance(n, N.Func):
            out.update(p.sym.name for p in n.params)
        if isinstance(n, N.Launch):
            out.add(n.kernel)
    return out


def fresh(base: str, taken: set[str]) -> str:
    """`base`, or `base_2`, `base_3`, ... : the first name not in `taken` (which is updated)."""
    name, k = base, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    taken.add(name)
    return name


def call_names(node: Any) -> set[str]:
    return {n.name for n in walk(node) if isinstance(n, N.Call)}


def with_includes(items: tuple, paths: list[str], drop: set[str] = frozenset()) -> tuple:
    """`items` without the includes named in `drop`, with `#include <p>` for each of `paths` not already there,
    placed after the leading comments (or after the last existing include)."""
    items = tuple(i for i in items if not (isinstance(i, N.Include) and i.path in drop))
    have = {i.path for i in items if isinstance(i, N.Include)}
    new = tuple(N.Include(p) for p in paths if p not in have)
    if not new:
        return items
    at = 0
    last_inc = max((k for k, i in enumerate(items) if isinstance(i, N.Include)), default=None)
    if last_inc is not None:
        at = last_inc + 1
    else:
        while at < len(items) and isinstance(items[at], N.Comment):
            at += 1
    return items[:at] + new + items[at:]


def replace_func(module: N.Module, old: N.Func, new: tuple) -> N.Module:
    """`module` with the item `old` replaced by the items `new` (in order)."""
    items = []
    for it in module.items:
        if it is old:
            items.extend(new)
        else:
            items.append(it)
    return dataclasses.replace(module, items=tuple(items))


def host_api_calls(node: Any) -> list[N.Call]:
    return [n for n in walk(node) if isinstance(n, N.Call) and n.kind is N.CallKind.HOST_API]
