"""The whole lift: validate, rewrite keywords, parse with tree-sitter-cuda, report syntax errors, lift.

`Lifter` combines the topic mixins (types, expressions, statements, module items) over one `Ctx`.
"""

from __future__ import annotations

import sys

import tree_sitter
import tree_sitter_cuda

from xpiler.frontend.context import Ctx
from xpiler.frontend.errors import bad_input
from xpiler.frontend.lift_expr import ExprLifter
from xpiler.frontend.lift_module import ModuleLifter
from xpiler.frontend.lift_stmt import StmtLifter
from xpiler.frontend.lift_types import TypeLifter
from xpiler.frontend.source import OffsetMap, check_not_empty, rewrite_keywords, validate
from xpiler.ir.nodes import Module

_LANGUAGE = tree_sitter.Language(tree_sitter_cuda.language())
MAX_NESTING = 1500  # deeper syntax trees are rejected (the lifter recurses once per level)


def grammar() -> tree_sitter.Language:
    return _LANGUAGE


class Lifter(ModuleLifter, StmtLifter, ExprLifter, TypeLifter, Ctx):
    def __init__(self, src, omap, path, language, catalogue, parser) -> None:
        super().__init__(src, omap, path, language, catalogue)
        self.parser = parser
        self.emitted: set[int] = set()  # start bytes of comments already lifted
        self.macro_bodies: dict = {}
        self.extern_c = False

    def sub_lifter(self, snippet: bytes) -> Lifter:
        """A lifter over a separate snippet (a macro body) sharing this module's symbols and types."""
        sub = Lifter(snippet, OffsetMap(snippet, [(0, 0, True)]), self.path, self.lang, self.catalogue, self.parser)
        sub.syms, sub.aliases, sub.macro_bodies = self.syms, self.aliases, self.macro_bodies
        sub._scalars = self._scalar_names()
        return sub


def parse(text, language, catalogue=None, path=None, dialect=None) -> Module:
    """Lift `text` of a dialect described by `language` into a Module; BadInput on malformed input."""
    data = validate(text, path)
    check_not_empty(data, path)
    src, omap = rewrite_keywords(data, language.attribute_keywords)
    parser = tree_sitter.Parser(_LANGUAGE)
    tree = parser.parse(src)
    root = tree.root_node
    if root.has_error:
        raise _syntax_error(root, omap, path, src)
    _check_depth(root, omap, path)
    lifter = Lifter(src, omap, path, language, catalogue, parser)
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 20000))
    try:
        items = lifter.items(root.children)
    except RecursionError:
        raise bad_input("input nests too deeply for the frontend", path, 1, 1) from None
    finally:
        sys.setrecursionlimit(old)
    return Module(dialect or language.name, tuple(items), path)


def _check_depth(root, omap, path) -> None:
    cursor = root.walk()
    depth = 0
    while True:
        if depth > MAX_NESTING:
            line, col = omap.line_col(cursor.node.start_byte)
            raise bad_input(f"constructs nest more than {MAX_NESTING} levels deep", path, line, col)
        if cursor.goto_first_child():
            depth += 1
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return
            depth -= 1


def _first_error(root):
    """The first ERROR or MISSING node in document order."""
    stack = [root]
    while stack:
        n = stack.pop()
        if n.is_missing or n.type == "ERROR":
            return n
        if n.has_error:
            stack.extend(reversed(n.children))
    return None


def _syntax_error(root, omap, path, src: bytes):
    """The clearest message for a tree with errors: unbalanced brackets first (the usual cause of a
    truncated or hand-edited file), else the first ERROR / MISSING node."""
    unbalanced = _bracket_error(src, omap, path)
    if unbalanced is not None:
        return unbalanced
    n = _first_error(root)
    if n is None:
        return bad_input("syntax error", path, 1, 1)
    line, col = omap.line_col(n.start_byte)
    if n.is_missing:
        where = "before end of file" if n.start_byte >= len(src.rstrip()) else "here"
        return bad_input(f"expected '{n.type}' {where}", path, line, col)
    text = omap.original[omap.orig_offset(n.start_byte):omap.orig_offset(n.end_byte)].decode("utf-8", "replace")
    first = text.strip().split("\n")[0][:40]
    if not first:
        return bad_input("syntax error", path, line, col)
    return bad_input(f"unexpected '{first}'", path, line, col)


_CLOSE = {123: "}", 40: ")", 91: "]"}
_PAIRS = {ord("}"): ord("{"), ord(")"): ord("("), ord("]"): ord("[")}


def _bracket_error(src: bytes, omap, path):
    """BadInput for the first unmatched closing bracket or the innermost unclosed one; None if balanced."""
    from xpiler.frontend.source import _SKIP

    code = _SKIP.sub(lambda m: b" " * len(m.group(0)), src)
    # preprocessor lines may legitimately hold unbalanced text (#error messages are strings anyway)
    stack: list[tuple[int, int]] = []
    for i, c in enumerate(code):
        if c in (123, 40, 91):
            stack.append((c, i))
        elif c in _PAIRS:
            if not stack or stack[-1][0] != _PAIRS[c]:
                line, col = omap.line_col(i)
                if stack:
                    opener, at = stack[-1]
                    oline, ocol = omap.line_col(at)
                    return bad_input(f"expected '{_CLOSE[opener]}' before '{chr(c)}' (to close '{chr(opener)}' opened "
                                     f"at {oline}:{ocol})", path, line, col)
                return bad_input(f"unexpected '{chr(c)}' (no matching '{chr(_PAIRS[c])}')", path, line, col)
            stack.pop()
    if stack:
        opener, at = stack[-1]
        close = _CLOSE[opener]
        line, col = omap.line_col(len(src))
        oline, ocol = omap.line_col(at)
        return bad_input(f"expected '{close}' before end of file (to close '{chr(opener)}' opened at "
                         f"{oline}:{ocol})", path, line, col)
    return None
