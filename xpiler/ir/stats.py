"""How much of a module the IR models: statement counts and what stayed opaque.

`opaque_report` is what the corpus test and `xpiler` reports quote: a frontend is done for a corpus
when every count of opaque things is zero.
"""

from __future__ import annotations

from xpiler.ir import nodes as N
from xpiler.ir.visit import walk

_CONTAINERS = (N.Func, N.PreprocIf)


def count_statements(node) -> int:
    """Statements under `node` (a Module, Func, statement or tuple), nested ones included; Comments and
    module-level items that are not statements (Define, Include, ...) are not counted."""
    items = node if isinstance(node, tuple) else (node,)
    total = 0
    for it in items:
        for n in walk(it):
            if isinstance(n, N.Stmt) and not isinstance(n, N.Comment):
                total += 1
    return total


def opaque_report(module: N.Module) -> dict:
    """Counts: `statements` (all, nested), `opaque_statements` (Opaque statements and module items),
    `opaque_expressions` (OpaqueExpr anywhere), `unparsed_defines` (Defines whose body is not an
    expression), plus `functions`, `items`, `comments` for context."""
    out = {"items": len(module.items), "functions": 0, "statements": 0, "opaque_statements": 0,
           "opaque_expressions": 0, "unparsed_defines": 0, "comments": 0}
    for n in walk(module):
        if isinstance(n, N.Func):
            out["functions"] += 1
        elif isinstance(n, N.Opaque):
            out["opaque_statements"] += 1
        elif isinstance(n, N.OpaqueExpr):
            out["opaque_expressions"] += 1
        elif isinstance(n, N.Define) and n.body is None and n.text.strip():
            out["unparsed_defines"] += 1
        elif isinstance(n, N.Comment):
            out["comments"] += 1
        if isinstance(n, N.Stmt) and not isinstance(n, N.Comment):
            out["statements"] += 1
    return out


def opaque_items(module: N.Module) -> list:
    """The Opaque / OpaqueExpr nodes of `module` (for messages that show what was not modelled)."""
    return [n for n in walk(module) if isinstance(n, (N.Opaque, N.OpaqueExpr))]
