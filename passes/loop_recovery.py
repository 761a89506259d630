"""Loop recovery: turn a kernel's parallel axes (blockIdx/threadIdx, taskId/clusterId/coreId) into
sequential loops, undoing barriers (loop fission) and on-chip staging safely."""

from __future__ import annotations

from ._dispatch import DialectDispatch

# dialect -> private module implementing `run(program, ctx) -> PassResult` (and optional `applies`)
# `c`: a serial form lifted from SIMD code (vnni), whose lane loops become element loops again; that
# recovery only improves the code, so a failed attempt is skipped (optional for `c`)
PASS = DialectDispatch("loop_recovery", {"cuda": "_recovery_simt", "hip": "_recovery_simt", "bang": "_recovery_bang",
                                         "c": "_recovery_lanes"}, optional_dialects=("c",))
