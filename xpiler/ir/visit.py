"""Traversal bases for the IR: `Visitor` (read-only walk) and `Rewriter` (rebuild what changed).

Both walk every dataclass field that holds a node or a tuple of nodes, so a new node kind needs no edit
here. The `Rewriter` contract follows exo's: a `rewrite_*` hook returns `None` when it leaves a node
unchanged, and unchanged subtrees are shared rather than copied.

Example: rename every use of a symbol.
    >>> class Subst(Rewriter):
    ...     def __init__(self, old, new): self.old, self.new = old, new
    ...     def rewrite_Var(self, node):
    ...         return Var(self.new) if node.sym is self.old else None
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Iterator

from xpiler.ir import nodes as N
from xpiler.ir.types import Type

_FIELDS: dict[type, tuple[str, ...]] = {}


def child_fields(cls: type) -> tuple[str, ...]:
    """Names of the fields of node class `cls` that may hold nodes (everything but plain data)."""
    got = _FIELDS.get(cls)
    if got is None:
        got = tuple(f.name for f in dataclasses.fields(cls) if f.name != "loc")
        _FIELDS[cls] = got
    return got


def is_node(x: Any) -> bool:
    return dataclasses.is_dataclass(x) and not isinstance(x, (type, N.Loc))


def children(node: Any) -> Iterator[Any]:
    """The direct child nodes of `node` (types included), in field order."""
    for name in child_fields(type(node)):
        v = getattr(node, name)
        if isinstance(v, tuple):
            for x in v:
                if is_node(x):
                    yield x
        elif is_node(v):
            yield v


def walk(node: Any) -> Iterator[Any]:
    """Every node under `node` (itself first), depth-first in source order. A tuple or list of nodes (a
    statement list) walks each of them in order."""
    stack = list(reversed(node)) if isinstance(node, (tuple, list)) else [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(list(children(n))))


class Visitor:
    """Read-only walk. Override `visit_<Class>(node)`; call `self.generic_visit(node)` inside it to keep
    descending. Types are not visited unless `visit_types` is true."""

    visit_types = False

    def visit(self, node: Any) -> None:
        if isinstance(node, tuple):
            for x in node:
                self.visit(x)
            return
        if not is_node(node) or (isinstance(node, Type) and not self.visit_types):
            return
        fn = getattr(self, "visit_" + type(node).__name__, None)
        if fn is None:
            self.generic_visit(node)
        else:
            fn(node)

    def generic_visit(self, node: Any) -> None:
        for c in children(node):
            self.visit(c)


class Rewriter:
    """Rebuild a tree bottom-up. Override `rewrite_<Class>(node)`: it receives the node with its children
    already rewritten and returns a replacement, or None to keep it. A statement hook may return a tuple
    of statements to splice several in place of one (or `()` to delete it).

    `rewrite(node)` returns the node itself when nothing below it changed."""

    def rewrite(self, node: Any) -> Any:
        if isinstance(node, tuple):
            return self._rewrite_tuple(node)
        if not is_node(node) or isinstance(node, Type):
            return node
        changes = {}
        for name in child_fields(type(node)):
            v = getattr(node, name)
            if isinstance(v, tuple):
                nv = self._rewrite_tuple(v)
            elif is_node(v) and not isinstance(v, Type):
                nv = self.rewrite(v)
            else:
                continue
            if nv is not v:
                changes[name] = nv
        if changes:
            node = dataclasses.replace(node, **changes)
        fn = getattr(self, "rewrite_" + type(node).__name__, None)
        if fn is not None:
            out = fn(node)
            if out is not None:
                return out
        return node

    def _rewrite_tuple(self, items: tuple) -> tuple:
        out: list = []
        changed = False
        for x in items:
            nx = self.rewrite(x)
            if nx is not x:
                changed = True
            if isinstance(nx, tuple) and not isinstance(x, tuple):
                out.extend(nx)
            else:
                out.append(nx)
        return tuple(out) if changed else items


def map_exprs(node: Any, fn: Callable[[N.Expr], N.Expr | None]) -> Any:
    """Apply `fn` to every expression bottom-up (None keeps the expression)."""

    class _M(Rewriter):
        def rewrite(self, n: Any) -> Any:
            out = super().rewrite(n)
            if isinstance(out, N.Expr):
                got = fn(out)
                if got is not None:
                    return got
            return out

    return _M().rewrite(node)


def substitute(node: Any, mapping: dict[N.Sym, N.Expr]) -> Any:
    """Replace `Var(s)` by `mapping[s]` everywhere under `node`."""
    return map_exprs(node, lambda e: mapping.get(e.sym) if isinstance(e, N.Var) else None)


def free_syms(node: Any) -> set[N.Sym]:
    """Symbols read anywhere under `node` (Var uses, Opaque reads, assignment targets)."""
    out: set[N.Sym] = set()
    for n in walk(node):
        if isinstance(n, N.Var):
            out.add(n.sym)
        elif isinstance(n, (N.Opaque, N.OpaqueExpr)):
            out.update(n.reads)
        elif isinstance(n, N.Assign):
            out.add(n.sym)
    return out
