"""Port: direct SIMT-to-SIMT translation between CUDA and HIP for kernels without wmma / MFMA.

Runtime API and header renames, and warp collectives mapped through the two intrinsic catalogues with
their 32- vs 64-lane semantics kept (see passes/_port_simt.py for the rules and what makes it decline).
The serial route (lift to c, lower again) is the fallback when this pass declines."""

from __future__ import annotations

from xpiler.pipeline.passes import Pass, PassContext, PassDeclined, PassResult
from xpiler.pipeline.program import Program

PAIRS = {("cuda", "hip"), ("hip", "cuda")}


class PortPass(Pass):
    name = "port"
    optional = False
    knobs = ()

    def applies(self, program: Program, ctx: PassContext) -> bool:
        return (program.dialect, ctx.target) in PAIRS

    def run(self, program: Program, ctx: PassContext) -> PassResult:
        if not self.applies(program, ctx):
            raise PassDeclined(f"port: only cuda <-> hip, not {program.dialect} -> {ctx.target}")
        from xpiler.passes._port_simt import run

        return run(program, ctx)


PASS = PortPass()
