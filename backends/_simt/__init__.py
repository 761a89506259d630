"""What the CUDA and HIP executors share: the SIMT runtime (`runtime/`) and a `Backend` base class.

The runtime runs a grid on the CPU (see runtime/xp_simt.h). The Python side chooses the execution mode and
adjusts the source, keeping its line count:

* `defines()`: kernels that use barriers, warp/wave collectives, wmma or MFMA need the cooperative mode
  (every thread a fiber), so `XP_SIMT_COOPERATIVE` is defined for them; the rest run as plain loops.
* `prepare()`:
  - in front of each kernel definition `XP_SIMT_KDECL(K)`, and at the top of its body
    `XP_SIMT_KENTER(K, <__launch_bounds__ value or 0>)`: the kernel registers its name, its launch bound and
    its static shared-memory section when its first thread enters it, so a launch above the bound and
    shared memory above the capacity fault as hardware would;
  - `__shared__` inside a kernel body becomes `XP_SIMT_SHARED_IN(K)` (the kernel's own linker section);
  - `extern __shared__ T name[];` becomes `T*& name = xp_dynsmem_slot<T>::p;` (dynamic shared memory, set
    per launch);
  - `__noinline__` becomes `__attribute__((noinline))` (as a macro it would break libstdc++ headers);
  - a file's own type named like a runtime vector type (`using float4 = ...`) is renamed with its uses.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from xpiler.backend import Backend, CompilerSpec
from xpiler.exec.scan import blank_comments_and_strings, blank_preprocessor, find_functions

RUNTIME_DIR = Path(__file__).parent / "runtime"
RUNTIME_SOURCE = "xp_simt.cpp"

# Anything whose semantics needs threads that wait for each other.
_COOPERATIVE = re.compile(
    r"\b(?:__syncthreads\w*|__syncwarp|__shfl\w*|__ballot\w*|__any\w*|__all\w*|__activemask|__reduce_\w+_sync"
    r"|__match_\w+_sync|wmma|__builtin_amdgcn_mfma_\w+|cooperative_groups|this_thread_block|tiled_partition"
    r"|__lane_id)\b"
)
_DYN_SHARED = re.compile(r"\bextern\s+__shared__\s+([^;\[\]]*?)\s*\b([A-Za-z_]\w*)\s*\[\s*\]\s*;")
_ALIGN_ATTR = re.compile(
    r"__align__\s*\(\s*\w+\s*\)|alignas\s*\([^()]*\)|__attribute__\s*\(\((?:[^()]|\([^()]*\))*\)\)"
)
_SHARED = re.compile(r"\b__shared__\b")
_NOINLINE = re.compile(r"\b__noinline__\b")
_LAUNCH_BOUNDS = re.compile(r"\b__launch_bounds__\s*\(")


def _first_argument(text: str, open_paren: int) -> str | None:
    """The first top-level argument of the call whose '(' is at `open_paren`."""
    depth = 0
    for j in range(open_paren, len(text)):
        c = text[j]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return text[open_paren + 1 : j].strip()
        elif c == "," and depth == 1:
            return text[open_paren + 1 : j].strip()
    return None


@dataclass(frozen=True)
class KernelSpan:
    name: str
    head: int  # offset of the first token of the declaration (template <...>, extern "C", __global__, ...)
    name_pos: int
    body_open: int  # offset of '{'
    body_close: int  # offset of the matching '}'
    bounds: str  # the __launch_bounds__ maximum, "0" when there is none


def kernel_spans(source: str, qualifiers: tuple[str, ...]) -> list[KernelSpan]:
    """Kernel definitions (functions whose declaration carries one of `qualifiers`) with their offsets."""
    masked = blank_preprocessor(blank_comments_and_strings(source))
    spans = []
    for fn in find_functions(source):
        if not any(re.search(rf"\b{re.escape(q)}\b", fn.qualifiers) for q in qualifiers):
            continue
        bounds = "0"
        lb = _LAUNCH_BOUNDS.search(masked, fn.start, fn.name_pos)
        if lb:
            bounds = _first_argument(masked, lb.end() - 1) or "0"
        spans.append(KernelSpan(fn.name, fn.start, fn.name_pos, fn.body_open, fn.body_close, bounds))
    return spans


_VEC_FAMILIES = ("char", "uchar", "short", "ushort", "int", "uint", "long", "ulong", "longlong", "ulonglong",
                 "float", "double")
RUNTIME_VECTOR_TYPES = frozenset([f"{f}{n}" for f in _VEC_FAMILIES for n in (1, 2, 3, 4)]
                                 + ["half2", "__half2", "bfloat162", "__nv_bfloat162"])
_USER_TYPE = re.compile(r"\busing\s+([A-Za-z_]\w*)\s*=|\btypedef\b[^;{}]*?\b([A-Za-z_]\w*)\s*"
                        r"(?:__attribute__\s*\(\((?:[^()]|\([^()]*(?:\([^()]*\))*[^()]*\))*\)\)\s*)?;")


def rename_shadowed_vector_types(source: str) -> str:
    """A file's own type named like a vector type of the runtime (`using float4 = __attribute__((
    __vector_size__(16))) float;`, as kernels built without the vendor headers write it) is renamed
    (xp_user_float4) with every use, so it does not collide with the runtime's float4 (same line count)."""
    masked = blank_preprocessor(blank_comments_and_strings(source))
    names = {m.group(1) or m.group(2) for m in _USER_TYPE.finditer(masked)} & RUNTIME_VECTOR_TYPES
    if not names:
        return source
    out, pos = [], 0
    for m in re.finditer(r"\b(" + "|".join(sorted(names)) + r")\b", masked):
        if masked[max(0, m.start() - 2):m.start()] in ("::",) or masked[max(0, m.start() - 1):m.start()] == ".":
            continue
        out.append(source[pos:m.start()])
        out.append("xp_user_" + m.group(1))
        pos = m.end()
    out.append(source[pos:])
    return "".join(out)


def prepare_simt_source(source: str, qualifiers: tuple[str, ...] = ("__global__",)) -> str:
    """The source rewrites described in the module docstring (same line count)."""
    source = rename_shadowed_vector_types(source)
    masked = blank_preprocessor(blank_comments_and_strings(source))
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement), non-overlapping

    dyn_ranges = []
    for m in _DYN_SHARED.finditer(masked):
        ctype = _ALIGN_ATTR.sub(" ", source[m.start(1) : m.end(1)]).strip()
        ctype = re.sub(r"\s+", " ", ctype)
        name = m.group(2)
        text = f"{ctype}*& {name} = xp_dynsmem_slot<{ctype}>::p;"
        # keep the newlines of a declaration spread over several lines
        text += "\n" * source.count("\n", m.start(), m.end())
        edits.append((m.start(), m.end(), text))
        dyn_ranges.append((m.start(), m.end()))

    def in_dyn(pos: int) -> bool:
        return any(a <= pos < b for a, b in dyn_ranges)

    for k in kernel_spans(source, qualifiers):
        edits.append((k.head, k.head, f"XP_SIMT_KDECL({k.name}) "))
        bounds = re.sub(r"\s+", " ", k.bounds)
        edits.append((k.body_open + 1, k.body_open + 1, f" XP_SIMT_KENTER({k.name}, {bounds})"))
        for m in _SHARED.finditer(masked, k.body_open, k.body_close):
            if not in_dyn(m.start()):
                edits.append((m.start(), m.end(), f"XP_SIMT_SHARED_IN({k.name})"))
    for m in _NOINLINE.finditer(masked):
        edits.append((m.start(), m.end(), "__attribute__((noinline))"))

    out = []
    pos = 0
    for start, end, text in sorted(edits, key=lambda e: (e[0], e[1])):
        out.append(source[pos:start])
        out.append(text)
        pos = max(pos, end)
    out.append(source[pos:])
    return "".join(out)


def needs_cooperative(source: str) -> bool:
    """True when the source uses anything that makes threads wait for each other."""
    return bool(_COOPERATIVE.search(blank_comments_and_strings(source)))


def cpu_compiler() -> tuple[str, ...]:
    """clang++-15 when present (it honours `section` on template statics and knows ext_vector_type)."""
    for c in ("clang++-15", "clang++"):
        if shutil.which(c):
            return (c,)
    return ("g++",)


class SimtBackend(Backend):
    """Base of the CUDA and HIP backends: the runtime lives in `<dialect>/runtime` + `_simt/runtime`."""

    def compiler(self, source: str) -> CompilerSpec:
        # -fstack-clash-protection: a frame larger than the guard page still touches it first, so a fiber
        # that overflows its stack is reported as a stack overflow.
        flags = ("-std=c++17", "-O2", "-fno-strict-aliasing", "-fstack-clash-protection", "-w")
        return CompilerSpec(cpu_compiler(), flags)

    def include_dirs(self) -> list[Path]:
        assert self.runtime_dir is not None
        return [self.runtime_dir, self.runtime_dir / "include", RUNTIME_DIR]

    def prepare(self, source: str) -> str:
        return prepare_simt_source(source, self.kernel_qualifiers)

    def defines(self, source: str) -> dict[str, str]:
        return {"XP_SIMT_COOPERATIVE": "1"} if needs_cooperative(source) else {}
