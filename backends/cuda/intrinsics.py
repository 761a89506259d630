"""The CUDA intrinsic catalogue: the warp matrix functions (`nvcuda::wmma`), warp shuffles and the half
conversions the corpus uses (conventions: `backends/_catalogue_util.py`).

Fragments. A fragment operand has scope FRAGMENT; its shape and element type come from its type
(`Fragment(use, m, n, k, dtype, layout)`), not from the call, so the semantics and loop forms take them as
type parameters (`m`, `n`, `k`, `use`, `layout`, listed in `extra["type_params"]`). In semantics and loop
forms a fragment is the whole warp's matrix as a row-major local array: matrix_a is m x k, matrix_b k x n,
an accumulator m x n. Which lane holds which element is unspecified by CUDA (the CPU runtime numbers the
elements row-major, lane l holding elements l*num_elements ..), so portable code applies only uniform
element-wise operations to `frag.x[]`, and a loop form never needs the lane mapping.

Semantics are those of runtime/xp_cuda_wmma.h: products accumulate in fp32 (fp64 for double, wrapping int32
for 8-bit integers) in k order; the pointer must be 256-bit aligned and ldm a multiple of 16 bytes.
"""

from __future__ import annotations

import numpy as np

from .._catalogue_util import (
    add,
    cast,
    enum,
    ld,
    local,
    loop,
    mul,
    num,
    ptr,
    rand_array,
    reg,
    shuffle_entry,
    st,
    wide,
)
from xpiler.ir.intrinsic import Catalogue, Constraint, Intrinsic, Operand
from xpiler.ir.nodes import Assign
from xpiler.ir.types import Scope

D = "cuda"
WMMA_IN = ("float16", "bfloat16", "int8", "uint8", "float32", "float64")  # float32 = tf32 storage
WMMA_ACC = ("float16", "float32", "int32", "float64")
MEM = (Scope.GLOBAL, Scope.SHARED, Scope.LOCAL)
TYPE_PARAMS = {"m": 16, "n": 16, "k": 16, "use": "accumulator", "frag_layout": "row_major"}
# Shapes (m, n, k) the wmma API accepts, per input type (xp_cuda_wmma.h `valid`).
SHAPES = {"float16": ((16, 16, 16), (32, 8, 16), (8, 32, 16)), "bfloat16": ((16, 16, 16), (32, 8, 16), (8, 32, 16)),
          "int8": ((16, 16, 16), (32, 8, 16), (8, 32, 16)), "uint8": ((16, 16, 16), (32, 8, 16), (8, 32, 16)),
          "tf32": ((16, 16, 8),), "float64": ((8, 8, 4),)}


def dims(use: str, m: int, n: int, k: int) -> tuple[int, int]:
    """Rows and columns of a fragment of `use`."""
    return {"matrix_a": (m, k), "matrix_b": (k, n), "accumulator": (m, n)}[use]


def _frag(name: str, role: str, dtypes=()) -> Operand:
    return Operand(name, role, tuple(dtypes), (Scope.FRAGMENT,), None)


def _mem_constraints(p: str) -> tuple[Constraint, ...]:
    return (Constraint(f"{p} % 32 == 0", "the pointer must be 256-bit (32-byte) aligned"),
            Constraint("ldm % (16 // itemsize) == 0", "ldm must be a multiple of 16 bytes (8 half, 4 float elements)"))


def _col(use: str, layout, frag_layout) -> bool:
    """Column-major memory: from the fragment type for matrix_a/b, from the layout argument otherwise."""
    return _layout_name(layout) == "mem_col_major" if use == "accumulator" else frag_layout == "col_major"


# ---------------------------------------------------------------------------------------------- fill
def _fill_sem(frag, value, m=16, n=16, k=16, use="accumulator", frag_layout=None):
    out = frag.copy()
    out[...] = value
    return {"frag": out}


def _fill_loop(frag, value, m=16, n=16, k=16, use="accumulator", frag_layout=None):
    rows, cols = dims(use, m, n, k)
    return (loop(rows, lambda i: [loop(cols, lambda j: [st(frag, add(mul(i, cols), j), value)], "j")], "i"),)


# ---------------------------------------------------------------------------------------------- load / store
def _load_sem(frag, ptr, ldm, layout=None, m=16, n=16, k=16, use="matrix_a", frag_layout="row_major"):
    rows, cols = dims(use, m, n, k)
    r, cc = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    at = cc * ldm + r if _col(use, layout, frag_layout) else r * ldm + cc
    return {"frag": ptr[at].reshape(-1).astype(frag.dtype)}


def _elem(col: bool, ldm, i, j):
    return add(mul(j, ldm), i) if col else add(mul(i, ldm), j)


def _load_loop(frag, ptr, ldm, layout=None, m=16, n=16, k=16, use="matrix_a", frag_layout="row_major"):
    rows, cols = dims(use, m, n, k)
    col = _col(use, layout, frag_layout)
    return (loop(rows, lambda i: [loop(cols, lambda j: [st(frag, add(mul(i, cols), j),
                                                            ld(ptr, _elem(col, ldm, i, j)))], "j")], "i"),)


def _layout_name(layout) -> str:
    """A layout given as a string or as the IR of the `wmma::mem_*_major` enum argument."""
    if isinstance(layout, str) or layout is None:
        return "mem_col_major" if layout and "col" in layout else "mem_row_major"
    text = (getattr(layout, "name", None) or getattr(layout, "text", None)
            or getattr(getattr(layout, "sym", None), "name", None) or "")
    return "mem_col_major" if "col" in str(text) else "mem_row_major"


def _store_sem(ptr, frag, ldm, layout, m=16, n=16, k=16, use="accumulator", frag_layout=None):
    rows, cols = dims("accumulator", m, n, k)
    out = ptr.copy()
    r, cc = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    at = cc * ldm + r if _col("accumulator", layout, None) else r * ldm + cc
    out[at] = frag.reshape(rows, cols).astype(out.dtype)
    return {"ptr": out}


def _store_loop(ptr, frag, ldm, layout, m=16, n=16, k=16, use="accumulator", frag_layout=None):
    rows, cols = dims("accumulator", m, n, k)
    col = _col("accumulator", layout, None)
    return (loop(rows, lambda i: [loop(cols, lambda j: [st(ptr, _elem(col, ldm, i, j),
                                                           ld(frag, add(mul(i, cols), j)))], "j")], "i"),)


# ---------------------------------------------------------------------------------------------- mma
def _mma_sem(d, a, b, c, satf=None, m=16, n=16, k=16, use=None, frag_layout=None):
    if np.issubdtype(d.dtype, np.integer):
        acc = wide(c).reshape(m, n) + wide(a).reshape(m, k) @ wide(b).reshape(k, n)
        return {"d": acc.astype(np.int64).astype(np.uint32).astype(np.int32).astype(d.dtype).reshape(-1)}
    ct = np.float64 if d.dtype == np.float64 else np.float32
    acc = c.reshape(m, n).astype(ct)
    av, bv = a.reshape(m, k).astype(ct), b.reshape(k, n).astype(ct)
    for q in range(k):  # fp32 accumulation in k order, as the runtime
        acc = (acc + np.outer(av[:, q], bv[q, :])).astype(ct)
    if satf:
        acc = np.clip(np.nan_to_num(acc, nan=0.0), -np.finfo(np.float32).max, np.finfo(np.float32).max)
    return {"d": acc.astype(d.dtype).reshape(-1)}


def _mma_loop(d, a, b, c, satf=None, m=16, n=16, k=16, use=None, frag_layout=None):
    def cell(i, j):
        s, decl, acc = local("acc", "float32", ld(c, add(mul(i, n), j)))
        body = loop(k, lambda q: [Assign(s, mul(cast("float32", ld(a, add(mul(i, k), q))),
                                                cast("float32", ld(b, add(mul(q, n), j)))), "+")], "q")
        return [decl, body, st(d, add(mul(i, n), j), acc)]

    return (loop(m, lambda i: [loop(n, lambda j: cell(i, j), "j")], "i"),)


def _wmma_example(use_in, use_out, layout="row_major", accumulator_layout=None):
    def example(rng):
        m, n, k = 16, 16, 16
        rows, cols = dims(use_in, m, n, k)
        ldm = cols + 8 if layout == "row_major" else rows + 8
        span = (rows - 1) * ldm + cols if layout == "row_major" else (cols - 1) * ldm + rows
        ex = {"_type_params": {"m": m, "n": n, "k": k, "use": use_in, "frag_layout": layout}, "ldm": ldm}
        if use_out == "load":
            ex.update(frag=np.zeros(rows * cols, np.float32), ptr=rand_array(rng, span, "float32"))
            if accumulator_layout:
                ex["layout"] = accumulator_layout
        else:
            ex.update(ptr=rand_array(rng, span, "float32"), frag=rand_array(rng, rows * cols, "float32"),
                      layout=accumulator_layout or "mem_col_major")
        return ex

    return example


def _mma_example(rng):
    m, n, k = 16, 16, 16
    return {"_type_params": {"m": m, "n": n, "k": k}, "d": np.zeros(m * n, np.float32),
            "a": rand_array(rng, m * k, "float16"), "b": rand_array(rng, k * n, "float16"),
            "c": rand_array(rng, m * n, "float32")}


def _wmma() -> list[Intrinsic]:
    tp = {"type_params": TYPE_PARAMS, "shapes": SHAPES}
    fill = Intrinsic(
        D, "wmma::fill_fragment", (_frag("frag", "out", WMMA_IN + WMMA_ACC), num("value", WMMA_IN + WMMA_ACC)), "fill",
        semantics=_fill_sem, loop_form=_fill_loop, aliases=("nvcuda::wmma::fill_fragment",),
        manual="Sets every element of the fragment to value; all 32 lanes of the warp must call it (warp-collective).",
        extra={**tp, "example": lambda rng: {"frag": np.zeros(256, np.float32), "value": 1.5}})
    load = Intrinsic(
        D, "wmma::load_matrix_sync",
        (_frag("frag", "out", WMMA_IN + WMMA_ACC), ptr("ptr", "in", MEM, None, WMMA_IN + WMMA_ACC), num("ldm"),
         enum("layout")), "load", semantics=_load_sem, loop_form=_load_loop, constraints=_mem_constraints("ptr"),
        aliases=("nvcuda::wmma::load_matrix_sync",),
        manual=("Loads the fragment's rows x cols matrix from ptr with leading dimension ldm (elements); matrix_a/b "
                "take the layout from their type (row_major: element (r, c) at ptr[r*ldm + c], col_major: at "
                "ptr[c*ldm + r]); an accumulator takes it from the 4th argument (mem_row_major / mem_col_major). "
                "Warp-collective; ptr 256-bit aligned; ldm a multiple of 16 bytes."),
        extra={**tp, "optional": ("layout",), "example": _wmma_example("matrix_b", "load", "col_major")})
    store = Intrinsic(
        D, "wmma::store_matrix_sync",
        (ptr("ptr", "out", MEM, None, WMMA_ACC), _frag("frag", "in", WMMA_ACC), num("ldm"), enum("layout")), "store",
        semantics=_store_sem, loop_form=_store_loop, constraints=_mem_constraints("ptr"),
        aliases=("nvcuda::wmma::store_matrix_sync",),
        manual=("Stores an accumulator fragment (m x n) to ptr with leading dimension ldm in the layout mem_row_major "
                "or mem_col_major. Warp-collective; ptr 256-bit aligned; ldm a multiple of 16 bytes."),
        extra={**tp, "example": _wmma_example("accumulator", "store")})
    mma = Intrinsic(
        D, "wmma::mma_sync",
        (_frag("d", "out", WMMA_ACC), _frag("a", "in", WMMA_IN), _frag("b", "in", WMMA_IN), _frag("c", "in", WMMA_ACC),
         num("satf", ("bool",))), "matmul", semantics=_mma_sem, loop_form=_mma_loop,
        aliases=("nvcuda::wmma::mma_sync",),
        manual=("d = a x b + c over the m x n x k tile (a: m x k, b: k x n, c and d: m x n); half/bf16/tf32 inputs "
                "accumulate in fp32 (or half), int8 in int32; satf clamps to the finite float range. d may be c. "
                "Warp-collective."),
        extra={**tp, "optional": ("satf",), "example": _mma_example})
    return [fill, load, store, mma]


def _half_conv(name: str, dst: str, src: str) -> Intrinsic:
    def sem(x, ret=None):
        return {"ret": np.array([x], np.float64).astype(dst)}

    def form(x, ret):
        return (st(ret, 0, cast(dst, x)),)

    return Intrinsic(D, name, (num("x", (src,)), reg("ret", "out", 1, (dst,))), "convert", returns=dst,
                     semantics=sem, loop_form=form, manual=f"Converts a {src} to {dst}, rounding to nearest even.",
                     extra={"pseudo": ("ret",), "example": lambda rng: {"x": 1.3337, "ret": np.zeros(1, dst)}})


CATALOGUE = Catalogue(
    D,
    [*_wmma(),
     *(shuffle_entry(D, f"__shfl{s}_sync", k, 32, True) for s, k in (("", "idx"), ("_up", "up"), ("_down", "down"),
                                                                    ("_xor", "xor"))),
     _half_conv("__float2half", "float16", "float32"), _half_conv("__float2half_rn", "float16", "float32"),
     _half_conv("__half2float", "float32", "float16")],
)
