"""Shared state of one lift: the rewritten source, the offset map, the dialect facts and the symbols.

The lifter is split by topic (types, expressions, statements, module items) into mixins that all read
this state; `Ctx` holds it and the small helpers every part needs (node text, locations, opaque
fallbacks).
"""

from __future__ import annotations

from xpiler.frontend.source import OffsetMap
from xpiler.frontend.symbols import Symbols
from xpiler.ir.dialect import LanguageFacts
from xpiler.ir.nodes import FuncKind, Loc, Sym
from xpiler.ir.types import Scope

# Node types that only carry source positions / punctuation for our purposes.
TRIVIA = frozenset({"comment", "\n"})


class Ctx:
    def __init__(self, src: bytes, omap: OffsetMap, path: str | None, language: LanguageFacts, catalogue) -> None:
        self.src = src
        self.omap = omap
        self.path = path
        self.lang = language
        self.catalogue = catalogue or {}
        self.syms = Symbols()
        self.aliases: dict[str, object] = {}  # typedef name -> Type
        self.func_kind: FuncKind | None = None  # kind of the function being lifted (None at module level)
        self.builtin_bases = {k.split(".")[0] for k in language.builtins if "." in k}

    # ------------------------------------------------------------------ text and positions
    def text(self, node) -> str:
        """The ORIGINAL source text of `node` (dialect keywords as the user wrote them)."""
        a = self.omap.orig_offset(node.start_byte)
        b = self.omap.orig_offset(node.end_byte)
        b = max(b, a)
        return self.omap.original[a:b].decode("utf-8", "replace")

    def raw(self, node) -> str:
        """The text the grammar saw (after keyword rewriting)."""
        return self.src[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def loc(self, node) -> Loc:
        line, col = self.omap.line_col(node.start_byte)
        return Loc(line, col, self.path)

    # ------------------------------------------------------------------ symbols read by raw subtrees
    def idents(self, node) -> tuple[Sym, ...]:
        """Syms of all identifiers under `node` (for Opaque / OpaqueExpr reads), in first-use order."""
        out: dict[int, Sym] = {}
        stack = [node]
        while stack:
            n = stack.pop()
            if n.type == "identifier":
                name = self.raw(n)
                if name not in self.syms.funcs and name not in self.syms.func_macros:
                    s = self.syms.lookup(name)
                    out.setdefault(s.id, s)
            else:
                stack.extend(reversed(n.children))
        return tuple(out.values())

    def pointer_scope(self) -> Scope:
        """Memory space assumed for pointers declared in the current function: kernels' and device
        functions' pointers point to GLOBAL memory (an assumption: a device function may receive a
        shared-memory pointer; passes that care must check the call sites), host code's to HOST."""
        if self.func_kind in (FuncKind.KERNEL, FuncKind.DEVICE):
            return Scope.GLOBAL
        return Scope.HOST


def named(node) -> list:
    """Named children of `node` except comments."""
    return [c for c in node.named_children if c.type != "comment"]
