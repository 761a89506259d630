"""How the frontend reports bad input: one `BadInput` whose text starts with `FILE:LINE:COL:`.

Positions always refer to the *original* text the user gave, never to the keyword-rewritten text the
grammar saw (see `source.OffsetMap`), so a message can be pasted into an editor's "go to line".
"""

from __future__ import annotations

from xpiler.errors import BadInput


def bad_input(message: str, path: str | None, line: int | None = None, col: int | None = None) -> BadInput:
    """A `BadInput` that prints as `FILE:LINE:COL: message` (FILE is `<input>` without a path)."""
    return BadInput(message, file=path or "<input>", line=line, column=col)
