"""Rewrite the triple-chevron launch syntax into a call a C++ compiler accepts.

    kernel<<<grid, block[, shmem[, stream]]>>>(args)  ->  xp_launch(kernel, grid, block[, ...])(args)
    kernel<T><<<dim, type, queue>>>(args)              ->  xp_launch(kernel<T>, dim, type, queue)(args)

The rewrite keeps every newline, so compiler diagnostics keep the user's line numbers. Text inside comments
and string literals is left alone.
"""

from __future__ import annotations

import re

from xpiler.exec.scan import blank_comments_and_strings

_CALLEE = re.compile(r"([A-Za-z_][\w:]*(?:\s*<[^<>;{}()]*>)?)\s*$")


def rewrite_launches(source: str) -> str:
    masked = blank_comments_and_strings(source)
    out: list[str] = []
    pos = 0
    i = masked.find("<<<")
    while i >= 0:
        close = masked.find(">>>", i + 3)
        if close < 0:
            break
        m = _CALLEE.search(masked, pos, i)
        if not m:
            i = masked.find("<<<", i + 3)
            continue
        callee = source[m.start(1) : m.end(1)]
        config = source[i + 3 : close]
        out.append(source[pos : m.start(1)])
        out.append(f"xp_launch({callee}, {config})")
        pos = close + 3
        i = masked.find("<<<", pos)
    out.append(source[pos:])
    return "".join(out)
