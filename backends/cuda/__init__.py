"""Dialect `cuda`: CUDA C++ run on the CPU by the SIMT runtime (runtime/xp_cuda.h on top of _simt/).

Blocks run one after another; threads run as a loop, or as fibers when the kernel synchronizes
(__syncthreads, warp shuffles/votes, wmma). Faults real hardware would show (out-of-bounds access, barrier
divergence, a missing lane in a warp collective, shared memory over capacity, a launch above
__launch_bounds__, a cudaMemcpy in the wrong direction, a misaligned wmma pointer) are errors.
`toolchain.py` checks the source with the real nvcc (sm_80 and sm_90).
"""

from __future__ import annotations

from pathlib import Path

from .._simt import RUNTIME_SOURCE, SimtBackend


class CudaBackend(SimtBackend):
    pass


BACKEND = CudaBackend(
    name="cuda",
    extensions=(".cu",),
    kernel_qualifiers=("__global__",),
    runtime_dir=Path(__file__).parent / "runtime",
    runtime_header="xp_cuda.h",
    runtime_sources=(f"../../_simt/runtime/{RUNTIME_SOURCE}",),
    description="CUDA C++ (SIMT, warp 32, nvcuda::wmma); CPU emulation, nvcc for compile checks",
)
