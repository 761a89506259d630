"""Detensorize: replace every intrinsic call of the program's dialect (wmma, MFMA, warp shuffles,
__bang_*, __memcpy, _mm512_*) by the scalar code it stands for, so that later passes see plain loops."""

from __future__ import annotations

import importlib

from xpiler.pipeline.passes import Knob, Pass, PassContext, PassDeclined, PassResult
from xpiler.pipeline.program import Program

# dialect -> private module implementing `run(program, ctx) -> PassResult` (and optional `applies`)
_IMPL = {"cuda": "_detensorize_simt", "hip": "_detensorize_simt", "bang": "_detensorize_bang", "vnni": "_detensorize_vnni"}


class _Dispatch(Pass):
    name = "detensorize"
    optional = False
    knobs = ()

    def _impl(self, program: Program, ctx: PassContext):
        key = program.dialect
        mod = _IMPL.get(key)
        if mod is None:
            return None
        return importlib.import_module(f"xpiler.passes.{mod}")

    def applies(self, program: Program, ctx: PassContext) -> bool:
        impl = self._impl(program, ctx)
        if impl is None:
            return False
        check = getattr(impl, "applies", None)
        return True if check is None else bool(check(program, ctx))

    def run(self, program: Program, ctx: PassContext) -> PassResult:
        impl = self._impl(program, ctx)
        if impl is None:
            raise PassDeclined(f"detensorize: nothing implements {program.dialect} -> {ctx.target}")
        return impl.run(program, ctx)


PASS = _Dispatch()
