"""The BANG C (Cambricon MLU) dialect: `.mlu` kernels run on the CPU through the native runtime in `runtime/`.

The runtime (runtime/xp_bang.h, xp_bang_rt.cpp, xp_bang_ops.cpp) emulates the MLU's task model (Block and
UnionN launches of clusters x cores), its memory spaces as separate arenas with the selected generation's
capacities (NRAM, WRAM, SRAM per cluster, LDRAM; GDRAM from the harness and cnrtMalloc), and the `__bang_*`
/ `__memcpy` intrinsics with the manual's operand checks. The facts (capacities, alignment) come from
`dialect.py` and reach the C++ side as `-D` macros (`defines()`).

Python-side adjustments, each keeping the line count:

* `defines()`: the generation's facts; `XP_BANG_COOPERATIVE` when the source names a cluster/all barrier, so
  the tasks of a union job run as fibers that meet at barriers.
* `prepare()`: `static` and `const` next to an on-chip qualifier are blanked (the qualifier already makes
  the object static, and a const object in the same section as writable ones is a section conflict);
  `__asm__ volatile("sync;")` becomes `__sync()`.
"""

from __future__ import annotations

import re
from pathlib import Path

from xpiler.backend import Backend, CompilerSpec
from xpiler.exec.host import cpu_flags
from xpiler.exec.scan import blank_comments_and_strings

from .._simt import cpu_compiler
from .dialect import DIALECT, compile_defines, generation

RUNTIME_DIR = Path(__file__).parent / "runtime"

_BARRIER = re.compile(r"\b(?:__sync_cluster|__sync_all\w*)\b")
_ONCHIP = r"(?:__nram__|__wram__|__mlu_shared__|__ldram__)"
_STATIC_BEFORE = re.compile(r"\b(?:static|const)\b(?=\s+(?:(?:static|const|volatile)\s+)*" + _ONCHIP + r"\b)")
_ONCHIP_DECL = re.compile(r"\b" + _ONCHIP + r"\b")
_ASM_SYNC = re.compile(r"\b(?:__asm__|asm)\s*(?:volatile|__volatile__)?\s*\(\s*\"\s*sync\s*;?\s*\"\s*\)")


def needs_cooperative(source: str) -> bool:
    """True when the source names a barrier that makes cores wait for each other."""
    return bool(_BARRIER.search(blank_comments_and_strings(source)))


def _blank(text: list[str], start: int, end: int) -> None:
    for i in range(start, end):
        if text[i] != "\n":
            text[i] = " "


def prepare_bang_source(source: str) -> str:
    """The source with the adjustments listed in the module docstring; same length and line count."""
    masked = blank_comments_and_strings(source)
    out = list(source)
    for m in _STATIC_BEFORE.finditer(masked):
        _blank(out, m.start(), m.end())
    for m in _ONCHIP_DECL.finditer(masked):
        # specifiers after the qualifier, up to the declarator: blank `static` / `const` among them
        j = m.end()
        stop = j
        while stop < len(masked) and masked[stop] not in ";=[({*&,":
            stop += 1
        for w in re.finditer(r"\b(?:static|const)\b", masked[j:stop]):
            _blank(out, j + w.start(), j + w.end())
    text = "".join(out)
    # __asm__ volatile("sync;") -> __sync(): match in the original text, skip matches inside comments
    pieces = []
    pos = 0
    for m in _ASM_SYNC.finditer(text):
        if masked[m.start()] != text[m.start()]:
            continue
        pieces.append(text[pos : m.start()])
        span = text[m.start() : m.end()]  # always longer than the replacement: pad it to keep offsets
        pieces.append("__sync()" + "".join(c if c == "\n" else " " for c in span[len("__sync()") :]))
        pos = m.end()
    pieces.append(text[pos:])
    return "".join(pieces)


class BangBackend(Backend):
    """Cambricon BANG C on the CPU (see the module docstring and runtime/xp_bang.h)."""

    def compiler(self, source: str) -> CompilerSpec:
        # clang: g++ 12 drops the `section` attribute of static locals in templates (a __nram__ array in a
        # template function would silently not be NRAM).
        flags = ["-std=c++17", "-O2", "-fno-strict-aliasing", "-w"]
        if "f16c" in cpu_flags():
            flags.append("-mf16c")
        return CompilerSpec(cpu_compiler(), tuple(flags))

    def defines(self, source: str) -> dict[str, str]:
        d = compile_defines(generation())
        if needs_cooperative(source):
            d["XP_BANG_COOPERATIVE"] = "1"
        return d

    def prepare(self, source: str) -> str:
        return prepare_bang_source(source)


BACKEND = BangBackend(
    name="bang",
    extensions=(".mlu",),
    kernel_qualifiers=("__mlu_global__", "__mlu_entry__"),
    runtime_dir=RUNTIME_DIR,
    runtime_header="xp_bang.h",
    runtime_sources=("xp_bang_rt.cpp", "xp_bang_ops.cpp"),
    description="Cambricon BANG C (MLU): tasks/clusters/cores, NRAM/WRAM/SRAM/GDRAM, __bang_* intrinsics",
    extra={"dialect": DIALECT},
)

__all__ = ["BACKEND", "BangBackend", "needs_cooperative", "prepare_bang_source"]
