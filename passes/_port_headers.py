"""The user's own headers in a CUDA <-> HIP port: a header of the program (beside the file or in a -I folder)
that uses the source's runtime API (cuda-samples' helper_cuda.h, rocm-examples' example_utils.hpp) cannot be
included by the target as it is: it includes the source's runtime and calls its functions. The port inlines
such a header, ported with the same runtime table as the file (backends/_simt/runtime_api.py): runtime names
renamed, runtime headers swapped, the runtime's include-guard macros (`#ifdef __DRIVER_TYPES_H__`) replaced by
the target's, headers it includes that use the API inlined in turn (once each). Names with the runtime's prefix
that the header defines itself (`cudaDeviceInit`, `hipCheck`) are the user's and keep their spelling, here and
in the file. Comments and string literals are left alone (a program's printed text must not change).

The header is carried as text, not parsed: the file's own code is what the passes model; the header comes
along so that the output compiles on its own with the target's compiler.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from xpiler.ir import nodes as N

_INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"]+)[>"][^\n]*$', re.M)
_TOKENS = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|\b[A-Za-z_]\w*\b', re.S)
_MAX_DEPTH = 8


def resolve(path: str, system: bool, program) -> Path | None:
    """The header file a `#include` names, searched as a compiler would with the program's folders: the source
    file's folder first for a quoted include, then the user's -I folders (both forms). None when it is not
    found there (a system or toolkit header)."""
    dirs = []
    if not system and program.include_dir:
        dirs.append(program.include_dir)
    dirs += list(program.include_dirs or ())
    for d in dirs:
        p = Path(d) / path
        if p.is_file():
            return p.resolve()
    return None


def _read(path: Path) -> str:
    """The header's text, read once per version of the file (a header is asked about several times)."""
    return _read_version(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=256)
def _read_version(path: Path, _mtime_ns: int) -> str:
    return path.read_text(errors="replace")


def _code(text: str) -> str:
    """`text` with comments and string literals blanked."""
    return _TOKENS.sub(lambda m: " " if m.group(0)[0] in "/\"'" else m.group(0), text)


def uses_api(path: Path, program, prefix: str, runtime_headers: set, depth: int = 0) -> bool:
    """Does the header (or a user header it includes) name the source runtime's API or include its headers?"""
    try:
        text = _read(path)
    except OSError:
        return False
    code = _code(text)
    if re.search(rf"\b{prefix}[A-Z]\w*", code):
        return True
    for m in _INCLUDE.finditer(text):
        if m.group(2) in runtime_headers:
            return True
        sub = resolve(m.group(2), m.group(1) == "<", _Beside(path, program)) if depth < _MAX_DEPTH else None
        if sub is not None and sub != path and uses_api(sub, program, prefix, runtime_headers, depth + 1):
            return True
    return False


class _Beside:
    """The search folders for a header's own includes: its folder, then the program's -I folders."""

    def __init__(self, path: Path, program) -> None:
        self.include_dir = str(path.parent)
        self.include_dirs = program.include_dirs


def defined_names(path: Path, prefix: str) -> set[str]:
    """Names with the runtime's prefix that the header defines (functions, macros, types)."""
    code = _code(_read(path))
    out = set(re.findall(rf"#\s*define\s+({prefix}\w*)", code))
    out |= set(re.findall(rf"\b({prefix}\w*)\s*\([^;{{}}]*\)\s*(?:const\s*)?\{{", code))
    out |= set(re.findall(rf"\b(?:struct|class|enum|union)\s+({prefix}\w*)", code))
    out |= set(re.findall(rf"\btypedef\b[^;]*\b({prefix}\w*)\s*;", code))
    return out


def port_words(text: str, port) -> str:
    """Code carried as text (a function the frontend keeps verbatim, a header) ported word by word: runtime
    names through the table, the runtime's include guards to the target's; comments and strings unchanged."""
    from xpiler.backends._simt.runtime_api import RUNTIME_GUARDS

    guards = set(RUNTIME_GUARDS.get(port.src, ()))
    target_guard = RUNTIME_GUARDS.get(port.dst, ("",))[0]
    prefix = port.ls.host_api_prefixes[0]

    def word(m) -> str:
        w = m.group(0)
        if w[0] in "/\"'":
            return w
        if w in guards:
            return target_guard
        if w.startswith(prefix):
            return port.rename_lenient(w)
        return w

    return _TOKENS.sub(word, text)


def ported_text(path: Path, port, program, runtime_headers: set, seen: set, depth: int = 0) -> str:
    """The header's text ported to the target (see the module docstring); nested user headers that use the
    API inlined once (`seen`), the rest of its includes kept."""
    seen.add(path)
    text = _read(path)
    prefix = port.ls.host_api_prefixes[0]

    def include(m) -> str:
        system, name = m.group(1) == "<", m.group(2)
        if name in runtime_headers:
            new = port.include(name)
            return f"#include <{new}>" if new else f"// #include <{name}>: {port.dst} needs no counterpart"
        sub = resolve(name, system, _Beside(path, program)) if depth < _MAX_DEPTH else None
        if sub is not None and uses_api(sub, program, prefix, runtime_headers):
            if sub in seen:
                return f"// {name}: inlined above"
            return ported_text(sub, port, program, runtime_headers, seen, depth + 1)
        if not system and (path.parent / name).is_file() and any(
                Path(d).resolve() == path.parent.resolve() for d in program.include_dirs or ()):
            return f"#include <{name}>"  # beside the inlined header, in a -I folder: found from the output too
        return m.group(0)

    parts = []
    last = 0
    for m in _INCLUDE.finditer(text):
        parts.append(port_words(text[last:m.start()], port))
        parts.append(include(m))
        last = m.end()
    parts.append(port_words(text[last:], port))
    body = re.sub(r"^[ \t]*#[ \t]*pragma[ \t]+once\b[^\n]*", "// (#pragma once: inlined once)", "".join(parts),
                  flags=re.M).rstrip("\n")
    return (f"// ---- {path.name}: the program's header, ported from {port.src} to {port.dst} by xpiler ----\n"
            f"{body}\n// ---- end of {path.name} ----")


def inline_item(it: N.Include, port, program, runtime_headers: set, seen: set) -> N.Directive | None:
    """The Include replaced by its ported text when it is a user header that uses the source's API; None to
    keep the Include as it is."""
    prefix = port.ls.host_api_prefixes[0]
    path = resolve(it.path, it.system, program)
    if path is None or not uses_api(path, program, prefix, runtime_headers):
        return None
    if path in seen:
        return N.Directive("verbatim", f"// {it.path}: inlined above")
    return N.Directive("verbatim", ported_text(path, port, program, runtime_headers, seen))


def user_defined(program, port, runtime_headers: set) -> set[str]:
    """Prefixed names that the program's API-using headers define (all of them, nested ones too)."""
    prefix = port.ls.host_api_prefixes[0]
    out: set[str] = set()
    todo = [(it.path, it.system, program) for it in program.module.items if isinstance(it, N.Include)]
    seen: set = set()
    while todo:
        name, system, where = todo.pop()
        p = resolve(name, system, where)
        if p is None or p in seen or not uses_api(p, program, prefix, runtime_headers):
            continue
        seen.add(p)
        out |= defined_names(p, prefix)
        text = _read(p)
        todo += [(m.group(2), m.group(1) == "<", _Beside(p, program)) for m in _INCLUDE.finditer(text)]
    return out
