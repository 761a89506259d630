"""What target idioms a program uses: parallel axes bound, data staged in fast memories, intrinsics.
Read from the IR and the dialect facts (no text matching)."""

from __future__ import annotations

from xpiler.ir import nodes as N
from xpiler.ir.types import Scope
from xpiler.ir.visit import walk

_FAST = {Scope.SHARED, Scope.NRAM, Scope.WRAM, Scope.SRAM}


def idioms(module: N.Module) -> dict:
    axes, fast, intrinsics = set(), set(), set()
    for n in walk(module):
        if isinstance(n, N.Builtin):
            axes.add(n.name)
        elif isinstance(n, N.Alloc) and n.scope in _FAST:
            fast.add(n.scope.value)
        elif isinstance(n, N.Call) and n.kind is N.CallKind.INTRINSIC:
            intrinsics.add(n.name)
    for item in module.items:
        if isinstance(item, N.Alloc) and item.scope in _FAST:
            fast.add(item.scope.value)
    return {
        "parallel_axes": sorted(axes),
        "fast_memory": sorted(fast),
        "intrinsics": sorted(intrinsics),
    }
