"""Scratch buffers of a recovered task loop, for loop_bind.

A BANG kernel stages data in `__nram__` buffers, which are private to each core: the task loop that
loop_recovery builds is PARALLEL under that memory model. Lifted to another target those buffers are
module-level arrays, shared by every thread once the loop is bound, so the band only binds if each
iteration gets its own copy. Two ways, tried in order, each kept only if `select_band` then accepts the band
(the dependence test sees the new accesses):
- thread-private locals: the buffers become arrays local to the kernel when the band's reads of them are
  covered by its own writes and they fit half the target's per-thread private memory
  (`LanguageFacts.private_bytes_max`; the rest is left to the kernel's other locals);
- expansion: each one-dimensional buffer gets one slice per iteration of the outermost task loop
  (`buf[T * size]`, accessed as `(buf + task * size)[i]`), in global memory, when the loop has a constant
  trip count T and every use of the buffer is inside it; at most 64 MiB in all.
"""

from __future__ import annotations

import dataclasses

from xpiler.ir import nodes as N
from xpiler.ir.types import Scope
from xpiler.ir.visit import substitute, walk
from xpiler.pipeline.passes import PassContext, PassDeclined
from xpiler.pipeline.program import Program

from . import _bind_common as C
from ._cache_bang import alloc_bytes
from ._deps import expr_constant

EXPANDED_BYTES_MAX = 64 * 1024 * 1024


def with_scratch(program: Program, func: N.Func, ctx: PassContext):
    """(program, func, band, note) with the module scratch of `func` made per-iteration, or None."""
    moved = _scratch(program, func)
    if not moved:
        return None
    sizes = _sizes(moved, program.module.defines())
    if sizes is None:
        return None
    got = _private(program, func, moved, sum(sizes), ctx)
    if got is not None:
        return got
    return _expanded(program, func, moved, sizes)


def _scratch(program: Program, func: N.Func) -> list:
    others = {n.sym for f in program.module.funcs() if f.name != func.name for n in walk(f) if isinstance(n, N.Var)}
    used = {n.sym for n in walk(func) if isinstance(n, N.Var)}
    return [i for i in program.module.items if isinstance(i, N.Alloc) and i.init is None and not i.extern
            and not i.const and i.scope is not Scope.CONSTANT and i.sym in used and i.sym not in others]


def _sizes(moved: list, defines: dict) -> list[int] | None:
    out = [alloc_bytes(a, defines) for a in moved]
    return None if None in out else out


def _band(func: N.Func, module: N.Module):
    try:
        return C.select_band(func, module)
    except PassDeclined:
        return None


def _private(program: Program, func: N.Func, moved: list, total: int, ctx: PassContext):
    limit = ctx.language(program.dialect).private_bytes_max
    if limit is not None and total > limit // 2:
        return None
    local = tuple(dataclasses.replace(a, scope=Scope.LOCAL, static=False) for a in moved)
    new_func = dataclasses.replace(func, body=local + func.body)
    items = tuple(new_func if i is func else i for i in program.module.items if not any(i is a for a in moved))
    module = dataclasses.replace(program.module, items=items)
    band = _band(new_func, module)
    if band is None or not {a.sym.name for a in moved} <= set(band.private):
        return None
    names = ", ".join(a.sym.name for a in moved)
    return program.replace(module=module), new_func, band, f"module buffers {names} made thread-private locals"


def _expanded(program: Program, func: N.Func, moved: list, sizes: list[int]):
    defines = program.module.defines()
    loops = [(k, s) for k, s in enumerate(func.body) if isinstance(s, N.For) and s.kind is N.LoopKind.PARALLEL]
    if len(loops) != 1:
        return None
    k, loop = loops[0]
    start, stop, step = (expr_constant(e, defines) for e in (loop.start, loop.stop, loop.step))
    if start != 0 or step != 1 or stop is None or stop < 1:
        return None
    syms = {a.sym for a in moved}
    outside = func.body[:k] + func.body[k + 1:]
    if any(isinstance(n, N.Var) and n.sym in syms for s in outside for n in walk(s)):
        return None
    if any(len(a.shape) != 1 for a in moved) or stop * sum(sizes) > EXPANDED_BYTES_MAX:
        return None
    elems = {a.sym: expr_constant(a.shape[0], defines) for a in moved}
    mapping = {a.sym: N.BinOp("+", N.Var(a.sym), N.BinOp("*", N.Var(loop.var), N.Const(elems[a.sym])))
               for a in moved}
    new_loop = dataclasses.replace(loop, body=tuple(substitute(s, mapping) for s in loop.body))
    new_func = dataclasses.replace(func, body=func.body[:k] + (new_loop,) + func.body[k + 1:])
    grown = {id(a): dataclasses.replace(a, shape=(N.Const(stop * elems[a.sym]),)) for a in moved}
    items = tuple(new_func if i is func else grown.get(id(i), i) for i in program.module.items)
    module = dataclasses.replace(program.module, items=items)
    band = _band(new_func, module)
    if band is None:
        return None
    names = ", ".join(a.sym.name for a in moved)
    return (program.replace(module=module), new_func, band,
            f"module buffers {names} expanded to one slice per iteration of {loop.var.name} ({stop})")
