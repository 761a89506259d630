"""The c frontend: source text -> IR Module through the shared tree-sitter frontend, with this dialect's
language facts (`.dialect.LANGUAGE`) and intrinsic catalogue."""

from __future__ import annotations

from xpiler.frontend import parse as _parse
from xpiler.ir.nodes import Module

from .dialect import LANGUAGE


def _catalogue():
    try:
        from .intrinsics import CATALOGUE
    except ImportError:  # no catalogue yet: prefixes in LANGUAGE still classify intrinsics
        return {}
    return CATALOGUE


def parse(text: str, path: str | None = None) -> Module:
    """Lift c source `text` (file `path` for messages) into an IR Module; BadInput on bad input."""
    return _parse(text, LANGUAGE, _catalogue(), path=path, dialect="c")
