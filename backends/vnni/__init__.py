"""Dialect `vnni`: C with AVX-512 VNNI intrinsics. Native on CPUs with AVX-512 VNNI, SIMDe elsewhere."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from xpiler.backend import Backend, CompilerSpec
from xpiler.exec.host import cpu_flags

_ISA_FLAGS = ("-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx512vnni", "-mfma")
_NEEDED_CPU_FLAGS = ("avx512f", "avx512bw", "avx512vl", "avx512_vnni")


@lru_cache(maxsize=1)
def cpu_has_vnni() -> bool:
    """True when this CPU (and OS) run AVX-512 VNNI code; XPILER_VNNI=simde forces the emulation."""
    if os.environ.get("XPILER_VNNI", "").lower() == "simde":
        return False
    flags = cpu_flags()
    return all(f in flags for f in _NEEDED_CPU_FLAGS)


class VnniBackend(Backend):
    def compiler(self, source: str) -> CompilerSpec:
        base = ("-std=gnu++17", "-O2", "-fpermissive", "-w")
        if cpu_has_vnni():
            return CompilerSpec(("g++",), base + _ISA_FLAGS)
        return CompilerSpec(("g++",), base + ("-DXP_VNNI_SIMDE",))

    def include_dirs(self) -> list[Path]:
        return [self.runtime_dir, Path(__file__).parent.parent / "c" / "runtime"]


BACKEND = VnniBackend(
    name="vnni",
    extensions=(".cpp",),
    runtime_dir=Path(__file__).parent / "runtime",
    runtime_header="xp_vnni.h",
    description="C with AVX-512 VNNI intrinsics (_mm512_dpbusd_epi32); x86 CPU",
)
