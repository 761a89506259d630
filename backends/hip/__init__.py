"""Dialect `hip`: HIP C++ for AMD CDNA (wave64, MFMA) run on the CPU by the SIMT runtime
(runtime/xp_hip.h on top of _simt/).

Like the CUDA executor, with 64-lane wavefronts, 64-bit lane masks, HIP's mask-less shuffles and votes,
64 KiB of LDS per block, and the `__builtin_amdgcn_mfma_*` builtins with the exact lane layouts of the
matrix cores. Compiled with clang (HIP code declares vectors with ext_vector_type). `toolchain.py` checks
the source with the real hipcc for gfx90a.
"""

from __future__ import annotations

from pathlib import Path

from .._simt import RUNTIME_SOURCE, SimtBackend


class HipBackend(SimtBackend):
    pass


BACKEND = HipBackend(
    name="hip",
    extensions=(".hip",),
    kernel_qualifiers=("__global__",),
    runtime_dir=Path(__file__).parent / "runtime",
    runtime_header="xp_hip.h",
    runtime_sources=(f"../../_simt/runtime/{RUNTIME_SOURCE}",),
    description="HIP C++ for AMD CDNA (wave64, MFMA builtins); CPU emulation, hipcc for compile checks",
)
