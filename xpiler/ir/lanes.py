"""Tail masks of SIMD code as the IR spells them once intrinsics are lowered: `(1 << n) - 1` selects the n
leading lanes of a vector, and `(m >> l) & 1` tests lane l of mask m. One recognizer for every analysis and
pass that reasons about masked tails (extents, the dependence test, lane-loop recovery)."""

from __future__ import annotations

from . import nodes as N


def strip_casts(e: N.Expr) -> N.Expr:
    while isinstance(e, N.Cast):
        e = e.value
    return e


def _is_one(e: N.Expr) -> bool:
    e = strip_casts(e)
    return isinstance(e, N.Const) and e.value == 1 and not isinstance(e.value, bool)


def prefix_mask_count(e: N.Expr) -> N.Expr | None:
    """n when `e` is the mask `(1 << n) - 1` (through casts), else None."""
    e = strip_casts(e)
    if isinstance(e, N.BinOp) and e.op == "-" and _is_one(e.b):
        sh = strip_casts(e.a)
        if isinstance(sh, N.BinOp) and sh.op == "<<" and _is_one(sh.a):
            return sh.b
    return None


def lane_test(e: N.Expr) -> tuple[N.Expr, N.Expr] | None:
    """(mask, lane) when `e` is the lane test `(mask >> lane) & 1` (through casts), else None. The mask is
    returned without its casts."""
    if isinstance(e, N.BinOp) and e.op == "&" and _is_one(e.b):
        sh = strip_casts(e.a)
        if isinstance(sh, N.BinOp) and sh.op == ">>":
            return strip_casts(sh.a), sh.b
    return None
