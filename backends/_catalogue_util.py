"""Shared helpers of the intrinsic catalogues (`backends/<d>/intrinsics.py`).

Conventions every catalogue follows (they complete the schema in `xpiler/ir/intrinsic.py`):

* Operands are listed in call-argument order. Operands that are not call arguments are named in
  `extra["pseudo"]`: `ret` (role out) is the value a value-returning intrinsic yields (`_mm512_add_ps`,
  `__shfl_down_sync`, MFMA builtins); it is always the last operand.
* Trailing optional arguments are listed in `extra["optional"]` with their defaults in `extra["defaults"]`
  (a number, or the name of another operand: `stride_x` defaults to `kernel_w`). Semantics and loop forms
  take such operands as keywords defaulting to None.
* Register values (`__m512`, `floatx4`, a lane's `var` of a shuffle) are operands of scope LOCAL: their
  `count` is the number of elements of the natural element view, and in semantics and loop forms they are
  flat arrays (`__m512` = float[16]). Warp/wave-collective operands are arrays indexed by lane first
  (`var[lane]`, MFMA `a[lane][item]`), so one call of the loop form describes the whole warp/wave.
* In a constraint expression a pointer operand's name stands for its byte address (`p % 64 == 0`), and
  `itemsize` for the element size of the pointer operands.
* Loop forms may need facts the call's arguments do not carry but the operands' types do (element size,
  fragment shape): those are keyword "type parameters" listed in `extra["type_params"]` with defaults.
* Semantics compute in float64 and round once to the element type, as the CPU runtimes do; loop forms are
  plain C loops (float32 arithmetic), so the two agree to float32 tolerance and exactly for integers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from xpiler.ir.intrinsic import Operand
from xpiler.ir.nodes import (
    BinOp,
    Call,
    CallKind,
    Cast,
    Const,
    Decl,
    Expr,
    For,
    Load,
    Select,
    Store,
    Sym,
    UnOp,
    Var,
)
from xpiler.ir.types import Scalar, Scope

FLOATS = ("float16", "bfloat16", "float32")
INTS = ("int8", "uint8", "int16", "uint16", "int32", "uint32")
NUMERIC = FLOATS + INTS


# ---------------------------------------------------------------------------------------------- operands
def ptr(name: str, role: str, scopes: Sequence[Scope], count: str | int | None,
        dtypes: Sequence[str] = ()) -> Operand:
    return Operand(name, role, tuple(dtypes), tuple(scopes), None if count is None else str(count))


def reg(name: str, role: str, count: str | int, dtypes: Sequence[str] = ()) -> Operand:
    """A register value (vector / lane values) viewed as `count` elements."""
    return Operand(name, role, tuple(dtypes), (Scope.LOCAL,), str(count))


def num(name: str, dtypes: Sequence[str] = ("int32",)) -> Operand:
    return Operand(name, "scalar", tuple(dtypes))


def enum(name: str) -> Operand:
    return Operand(name, "enum")


# ---------------------------------------------------------------------------------------------- IR builders
def c(v: float | Expr) -> Expr:
    """An IR constant for a Python number (IR expressions pass through)."""
    if isinstance(v, Expr):
        return v
    if isinstance(v, bool):
        return Const(v, "bool")
    if isinstance(v, int):
        return Const(v, "int32" if -(2**31) <= v < 2**31 else "int64")
    return Const(float(v), "float32")


def b(op: str, x, y) -> Expr:
    return BinOp(op, c(x), c(y))


def add(x, y) -> Expr:
    return b("+", x, y)


def mul(x, y) -> Expr:
    return b("*", x, y)


def ld(base: Expr, *ix) -> Expr:
    return Load(base, tuple(c(i) for i in ix))


def st(base: Expr, ix, value, op: str | None = None) -> Store:
    ix = ix if isinstance(ix, tuple) else (ix,)
    return Store(Load(base, tuple(c(i) for i in ix)), c(value), op)


def math(name: str, *args) -> Expr:
    return Call(name, tuple(c(a) for a in args), CallKind.MATH)


def sel(cond, x, y) -> Expr:
    return Select(c(cond), c(x), c(y))


def neg(x) -> Expr:
    return UnOp("-", c(x))


def cast(dtype: str, x) -> Expr:
    return Cast(Scalar(dtype), c(x))


def loop(stop, body: Callable[[Expr], Sequence], name: str = "i", start=0) -> For:
    """`for (int name = start; name < stop; ++name) body(name)`; `body` gets the counter as an expression."""
    v = Sym(name)
    return For(v, c(start), c(stop), Const(1), tuple(body(Var(v))), var_type=Scalar("int32", "int"))


def local(name: str, dtype: str, init) -> tuple[Sym, Decl, Expr]:
    """A scalar temporary: its Sym, its declaration and a reference expression."""
    s = Sym(name)
    return s, Decl(s, Scalar(dtype), c(init)), Var(s)


# ---------------------------------------------------------------------------------------------- numpy helpers
def rounded(values, like: np.ndarray) -> np.ndarray:
    """`values` (computed wide) rounded once to the dtype of `like`; integers truncate and saturate as the
    BANG runtime's value stores do (NaN -> 0)."""
    v = np.asarray(values, dtype=np.float64)
    if np.issubdtype(like.dtype, np.floating):
        return v.astype(like.dtype)
    info = np.iinfo(like.dtype)
    v = np.nan_to_num(np.trunc(v), nan=0.0, posinf=info.max, neginf=info.min)
    return np.clip(v, info.min, info.max).astype(like.dtype)


def wide(x: np.ndarray) -> np.ndarray:
    """A copy in the wide compute type: float64 for floating data, int64 for integers."""
    return np.asarray(x, dtype=np.float64 if np.issubdtype(np.asarray(x).dtype, np.floating) else np.int64)


def wrap(values, like: np.ndarray) -> np.ndarray:
    """Integer results wrapped to the element width (two's complement), as C stores do."""
    return np.asarray(values, dtype=np.int64).astype(like.dtype)


def rand_array(rng: np.random.Generator, n: int, dtype: str, lo=-4.0, hi=4.0) -> np.ndarray:
    dt = np.dtype(dtype)
    if np.issubdtype(dt, np.integer):
        info = np.iinfo(dt)
        return rng.integers(max(info.min, int(lo * 16)), min(info.max, int(hi * 16)) + 1, size=n).astype(dt)
    return rng.uniform(lo, hi, size=n).astype(dt)


# ---------------------------------------------------------------------------------------------- warp shuffles
def _shfl_src(kind: str, lane, arg, width, lanes: int):
    """Source lane of a shuffle as IR (the SIMT runtime's rule, xp_simt.h): `idx` reads seg + arg % width;
    `up`/`down` keep their own value when the source leaves the width segment; `xor` may read earlier
    segments but keeps its own value past the end of its segment."""
    seg = b("&", lane, UnOp("~", b("-", width, 1)))
    if kind == "idx":
        return add(seg, b("&", arg, b("-", width, 1)))
    if kind == "up":
        return sel(b(">=", b("-", lane, seg), arg), b("-", lane, arg), lane)
    if kind == "down":
        return sel(b("<", add(b("-", lane, seg), arg), width), add(lane, arg), lane)
    x = b("^", lane, arg)
    return sel(b("||", b("<", x, 0), b(">", x, b("-", add(seg, width), 1))), lane, x)


def _shfl_np(kind: str, lane: np.ndarray, arg: int, width: int) -> np.ndarray:
    seg = lane & ~(width - 1)
    if kind == "idx":
        return seg + (arg & (width - 1))
    if kind == "up":
        return np.where(lane - seg >= arg, lane - arg, lane)
    if kind == "down":
        return np.where(lane - seg + arg < width, lane + arg, lane)
    x = lane ^ arg
    return np.where((x < 0) | (x > seg + width - 1), lane, x)


def shuffle_entry(dialect: str, name: str, kind: str, lanes: int, with_mask: bool):
    """A warp (CUDA, 32 lanes) or wavefront (HIP, 64 lanes) shuffle as one collective entry: `var` and the
    pseudo-operand `ret` hold every lane's value (`var[lane]`); `arg` is srcLane / delta / laneMask, taken
    uniform across the lanes; `width` a power of two <= lanes (default lanes)."""
    from xpiler.ir.intrinsic import Constraint, Intrinsic

    argname = {"idx": "src_lane", "up": "delta", "down": "delta", "xor": "lane_mask"}[kind]

    def sem(var, ret, width=None, mask=None, **kw):
        lane = np.arange(lanes)
        src = _shfl_np(kind, lane, int(kw[argname]), int(width or lanes))
        return {"ret": var[src].copy()}

    def form(var, ret, width=None, mask=None, **kw):
        w = width if width is not None else c(lanes)
        return (loop(lanes, lambda ln: [st(ret, ln, ld(var, _shfl_src(kind, ln, kw[argname], w, lanes)))], "lane"),)

    def example(rng):
        return {"mask": 0xFFFFFFFF, "var": rand_array(rng, lanes, "float32"), argname: 3 if kind != "xor" else 5,
                "width": lanes // 2 if kind != "idx" else 16, "ret": np.zeros(lanes, np.float32)}

    ops = ((num("mask", ("uint32", "uint64")),) if with_mask else ()) + (
        reg("var", "in", lanes), num(argname), num("width"), reg("ret", "out", lanes))
    return Intrinsic(
        dialect, name, ops, "collective", returns="T", semantics=sem, loop_form=form,
        constraints=(Constraint(f"width is None or (0 < width <= {lanes} and width & (width - 1) == 0)",
                                f"width must be a power of two <= {lanes}"),),
        manual=(f"{'Warp' if lanes == 32 else 'Wavefront'} shuffle ({kind}): lane l returns var of another lane"
                + {"idx": " (width-segment base + src_lane % width)", "up": " l - delta, unless that leaves its segment",
                   "down": " l + delta, unless that leaves its segment", "xor": " l ^ lane_mask (its own var when that "
                   "lies past its segment)"}[kind] + (". Lanes named in mask must all call it." if with_mask else ".")),
        extra={"pseudo": ("ret",), "optional": ("width",), "defaults": {"width": lanes}, "lanes": lanes,
               "example": example},
    )
