"""Cache (memory hoist): stage the data a loop nest reads and writes in fast on-chip memory.

bang (`_cache_bang`): the innermost loops of a `__mlu_global__` kernel that stream GDRAM pointers
contiguously are tiled; each tile of every such pointer is copied GDRAM -> NRAM with `__memcpy`, computed in
NRAM by the unchanged scalar body, and written back NRAM -> GDRAM. Tile sizes come from the NRAM capacity
and alignment facts of `backends/bang/dialect.py`.
cuda / hip (`_cache_simt`): not implemented; the pass declines (it is optional).

A program it cannot improve is declined (`PassDeclined`), never rewritten wrongly.
"""

from __future__ import annotations

import importlib

from xpiler.pipeline.passes import Knob, Pass, PassContext, PassDeclined, PassResult
from xpiler.pipeline.program import Program

_IMPL = {"bang": "_cache_bang", "cuda": "_cache_simt", "hip": "_cache_simt"}


class _Dispatch(Pass):
    name = "cache"
    optional = True
    knobs = (
        Knob("tile", (1024, 2048, 4096, 8192, 16384), 8192, "largest tile, in elements, of one staged buffer"),
        Knob("budget", (0.25, 0.5, 0.75), 0.5, "share of the free on-chip memory the staged buffers may take"),
    )

    def _impl(self, program: Program):
        mod = _IMPL.get(program.dialect)
        if mod is None:
            return None
        try:
            return importlib.import_module(f"xpiler.passes.{mod}")
        except ModuleNotFoundError:
            return None

    def applies(self, program: Program, ctx: PassContext) -> bool:
        impl = self._impl(program)
        if impl is None:
            return False
        check = getattr(impl, "applies", None)
        return True if check is None else bool(check(program, ctx))

    def run(self, program: Program, ctx: PassContext) -> PassResult:
        impl = self._impl(program)
        if impl is None:
            raise PassDeclined(f"cache: nothing implements {program.dialect}")
        return impl.run(program, ctx)


PASS = _Dispatch()
