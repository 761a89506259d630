"""A light structural scan of C-family source: the top-level function definitions and their qualifiers.

The executors need only this much (which functions exist, which is the entry, whether it is a device
kernel); the full frontend lives in the IR frontends. Comments, strings and preprocessor lines are blanked
first (keeping offsets), then braces are matched; `extern "C" { ... }` and `namespace x { ... }` blocks are
entered, every other block is a body.
"""

from __future__ import annotations

import os

import re
from dataclasses import dataclass

_IDENT = re.compile(r"[A-Za-z_]\w*")
_KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "do", "else", "case", "catch"}


@dataclass(frozen=True)
class FunctionInfo:
    name: str
    qualifiers: str  # the declaration text before the name (return type, __global__, extern "C", ...)
    params: str  # the parameter list text, without the parentheses
    line: int  # 1-based line of the name
    extern_c: bool
    static: bool
    start: int = 0  # offset of the declaration's first token (template <...>, extern "C", __global__, ...)
    name_pos: int = 0  # offset of the name
    body_open: int = 0  # offset of the body's '{'
    body_close: int = 0  # offset of the matching '}'


def blank_comments_and_strings(src: str, *, keep_strings: bool = False) -> str:
    """Replace comments (and string/char literals unless keep_strings) by spaces, keeping newlines."""
    out = list(src)
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c == "/" and i + 1 < n and src[i + 1] == "/":
            j = src.find("\n", i)
            j = n if j < 0 else j
            for k in range(i, j):
                out[k] = " "
            i = j
        elif c == "/" and i + 1 < n and src[i + 1] == "*":
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            for k in range(i, j):
                if out[k] != "\n":
                    out[k] = " "
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and src[j] != c and src[j] != "\n":
                j += 2 if src[j] == "\\" else 1
            j = min(j + 1, n)
            if not keep_strings:
                for k in range(i + 1, j - 1):
                    out[k] = " "
            i = j
        else:
            i += 1
    return "".join(out)


def blank_preprocessor(src: str) -> str:
    """Replace preprocessor lines (with their continuations) by spaces, keeping offsets."""
    lines = src.split("\n")
    res = []
    cont = False
    for ln in lines:
        if cont or ln.lstrip().startswith("#"):
            cont = ln.rstrip().endswith("\\")
            res.append(" " * len(ln))
        else:
            res.append(ln)
    return "\n".join(res)


def find_functions(source: str) -> list[FunctionInfo]:
    """Top-level function definitions in source order."""
    # Structure (braces, semicolons) is read with strings blanked, so "{" in a literal is no brace;
    # qualifiers are read with strings kept, so `extern "C"` stays visible. Offsets agree in both.
    code = blank_preprocessor(blank_comments_and_strings(source))
    text = blank_preprocessor(blank_comments_and_strings(source, keep_strings=True))
    funcs: list[FunctionInfo] = []
    extern_c_depths: set[int] = set()
    depth = 0
    stmt_start = 0  # start of the current top-level declaration
    i, n = 0, len(code)
    while i < n:
        c = code[i]
        if c == ";":
            stmt_start = i + 1
        elif c == "}":
            depth -= 1
            extern_c_depths.discard(depth + 1)
            stmt_start = i + 1
        elif c == "{":
            head_s = text[stmt_start:i].strip()
            if re.fullmatch(r'extern\s+"C"', head_s) or re.match(r"namespace\b", head_s):
                depth += 1
                if head_s.startswith("extern"):
                    extern_c_depths.add(depth)
                stmt_start = i + 1
            else:
                # skip the body
                j, d = i + 1, 1
                while j < n and d:
                    if code[j] == "{":
                        d += 1
                    elif code[j] == "}":
                        d -= 1
                    j += 1
                fn = _function_from_head(source, text, stmt_start, i, j - 1, bool(extern_c_depths))
                if fn is not None:
                    funcs.append(fn)
                i = j
                stmt_start = j
                continue
        i += 1
    return funcs


def _function_from_head(
    source: str, text: str, start: int, brace: int, close: int, in_extern_c: bool
) -> FunctionInfo | None:
    head = text[start:brace]
    # the parameter list is the last balanced (...) group of the head, followed only by qualifiers
    end = head.rfind(")")
    if end < 0:
        return None
    d, j = 0, end
    while j >= 0:
        if head[j] == ")":
            d += 1
        elif head[j] == "(":
            d -= 1
            if d == 0:
                break
        j -= 1
    if j < 0:
        return None
    tail = head[end + 1 :].strip()
    if tail and not re.fullmatch(r"(const|noexcept|override|final|throw\s*\(\s*\)|__attribute__\s*\(\(.*\)\)|\s)*", tail):
        return None
    before = head[:j].rstrip()
    m = re.search(r"([A-Za-z_]\w*)\s*$", before)
    if not m or m.group(1) in _KEYWORDS:
        return None
    name = m.group(1)
    quals = before[: m.start()].strip()
    # no return type (a call statement) or a name after '=', ',' or '(' is not a function definition
    if not quals or quals.endswith(("=", ",", "(")):
        return None
    params = head[j + 1 : end]
    line = source.count("\n", 0, start + m.start()) + 1
    extern_c = in_extern_c or bool(re.search(r'extern\s+"C"', quals))
    return FunctionInfo(
        name=name,
        qualifiers=re.sub(r"\s+", " ", quals),
        params=re.sub(r"\s+", " ", params).strip(),
        line=line,
        extern_c=extern_c,
        static=bool(re.search(r"\bstatic\b", quals)),
        start=start + len(head) - len(head.lstrip()),
        name_pos=start + m.start(),
        body_open=brace,
        body_close=close,
    )


_QUOTED_INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*"([^"\n]+)"[^\n]*$', re.M)


def local_includes(text: str, filename: str | None) -> list:
    """The quoted includes of `text` that exist beside `filename` (paths), for the build's -iquote and key."""
    from pathlib import Path

    if not filename or filename.startswith("<"):
        return []
    base = Path(filename).parent
    return [base / m.group(1) for m in _QUOTED_INCLUDE.finditer(text) if (base / m.group(1)).is_file()]


SYSTEM_INCLUDE_DIRS = ("/usr/include", "/usr/local/include", "/usr/local/cuda/include", "/opt/rocm/include")


def drop_missing_includes(text: str, filename: str | None, search=SYSTEM_INCLUDE_DIRS) -> tuple[str, list[str]]:
    """Quoted includes (`#include "local.h"`) that cannot be found beside `filename` (or at all, for text
    without a file) nor in the folders `search` (`#include "hip/hip_runtime.h"` is a system header) become
    empty lines, so the rest of the file still builds with the line numbers kept; returns the text and the
    missing names (for a warning). The user's headers stay in translated output."""
    from pathlib import Path

    base = Path(filename).parent if filename and not filename.startswith("<") else None
    missing: list[str] = []

    def repl(m):
        inc = m.group(1)
        if base is not None and (base / inc).is_file():
            return m.group(0)
        if any((Path(d) / inc).is_file() for d in search):
            return m.group(0)
        if any(d and (Path(d) / inc).is_file() for d in os.environ.get("CPATH", "").split(os.pathsep)):
            return m.group(0)  # the compilers search CPATH too
        missing.append(inc)
        return ""

    return _QUOTED_INCLUDE.sub(repl, text), missing
