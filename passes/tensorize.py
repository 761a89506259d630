"""Tensorize: replace a loop nest by a target intrinsic where its semantics match exactly, with operands in
the memory spaces and sizes the intrinsic requires; anything else stays scalar."""

from __future__ import annotations

import importlib

from xpiler.pipeline.passes import Knob, Pass, PassContext, PassDeclined, PassResult
from xpiler.pipeline.program import Program

# dialect -> private module implementing `run(program, ctx) -> PassResult` (and optional `applies`)
_IMPL = {"bang": "_tensorize_bang", "vnni": "_tensorize_vnni"}


class _Dispatch(Pass):
    name = "tensorize"
    optional = True
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
            raise PassDeclined(f"tensorize: nothing implements {program.dialect} -> {ctx.target}")
        return impl.run(program, ctx)


PASS = _Dispatch()
