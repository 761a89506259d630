"""Structural equality of IR trees up to renaming of bound symbols (alpha-equivalence).

Why: a pass that rebuilds a loop with fresh `Sym`s, or a parse of printed text, yields a tree whose symbols
are new objects; tests and the pass manager need "the same program". Two trees are equal here when they
have the same node classes and compared fields, and their symbols correspond:

- A symbol *bound* inside the compared trees (Param, template Param, Decl, Alloc, For var, Define) is
  matched positionally: the k-th binding of one tree corresponds to the k-th binding of the other, and
  every use must refer to corresponding bindings.
- A *free* symbol (used but not bound inside the trees) is compared by name, so two separately built
  fragments that read "the same" parameter `n` compare equal.

Fields declared `compare=False` (source locations, spellings, cast style, loop counter type, module path)
are ignored. `structural_hash` is consistent with `structural_eq`. `assert_structural_equal` names the
path of the first difference, e.g. `items[3].body[2].value.b: Const(1) != Const(2)`.
"""

from __future__ import annotations

import dataclasses
import math
from enum import Enum
from typing import Any

from xpiler.ir import nodes as N

# Node class -> the field that binds a new symbol.
_BINDERS: dict[type, str] = {N.Decl: "sym", N.Alloc: "sym", N.For: "var", N.Param: "sym", N.Define: "sym"}
_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(cls: type) -> tuple[str, ...]:
    got = _FIELDS.get(cls)
    if got is None:
        got = tuple(f.name for f in dataclasses.fields(cls) if f.compare)
        _FIELDS[cls] = got
    return got


def _ignored(node: Any, name: str) -> bool:
    """Fields that carry spelling only in this node: a Define's replacement text once its body is parsed
    (the body is the meaning; the text keeps the author's parentheses, which no printer reproduces)."""
    return name == "text" and isinstance(node, N.Define) and node.body is not None


def _is_node(x: Any) -> bool:
    return dataclasses.is_dataclass(x) and not isinstance(x, type)


def short(x: Any, limit: int = 80) -> str:
    """A compact one-line rendering of a node for messages: `Const(1)`, `Var(i)`, `BinOp(+, Var(i), ...)`."""
    s = _short(x, 3)
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _short(x: Any, depth: int) -> str:
    if isinstance(x, N.Sym):
        return x.name
    if isinstance(x, Enum):
        return str(x.value)
    if isinstance(x, tuple):
        return "(" + ", ".join(_short(v, depth - 1) for v in x) + ")" if depth > 0 else "(...)"
    if not _is_node(x):
        return repr(x)
    if isinstance(x, N.Const):
        return f"Const({x.value!r})" if x.dtype in ("int32", "float32") else f"Const({x.value!r}, {x.dtype})"
    if isinstance(x, N.Var):
        return f"Var({x.sym.name})"
    if depth <= 0:
        return type(x).__name__ + "(...)"
    parts = []
    for f in dataclasses.fields(x):
        if not f.compare:
            continue
        v = getattr(x, f.name)
        if f.default is not dataclasses.MISSING and v == f.default:
            continue
        if f.default_factory is not dataclasses.MISSING and v == f.default_factory():  # type: ignore[misc]
            continue
        parts.append(_short(v, depth - 1))
    return f"{type(x).__name__}({', '.join(parts)})"


class _Matcher:
    def __init__(self) -> None:
        self.left: dict[N.Sym, int] = {}
        self.right: dict[N.Sym, int] = {}
        self.count = 0

    def bind(self, a: N.Sym, b: N.Sym) -> None:
        self.left[a] = self.right[b] = self.count
        self.count += 1

    def diff(self, a: Any, b: Any, path: str) -> str | None:
        """None when equal, else 'path: what differs'."""
        if isinstance(a, N.Sym) or isinstance(b, N.Sym):
            return self._diff_sym(a, b, path)
        if isinstance(a, tuple) and isinstance(b, tuple):
            for k, (x, y) in enumerate(zip(a, b)):
                d = self.diff(x, y, f"{path}[{k}]")
                if d is not None:
                    return d
            if len(a) != len(b):
                extra = a[len(b)] if len(a) > len(b) else b[len(a)]
                return f"{path or '<root>'}: length {len(a)} != {len(b)} (first extra item: {short(extra)})"
            return None
        if _is_node(a) and _is_node(b):
            if type(a) is not type(b):
                return f"{path or '<root>'}: {short(a)} != {short(b)}"
            binder = _BINDERS.get(type(a))
            for name in _fields(type(a)):
                x, y = getattr(a, name), getattr(b, name)
                if name == binder:
                    self.bind(x, y)
                    continue
                if _ignored(a, name) and _ignored(b, name):
                    continue
                if _is_node(x) or isinstance(x, (tuple, N.Sym)):
                    d = self.diff(x, y, f"{path}.{name}" if path else name)
                    if d is not None:
                        return d
                elif not _same_leaf(x, y):
                    sa, sb = short(a), short(b)
                    more = f" (field {name}: {x!r} != {y!r})" if sa == sb else ""
                    return f"{path or '<root>'}: {sa} != {sb}{more}"
            return None
        if not _same_leaf(a, b):
            return f"{path or '<root>'}: {short(a)} != {short(b)}"
        return None

    def _diff_sym(self, a: Any, b: Any, path: str) -> str | None:
        if not (isinstance(a, N.Sym) and isinstance(b, N.Sym)):
            return f"{path or '<root>'}: {short(a)} != {short(b)}"
        ka, kb = self.left.get(a), self.right.get(b)
        if ka is None and kb is None:
            return None if a.name == b.name else f"{path}: free symbol {a.name} != {b.name}"
        if ka == kb:
            return None
        what = lambda s, k: f"{s.name} (bound #{k})" if k is not None else f"{s.name} (free)"
        return f"{path}: {what(a, ka)} != {what(b, kb)}"


def _same_leaf(x: Any, y: Any) -> bool:
    if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
        return True
    if type(x) is bool or type(y) is bool:  # True == 1 in Python, not in the IR
        return type(x) is type(y) and x == y
    return x == y


def structural_diff(a: Any, b: Any) -> str | None:
    """None when `a` and `b` are alpha-equivalent, else the path and description of the first difference."""
    return _Matcher().diff(a, b, "")


def structural_eq(a: Any, b: Any) -> bool:
    """Are `a` and `b` (modules, functions, statements, expressions, or tuples of them) alpha-equivalent?"""
    return structural_diff(a, b) is None


def assert_structural_equal(a: Any, b: Any) -> None:
    d = structural_diff(a, b)
    if d is not None:
        raise AssertionError(d)


def structural_hash(x: Any) -> int:
    """A hash consistent with `structural_eq`: bound symbols hash by binding position, free ones by name."""
    return hash(_key(x, {}, [0]))


def _key(x: Any, bound: dict[N.Sym, int], count: list[int]) -> Any:
    if isinstance(x, N.Sym):
        k = bound.get(x)
        return ("free", x.name) if k is None else ("bound", k)
    if isinstance(x, tuple):
        return tuple(_key(v, bound, count) for v in x)
    if _is_node(x):
        binder = _BINDERS.get(type(x))
        out: list[Any] = [type(x).__name__]
        for name in _fields(type(x)):
            v = getattr(x, name)
            if name == binder:
                bound[v] = count[0]
                count[0] += 1
                out.append(None)
            elif _ignored(x, name):
                out.append(None)
            else:
                out.append(_key(v, bound, count))
        return tuple(out)
    if isinstance(x, float) and math.isnan(x):
        return "nan"
    if isinstance(x, bool):
        return ("bool", x)
    return x
