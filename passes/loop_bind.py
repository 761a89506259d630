"""loop_bind: map the independent loops of a serial kernel onto the target's parallel axes.

Input: a cuda/hip program whose `__global__` kernel runs as one thread (`<<<1, 1>>>` from a host wrapper, or
a bare kernel entry launched `grid=1,1,1 block=1,1,1`), or a bang program whose `__mlu_global__` kernel runs as
one task (`cnrtDim3_t` {1, 1, 1}, or `tasks=1`). For each such kernel, `_bind_common.select_band` picks the
outermost band of independent loops (LoopKind.PARALLEL or proven by the dependence test of `_deps`), and
the dialect module rewrites it:
  cuda/hip (`_bind_simt`): blockIdx.x * blockDim.x + threadIdx.x with a guard (knobs: block, grid);
  bang (`_bind_bang`): contiguous chunks of the flat iteration space per taskId (knobs: clusters, cores).
The launch is updated in the host code or in `program.launch`. Obligations (Z3): the binding decodes every
active (block, thread) / (task, index) into the iteration space, injectively and onto it; plus the
independence verdict. A kernel whose loops cannot be bound is left serial (the pass declines when no
kernel was bound). A kernel launched from host code with several top-level nests that write global memory is
first split into one kernel per nest, launched in order (`_bind_split`). Limits: see `_bind_common`
(rectangular bands).
"""

from __future__ import annotations

import importlib

from xpiler.pipeline.passes import Knob, Pass, PassContext, PassDeclined, PassResult
from xpiler.pipeline.program import Program

from . import _bind_common as C
from . import _bind_launch as L
from . import _bind_scratch as P
from . import _bind_split as S

_IMPL = {"cuda": "_bind_simt", "hip": "_bind_simt", "bang": "_bind_bang"}


class LoopBind(Pass):
    name = "loop_bind"
    optional = True
    knobs = (
        Knob("block", (64, 128, 256, 512, 1024), 256, "threads per block (cuda/hip; a multiple of the warp/wave)"),
        Knob("grid", (32, 64, 128, 256), 128, "blocks of a grid-stride loop when the trip count is not constant"),
        Knob("clusters", (1, 2, 4, 8), 4, "bang: clusters of the Union launch"),
        Knob("cores", (1, 2, 4), 4, "bang: cores per cluster (tasks = clusters * cores)"),
    )

    def applies(self, program: Program, ctx: PassContext) -> bool:
        return program.dialect in _IMPL and bool(L.serial_kernels(program))

    def run(self, program: Program, ctx: PassContext) -> PassResult:
        impl_name = _IMPL.get(program.dialect)
        if impl_name is None:
            raise PassDeclined(f"loop_bind: no binding for dialect {program.dialect}")
        impl = importlib.import_module(f"xpiler.passes.{impl_name}")
        program, split = S.split_kernels(program)  # several global-memory nests: one kernel each
        kernels = L.serial_kernels(program)
        if not kernels:
            raise PassDeclined("loop_bind: no kernel runs as a single thread / task")
        obligations, notes, declined = [], list(split), []
        for name in kernels:
            func = program.module.func(name)
            try:
                band = C.select_band(func, program.module)
            except PassDeclined as e:
                got = P.with_scratch(program, func, ctx) if program.dialect != "bang" else None
                if got is None:
                    declined.append(f"{name}: {e}")
                    continue
                program, func, band, how = got
                notes.append(f"{name}: {how}")
            host_grid = program.dialect != "bang" and not (program.entry_is_kernel and program.entry == name)
            new_func, launch, model, env = (impl.bind(band, ctx, program.dialect, host_grid=host_grid)
                                            if host_grid else impl.bind(band, ctx, program.dialect))
            program = L.replace_func(program, new_func)
            if program.dialect == "bang":
                program = L.set_bang_launch(program, name, launch["tasks"], launch["clusters"], launch["cores"])
            else:
                program = L.set_simt_launch(program, name, launch["grid"], launch["block"])
            obligations += C.obligations(band, model, env, name)
            loops = ", ".join(f.var.name for f in band.loops)
            where = " ".join(f"{k}={v if isinstance(v, int) else 'run-time'}" for k, v in launch.items())
            priv = f"; thread-private: {', '.join(band.private)}" if band.private else ""
            notes.append(f"{name}: bound ({loops}) [{band.proof}] with {where}{priv}")
        if len(notes) == len(split):
            raise PassDeclined("loop_bind: " + "; ".join(declined))
        notes += [f"left serial: {d}" for d in declined]
        return PassResult(program, obligations, notes=notes)


PASS = LoopBind()
