"""Loop recovery: turn a kernel's parallel axes (blockIdx/threadIdx, taskId/clusterId/coreId) into
sequential loops, undoing barriers (loop fission) and on-chip staging safely."""

from __future__ import annotations

import importlib

from xpiler.pipeline.passes import Pass, PassContext, PassDeclined, PassResult
from xpiler.pipeline.program import Program

# dialect -> private module implementing `run(program, ctx) -> PassResult` (and optional `applies`)
_IMPL = {"cuda": "_recovery_simt", "hip": "_recovery_simt", "bang": "_recovery_bang"}


class _Dispatch(Pass):
    name = "loop_recovery"
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
            raise PassDeclined(f"loop_recovery: nothing implements {program.dialect} -> {ctx.target}")
        return impl.run(program, ctx)


PASS = _Dispatch()
