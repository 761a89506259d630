"""A pass implemented per dialect: `DialectDispatch(name, {dialect: private module}, optional=...)` runs the
module registered for the program's current dialect (`run(program, ctx) -> PassResult`, and `applies` when the
module defines it); a dialect without one is not applicable."""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from xpiler.pipeline.passes import Knob, Pass, PassContext, PassDeclined, PassResult
from xpiler.pipeline.program import Program


class DialectDispatch(Pass):
    def __init__(self, name: str, impl: Mapping[str, str], *, optional: bool = False, knobs: tuple[Knob, ...] = (),
                 optional_dialects: tuple[str, ...] = ()):
        self.name, self.impl, self.optional, self.knobs = name, dict(impl), optional, knobs
        self.optional_dialects = frozenset(optional_dialects)

    def is_optional(self, program: Program) -> bool:
        return self.optional or program.dialect in self.optional_dialects

    def _impl(self, program: Program):
        mod = self.impl.get(program.dialect)
        return None if mod is None else importlib.import_module(f"xpiler.passes.{mod}")

    def applies(self, program: Program, ctx: PassContext) -> bool:
        impl = self._impl(program)
        if impl is None:
            return False
        check = getattr(impl, "applies", None)
        return True if check is None else bool(check(program, ctx))

    def run(self, program: Program, ctx: PassContext) -> PassResult:
        impl = self._impl(program)
        if impl is None:
            raise PassDeclined(f"{self.name}: nothing implements {program.dialect} -> {ctx.target}")
        return impl.run(program, ctx)
