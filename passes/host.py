"""Host-code conversion between a device dialect and the serial form (dialect `c`).

Direction, from the program's dialect and the target:
  IN  (cuda / hip / bang -> c): serial kernels (loop_recovery done: launched <<<1, 1>>> or with one task)
      become plain functions, launches become calls, the device runtime's allocation and copies become
      malloc / memcpy / free, synchronisation and error checks disappear; a device buffer that is only a
      full copy of a host parameter is replaced by that parameter when that is clearly safe
      (passes/_host_in.py).
  OUT (c -> cuda / hip / bang / vnni): the entry function's body becomes a one-thread kernel plus a host
      wrapper of the entry's name (or, for a source whose entry was a bare kernel, the kernel itself with a
      launch line); c -> vnni only relabels the dialect (passes/_host_out.py).
"""

from __future__ import annotations

import importlib

from xpiler.pipeline.passes import Knob, Pass, PassContext, PassDeclined, PassResult
from xpiler.pipeline.program import Program

DEVICE_DIALECTS = ("cuda", "hip", "bang")


def direction(program: Program, ctx: PassContext) -> str | None:
    """"in" (device dialect -> c), "out" (c -> the target) or None (nothing to do)."""
    if program.dialect != "c" and ctx.target != program.dialect:
        return "in"
    if program.dialect == "c" and ctx.target != "c":
        return "out"
    return None


class HostPass(Pass):
    name = "host"
    optional = False
    knobs = (
        Knob("kernel_entry", (False, True), False,
             "OUT: emit a bare kernel with the entry's name (the source entry was a kernel)"),
        Knob("alias_copies", (True, False), True,
             "IN: replace a device buffer that is a full copy of a host parameter by the parameter"),
    )

    def applies(self, program: Program, ctx: PassContext) -> bool:
        d = direction(program, ctx)
        if d == "in":
            return program.dialect in DEVICE_DIALECTS
        if d == "out":
            return ctx.target in DEVICE_DIALECTS + ("vnni",)
        return False

    def run(self, program: Program, ctx: PassContext) -> PassResult:
        d = direction(program, ctx)
        if d is None or not self.applies(program, ctx):
            raise PassDeclined(f"host: nothing converts {program.dialect} for target {ctx.target}")
        impl = importlib.import_module(f"xpiler.passes._host_{d}")
        return impl.run(program, ctx)


PASS = HostPass()
