"""Cache (memory hoist): stage the data a loop nest reads and writes in fast on-chip memory.

bang (`_cache_bang`): the innermost loops of a `__mlu_global__` kernel that stream GDRAM pointers
contiguously are tiled; each tile of every such pointer is copied GDRAM -> NRAM with `__memcpy`, computed in
NRAM by the unchanged scalar body, and written back NRAM -> GDRAM. Tile sizes come from the NRAM capacity
and alignment facts of `backends/bang/dialect.py`.
cuda / hip: shared-memory staging is not implemented; the pass does not apply to them.

A program it cannot improve is declined (`PassDeclined`), never rewritten wrongly.
"""

from __future__ import annotations

from xpiler.pipeline.passes import Knob

from ._dispatch import DialectDispatch

PASS = DialectDispatch(
    "cache",
    {"bang": "_cache_bang"},  # cuda / hip: no shared-memory staging yet, so not applicable
    optional=True,
    knobs=(
        Knob("tile", (1024, 2048, 4096, 8192, 16384), 8192, "largest tile, in elements, of one staged buffer"),
        Knob("budget", (0.25, 0.5, 0.75), 0.5, "share of the free on-chip memory the staged buffers may take"),
    ),
)
