"""Source text before the grammar sees it: input validation, dialect keywords -> GNU attributes, and
the offset map that takes every position in the rewritten text back to the original.

Why rewrite at all: tree-sitter-cuda is a C++ grammar with CUDA's own keywords; BANG's `__nram__` or
`__mlu_global__` (and CUDA's `__align__(n)`) are macros in their vendors' headers that expand to GNU
attributes. Doing the same expansion here lets one grammar parse all five dialects, and the lifter reads
the qualifiers back from `attribute_specifier` nodes. Comments and string / character literals are never
touched.
"""

from __future__ import annotations

import bisect
import re

from xpiler.frontend.errors import bad_input

MAX_BYTES = 2 * 1024 * 1024  # larger inputs are rejected before parsing (kernels are a few KiB)

# Things the keyword scan must skip over whole: comments, string and character literals.
_SKIP = re.compile(rb'//[^\n]*|/\*.*?(?:\*/|\Z)|"(?:\\.|[^"\\\n])*"?|\'(?:\\.|[^\'\\\n])*\'?', re.DOTALL)
_IDENT = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
# `using V = __attribute__((__vector_size__(16))) float;` (clang accepts the attribute in front of the type,
# the grammar does not): rewritten to the equivalent `typedef float V __attribute__((...));`.
_ATTR = rb"__attribute__\s*\(\((?:[^()]|\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\))*\)\)"
_VEC_ALIAS = re.compile(rb"using\s+([A-Za-z_]\w*)\s*=\s*(" + _ATTR + rb")\s*([A-Za-z_][\w \t]*?)\s*;")


def validate(text: str | bytes, path: str | None) -> bytes:
    """The UTF-8 bytes of `text`, or BadInput when it is not source text we should try to parse."""
    if isinstance(text, (bytes, bytearray)):
        if len(text) > MAX_BYTES:
            raise bad_input(_too_big(len(text)), path, 1, 1)
        data = bytes(text)
        if b"\x00" in data:
            raise _binary(data, data.index(b"\x00"), path)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise _binary(data, e.start, path) from None
        return data
    if not isinstance(text, str):
        raise bad_input(f"expected source text, got {type(text).__name__}", path)
    if len(text) > MAX_BYTES:  # characters >= bytes / 4: cheap early reject before encoding
        raise bad_input(_too_big(len(text)), path, 1, 1)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise _binary(text[: e.start].encode("utf-8", "replace"), e.start, path) from None
    if len(data) > MAX_BYTES:
        raise bad_input(_too_big(len(data)), path, 1, 1)
    if b"\x00" in data:
        raise _binary(data, data.index(b"\x00"), path)
    return data


def check_not_empty(data: bytes, path: str | None) -> None:
    if not data.strip():
        raise bad_input("empty input: no source text", path, 1, 1)


def _too_big(n: int) -> str:
    return f"input is {n} bytes; the frontend accepts at most {MAX_BYTES} bytes ({MAX_BYTES // (1024 * 1024)} MiB)"


def _binary(data: bytes, at: int, path: str | None):
    line = data.count(b"\n", 0, at) + 1
    col = at - (data.rfind(b"\n", 0, at) + 1) + 1
    return bad_input("binary data, not source text (NUL byte or invalid UTF-8)", path, line, col)


class OffsetMap:
    """Maps byte offsets of the rewritten text to (line, col) of the original. `pieces` are
    (new_start, orig_start, verbatim) in increasing order; inside a non-verbatim piece every offset maps
    to the start of the keyword it replaced."""

    def __init__(self, original: bytes, pieces: list[tuple[int, int, bool]]) -> None:
        self.original = original
        self._starts = [p[0] for p in pieces]
        self._pieces = pieces
        self._lines = [0] + [m.end() for m in re.finditer(rb"\n", original)]

    def orig_offset(self, new: int) -> int:
        i = bisect.bisect_right(self._starts, new) - 1
        if i < 0:
            return new
        ns, os_, verbatim = self._pieces[i]
        return os_ + (new - ns) if verbatim else os_

    def line_col(self, new: int) -> tuple[int, int]:
        """1-based line and column (in characters) of rewritten offset `new` in the original text."""
        off = min(self.orig_offset(new), len(self.original))
        li = bisect.bisect_right(self._lines, off) - 1
        start = self._lines[li]
        col = len(self.original[start:off].decode("utf-8", "replace")) + 1
        return li + 1, col


# calling-convention and export macros (empty on Linux, defined by the runtime's or the library's headers,
# which the frontend does not read): `void CUDART_CB cb(...)`, `mluOpStatus_t MLUOP_WIN_API f(...)`
_CALL_CONV = re.compile(rb"(?:CUDART_CB|CUDARTAPI|CUDAAPI|WINAPI|CALLBACK|__stdcall|__cdecl|[A-Z][A-Z0-9_]*_(?:API|CB|EXPORT))")
_CALL_CONV_NEXT = re.compile(rb"\s+\**\s*[A-Za-z_]\w*\s*\(|\s*\*\s*[A-Za-z_]\w*\s*\)\s*\(")


def _calling_convention(data: bytes, start: int, end: int, word: bytes) -> bool:
    """Is `word` at data[start:end] a calling-convention macro between a declaration's type and its name
    (`T CONV name(`, `T (CONV *name)(`)?"""
    if not _CALL_CONV.fullmatch(word):
        return False
    before = data[max(0, start - 128):start].rstrip()
    return bool(before) and (before[-1:].isalnum() or before[-1:] in b"_*&>(") and \
        _CALL_CONV_NEXT.match(data, end) is not None


def rewrite_keywords(data: bytes, keywords: dict[str, str]) -> tuple[bytes, OffsetMap]:
    """Replace each dialect keyword by its GNU attribute: `KW` -> `__attribute__((A))` and `KW(args)`
    -> `__attribute__((A(args)))`. Returns the new text and its offset map."""
    kw = {k.encode(): v.encode() for k, v in keywords.items()}
    pieces: list[tuple[int, int, bool]] = [(0, 0, True)]
    out: list[bytes] = []
    new_len = 0
    last = 0  # end of the original text already copied
    pos = 0
    n = len(data)
    lambda_kw_end: int | None = None  # end of the last execution-space keyword blanked on a lambda
    if True:
        pat = re.compile(_SKIP.pattern + rb"|" + _IDENT.pattern, re.DOTALL)
        for m in pat.finditer(data):
            word = m.group(0)
            if m.start() < last:
                continue
            if word == b"using":
                va = _VEC_ALIAS.match(data, m.start())
                if va is not None:
                    repl = b"typedef " + va.group(3) + b" " + va.group(1) + b" " + va.group(2) + b";"
                    out.append(data[last:m.start()])
                    new_len += m.start() - last
                    pieces.append((new_len, m.start(), False))
                    out.append(repl)
                    new_len += len(repl)
                    pieces.append((new_len, va.end(), True))
                    last = va.end()
                continue
            start, end = m.start(), m.end()
            if word[:1].isupper() and _calling_convention(data, start, end, word):  # blanked, offsets unchanged
                out.append(data[last:start] + b" " * (end - start))
                new_len += end - last
                last = end
                continue
            # `[=] __device__ (int i) {...}`, `[] __host__ __device__ (...)`: an execution-space keyword on a
            # lambda, where the grammar takes no attribute: blanked (same length, offsets unchanged)
            if word in (b"__host__", b"__device__") and (
                    data[max(0, start - 256):start].rstrip().endswith(b"]") or
                    (lambda_kw_end is not None and not data[lambda_kw_end:start].strip())):
                out.append(data[last:start] + b" " * (end - start))
                new_len += end - last
                last = lambda_kw_end = end
                continue
            attr = kw.get(word)
            if attr is None:
                continue
            args = b""
            j = end
            while j < n and data[j : j + 1] in (b" ", b"\t"):
                j += 1
            if j < n and data[j : j + 1] == b"(":
                close = _match_paren(data, j)
                if close is not None:
                    args = data[j : close + 1]
                    end = close + 1
            repl = b"__attribute__((" + attr + args + b"))"
            out.append(data[last:start])
            new_len += start - last
            pieces.append((new_len, start, False))
            out.append(repl)
            new_len += len(repl)
            pieces.append((new_len, end, True))
            last = end
            pos = end
    del pos
    out.append(data[last:])
    return b"".join(out), OffsetMap(data, pieces)


def _match_paren(data: bytes, i: int) -> int | None:
    """Index of the `)` matching the `(` at `i` (same line block; None when unbalanced)."""
    depth = 0
    for j in range(i, min(len(data), i + 4096)):
        c = data[j]
        if c == 40:
            depth += 1
        elif c == 41:
            depth -= 1
            if depth == 0:
                return j
    return None
