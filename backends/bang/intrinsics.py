"""The BANG C intrinsic catalogue: `__memcpy`, fills, the `__bang_*` vector, reduction, pooling, layout and
tensor-unit operations, conversions and atomics (conventions: `backends/_catalogue_util.py`).

The semantics are those of the CPU runtime (runtime/xp_bang.h, xp_bang_ops.cpp), which the corpus passes
with, including its corrections of the reference: `__bang_mlp`'s height is the output length,
`__bang_log` is log2, `__bang_active_sign(0)` is +1, `__bang_reduce_sum` writes one sum per 128-byte block,
`__bang_matmul`'s rhs is [K][N] (dialect.MATMUL_RHS_DEFAULT). Numbers (alignment, block size, LT count) come
from `dialect.py`. The alignment rules are the MLU2xx ones that MLU3xx relaxes: soft (hard=False), as the
runtime's "warn" check level treats them.
"""

from __future__ import annotations

import numpy as np

from xpiler.ir.intrinsic import Catalogue, Constraint, Intrinsic
from xpiler.ir.nodes import AddrOf, Assign, Cast, If
from xpiler.ir.types import Pointer, Scalar, Scope

from .._catalogue_util import (
    FLOATS,
    NUMERIC,
    add,
    b,
    c,
    cast,
    enum,
    ld,
    local,
    loop,
    math,
    mul,
    num,
    ptr,
    rand_array,
    rounded,
    sel,
    st,
    wide,
    wrap,
)
from . import _intrinsic_tables as ops
from .dialect import (
    LT_NUM,
    MATMUL_RHS_DEFAULT,
    NFU_ALIGN_SIZE,
    REDUCE_BLOCK_BYTES,
    VECTOR_ADDR_ALIGN,
)

N, W, S, G, L = Scope.NRAM, Scope.WRAM, Scope.SRAM, Scope.GLOBAL, Scope.LDRAM
D = "bang"


def _soft_vec(*names: str, count: str = "n") -> tuple[Constraint, ...]:
    """The MLU2xx vector rule for each named NRAM operand (soft on MLU3xx)."""
    out = [Constraint(f"{count} * itemsize % {NFU_ALIGN_SIZE} == 0",
                      f"count * sizeof(T) should be a multiple of NFU_ALIGN_SIZE ({NFU_ALIGN_SIZE} B) (MLU2xx rule)",
                      hard=False)]
    out += [Constraint(f"{p} % {VECTOR_ADDR_ALIGN} == 0", f"{p} should be {VECTOR_ADDR_ALIGN}-byte aligned (MLU2xx)",
                       hard=False) for p in names]
    return tuple(out)


def _pos(n: str = "n") -> Constraint:
    return Constraint(f"{n} > 0", f"{n} must be positive")


# ---------------------------------------------------------------------------------------------- copies
MEMCPY_DIRECTIONS: dict[str, tuple[Scope, Scope]] = {}  # "GDRAM2NRAM" -> (source scope, destination scope)
_SPACES = {"GDRAM": G, "NRAM": N, "WRAM": W, "SRAM": S, "LDRAM": L}
for _s, _ss in _SPACES.items():
    for _d, _ds in _SPACES.items():
        MEMCPY_DIRECTIONS[f"{_s}2{_d}"] = (_ss, _ds)
_ALL = (G, N, W, S, L)


def _memcpy_sem(dst, src, size, dir, dst_stride=None, src_stride=None, segnum=None):
    out = dst.copy()
    db, sb = out.view(np.uint8), src.view(np.uint8)
    segs = (segnum or 0) + 1
    for s in range(segs):
        do, so = s * (dst_stride or 0), s * (src_stride or 0)
        db[do:do + size] = sb[so:so + size]
    return {"dst": out}


def _memcpy_loop(dst, src, size, dir, dst_stride=None, src_stride=None, segnum=None, itemsize=4):
    per = b("/", size, itemsize)
    if segnum is None:
        return (loop(per, lambda e: [st(dst, e, ld(src, e))], "e"),)

    def seg(s):
        do, so = mul(s, b("/", dst_stride, itemsize)), mul(s, b("/", src_stride, itemsize))
        return [loop(per, lambda e: [st(dst, add(do, e), ld(src, add(so, e)))], "e")]

    return (loop(add(segnum, 1), seg, "s"),)


def _memcpy_example(rng):
    size, segs, ds, ss = 4 * 7, 3, 4 * 9, 4 * 11
    return {"dst": rand_array(rng, (segs - 1) * 9 + 7, "float32"), "src": rand_array(rng, (segs - 1) * 11 + 7, "float32"),
            "size": size, "dir": "GDRAM2NRAM", "dst_stride": ds, "src_stride": ss, "segnum": segs - 1}


def _memcpy(name: str, asynchronous: bool) -> Intrinsic:
    span = "((segnum if segnum is not None else 0) * {s} + size) // itemsize"
    return Intrinsic(
        D, name,
        (ptr("dst", "out", _ALL, span.format(s="dst_stride")), ptr("src", "in", _ALL, span.format(s="src_stride")),
         num("size"), enum("dir"), num("dst_stride"), num("src_stride"), num("segnum")),
        "copy", semantics=_memcpy_sem, loop_form=_memcpy_loop,
        constraints=(_pos("size"), Constraint("segnum is None or (0 <= segnum <= 65535)", "segnum in [0, 65535]"),
                     Constraint("segnum is None or segnum == 0 or dst_stride >= size", "dst_stride >= size")),
        manual=("Copies `size` bytes from src to dst; `dir` (<SRC>2<DST>, e.g. GDRAM2NRAM) names the memory spaces "
                "of src and dst. The 7-argument form copies segnum+1 segments, segment i from src + i*src_stride "
                "to dst + i*dst_stride (strides in bytes)." + (" Asynchronous: complete only after __sync_io / "
                                                                "__sync_move / __sync." if asynchronous else "")),
        extra={"optional": ("dst_stride", "src_stride", "segnum"), "defaults": {"segnum": 0},
               "arities": (4, 7, 12), "directions": MEMCPY_DIRECTIONS, "type_params": {"itemsize": 4},
               "forms": {12: ("dst", "src", "size", "dir", "dst_stride0", "dst_segnum0", "dst_stride1", "dst_segnum1",
                              "src_stride0", "src_segnum0", "src_stride1", "src_segnum1")},
               "async": asynchronous, "example": _memcpy_example},
    )


def _move_entry() -> Intrinsic:
    e = _memcpy("__bang_move", False)
    ops_ = (e.operands[0].__class__("dst", "out", (), (N,), e.operands[0].count),
            e.operands[1].__class__("src", "in", (), (N,), e.operands[1].count), *e.operands[2:3], *e.operands[4:])
    return Intrinsic(D, "__bang_move", ops_, "copy", semantics=_move_sem, loop_form=_move_loop,
                     constraints=e.constraints, manual="NRAM-to-NRAM move of `size` bytes; the 6-argument form "
                     "moves segnum+1 segments at byte strides dst_stride / src_stride.",
                     extra={"optional": ("dst_stride", "src_stride", "segnum"), "arities": (3, 6),
                            "type_params": {"itemsize": 4}, "example": _move_example})


def _move_sem(dst, src, size, dst_stride=None, src_stride=None, segnum=None):
    return _memcpy_sem(dst, src, size, None, dst_stride, src_stride, segnum)


def _move_loop(dst, src, size, dst_stride=None, src_stride=None, segnum=None, itemsize=4):
    return _memcpy_loop(dst, src, size, None, dst_stride, src_stride, segnum, itemsize)


def _move_example(rng):
    ex = _memcpy_example(rng)
    del ex["dir"]
    return ex


# ---------------------------------------------------------------------------------------------- fills
def _fill_sem(dst, n, value=0):
    out = dst.copy()
    out[:n] = rounded(value, out) if np.issubdtype(out.dtype, np.floating) else value
    return {"dst": out}


def _fill_loop(dst, n, value=None):
    return (loop(n, lambda i: [st(dst, i, value if value is not None else c(0))]),)


def _fill_example(rng):
    return {"dst": rand_array(rng, 33, "float32"), "n": 33, "value": -2.5}


def _fill(name: str, scope: Scope, zero: bool = False) -> Intrinsic:
    ops_ = (ptr("dst", "out", (scope,), "n"), num("n", ("int32", "int64")))
    ops_ += () if zero else (num("value", NUMERIC),)
    return Intrinsic(D, name, ops_, "fill", semantics=_fill_sem, loop_form=_fill_loop, constraints=(_pos(),),
                     manual=f"Sets n elements of dst ({scope.value.upper()}) to "
                            + ("zero." if zero else "value; the element type is the type of `value`."),
                     extra={"example": (lambda rng: {"dst": rand_array(rng, 33, "float32"), "n": 33}) if zero
                            else _fill_example})


# ---------------------------------------------------------------------------------------------- element-wise
def _ew_sem(np_fn, operands):
    """Semantics of dst[i] = f(operand_0[i], ...) for i < n: `operands` maps names to ('vec'|'scalar'|'cycle')."""

    def sem(**kw):
        dst, n = kw["dst"], kw["n"]
        args = []
        for name, kind in operands:
            v = kw[name]
            if kind == "vec":
                args.append(wide(v[:n]))
            elif kind == "cycle":
                args.append(wide(np.resize(v[: kw["segn"]], n)))
            else:
                args.append(v)
        with np.errstate(all="ignore"):
            r = np_fn(*args)
        out = dst.copy()
        out[:n] = rounded(r, out) if np.issubdtype(out.dtype, np.floating) else wrap(r, out)
        return {"dst": out}

    return sem


def _ew_loop(ir_fn, operands):
    def form(**kw):
        dst, n = kw["dst"], kw["n"]

        def body(i):
            args = []
            for name, kind in operands:
                v = kw[name]
                args.append(ld(v, i) if kind == "vec" else ld(v, b("%", i, kw["segn"])) if kind == "cycle" else v)
            return [st(dst, i, ir_fn(*args))]

        return (loop(n, body),)

    return form


def _ew_example(operands, dtypes, n=100, seg=None, positive=False):
    def example(rng):
        dt = dtypes[-1] if "float32" not in dtypes else "float32"
        lo = 0.25 if positive else -4.0
        ex = {"dst": rand_array(rng, n, dt, lo), "n": n}
        for name, kind in operands:
            ex[name] = (rand_array(rng, seg if kind == "cycle" else n, dt, lo) if kind != "scalar"
                        else (1.5 if dt == "float32" else 3))
        if seg:
            ex["segn"] = seg
        return ex

    return example


def _ew_entry(name, ir_fn, np_fn, shape, dtypes, manual, positive=False) -> Intrinsic:
    """One element-wise intrinsic of `shape` binary (dst, src0, src1, n), scalar (dst, src, value, n),
    cycle (dst, src, seg, n, segn) or unary (dst, src, n)."""
    if shape == "binary":
        opnds = [("src0", "vec"), ("src1", "vec")]
        ops_ = (ptr("dst", "out", (N,), "n", dtypes), ptr("src0", "in", (N,), "n", dtypes),
                ptr("src1", "in", (N,), "n", dtypes), num("n"))
        cons = _soft_vec("dst", "src0", "src1")
    elif shape == "scalar":
        opnds = [("src", "vec"), ("value", "scalar")]
        ops_ = (ptr("dst", "out", (N,), "n", dtypes), ptr("src", "in", (N,), "n", dtypes), num("value", NUMERIC),
                num("n"))
        cons = _soft_vec("dst", "src")
    elif shape == "cycle":
        opnds = [("src", "vec"), ("seg", "cycle")]
        ops_ = (ptr("dst", "out", (N,), "n", dtypes), ptr("src", "in", (N,), "n", dtypes),
                ptr("seg", "in", (N,), "segn", dtypes), num("n"), num("segn"))
        cons = _soft_vec("dst", "src", "seg") + (_pos("segn"), Constraint("n % segn == 0",
                                                                          "src count must be a multiple of seg count"))
    else:
        opnds = [("src", "vec")]
        ops_ = (ptr("dst", "out", (N,), "n", dtypes), ptr("src", "in", (N,), "n", dtypes), num("n"))
        cons = _soft_vec("dst", "src")
    seg = 20 if shape == "cycle" else None
    return Intrinsic(D, name, ops_, "elementwise", semantics=_ew_sem(np_fn, opnds), loop_form=_ew_loop(ir_fn, opnds),
                     constraints=(_pos(),) + cons, manual=manual,
                     extra={"example": _ew_example(opnds, dtypes, seg=seg, positive=positive),
                            "in_place": "dst may equal a source exactly (no partial overlap)"})


def _elementwise() -> list[Intrinsic]:
    out = []
    for op in ops.BINARY:
        shapes = [("binary", op.binary), ("scalar", op.scalar), ("cycle", op.cycle)]
        for shape, names in shapes:
            for nm in names:
                out.append(_ew_entry(nm, op.ir, op.np, shape, op.dtypes,
                                     f"{shape} element-wise: dst[i] = {op.text}" + (
                                         " (b = src1[i])" if shape == "binary" else " (b = value)" if shape == "scalar"
                                         else " (b = seg[i % segn]); n must be a multiple of segn")))
    for e in out:  # the MLU270 form with a workspace: __bang_div(dst, src0, src1, src_addition, n)
        if e.name == "__bang_div":
            e.extra["workspace_form"] = {"at": 3, "arity": 5}
    for op in ops.UNARY:
        for nm in op.names:
            out.append(_ew_entry(nm, op.ir, op.np, "unary", op.dtypes, f"unary element-wise: dst[i] = {op.text}",
                                 positive=op.positive))
    return out


# ---------------------------------------------------------------------------------------------- reductions
def _block(itemsize: int) -> int:
    return REDUCE_BLOCK_BYTES // itemsize


def _reduce_sum_sem(dst, src, n):
    blk = _block(src.itemsize)
    out = dst.copy()
    for k in range(0, n, blk):
        out[k] = rounded(np.sum(wide(src[k:min(n, k + blk)])), out)
    return {"dst": out}


def _reduce_sum_loop(dst, src, n, itemsize=4):
    blk = _block(itemsize)

    def block(k):
        s, decl, acc = local("acc", "float32", 0.0)
        lo = mul(k, blk)
        hi = sel(b("<", add(lo, blk), n), add(lo, blk), n)
        return [decl, loop(hi, lambda t: [Assign(s, ld(src, t), "+")], "t", start=lo), st(dst, lo, acc)]

    return (loop(b("/", add(n, blk - 1), blk), block, "k"),)


def _reduce_sum(name: str) -> Intrinsic:
    blk_expr = f"({REDUCE_BLOCK_BYTES} // itemsize)"
    dcount = f"((n + {blk_expr} - 1) // {blk_expr} - 1) * {blk_expr} + 1"
    return Intrinsic(
        D, name, (ptr("dst", "out", (N,), dcount, FLOATS), ptr("src", "in", (N,), "n", FLOATS), num("n")), "reduction",
        semantics=_reduce_sum_sem, loop_form=_reduce_sum_loop, constraints=(_pos(),) + _soft_vec("src"),
        manual=(f"Block sums: the first element of every {REDUCE_BLOCK_BYTES}-byte block of dst receives the sum of the "
                "same block of src (32 floats / 64 halves); the other dst elements are unchanged (MLU3xx). "
                "It is NOT a full sum: add the partials at dst[0], dst[32], ... on the scalar side."),
        extra={"type_params": {"itemsize": 4},
               "example": lambda rng: {"dst": rand_array(rng, 97, "float32"), "src": rand_array(rng, 100, "float32"),
                                       "n": 100}})


def _extreme_sem(is_max):
    def sem(dst, src, n):
        v = wide(src[:n])
        ok = ~np.isnan(v)
        out = dst.copy()
        if ok.any():
            best = int(np.flatnonzero(ok)[np.argmax(v[ok]) if is_max else np.argmin(v[ok])])
            val = v[best]
        else:
            best, val = 0, np.nan
        out[0] = rounded(val, out)
        out.view(np.uint8)[src.itemsize:src.itemsize + 4] = np.array([best], np.uint32).view(np.uint8)
        return {"dst": out}

    return sem


def _extreme_loop(is_max):
    def form(dst, src, n):
        vs, vdecl, val = local("best", "float32", ld(src, 0))
        ks, kdecl, at = local("at", "int32", 0)

        def body(i):
            cond = b(">" if is_max else "<", ld(src, i), val)
            return [If(cond, (Assign(vs, ld(src, i)), Assign(ks, i)))]

        idx_ptr = Cast(Pointer(Scalar("uint32"), N), AddrOf(ld(dst, 1)))
        return (vdecl, kdecl, loop(n, body, start=1), st(dst, 0, val), st(idx_ptr, 0, at))

    return form


def _extreme(name: str, is_max: bool) -> Intrinsic:
    return Intrinsic(
        D, name, (ptr("dst", "out", (N,), "1 + 4 // itemsize", NUMERIC), ptr("src", "in", (N,), "n", NUMERIC), num("n")),
        "reduction", semantics=_extreme_sem(is_max), loop_form=_extreme_loop(is_max),
        constraints=(_pos(),) + _soft_vec("src"),
        manual=(f"dst[0] = the {'maximum' if is_max else 'minimum'} of src[0..n); its index (uint32, first occurrence, "
                "NaN skipped) is stored right after it, at byte offset sizeof(T) of dst."),
        extra={"example": lambda rng: {"dst": np.zeros(2, np.float32), "src": rand_array(rng, 33, "float32"), "n": 33}})


# ---------------------------------------------------------------------------------------------- pooling
def _pool_geom(height, width, kernel_h, kernel_w, stride_x, stride_y):
    sx, sy = stride_x or kernel_w, stride_y or kernel_h
    return sx, sy, (height - kernel_h) // sy + 1, (width - kernel_w) // sx + 1


def _pool_sem(kind):
    def sem(dst, src, channel, height, width, kernel_h, kernel_w, stride_x=None, stride_y=None):
        sx, sy, oh, ow = _pool_geom(height, width, kernel_h, kernel_w, stride_x, stride_y)
        x = wide(src[: height * width * channel]).reshape(height, width, channel)
        win = np.stack([x[i:i + (oh - 1) * sy + 1:sy, j:j + (ow - 1) * sx + 1:sx] for i in range(kernel_h)
                        for j in range(kernel_w)])
        r = {"max": np.max, "min": np.min, "sum": np.sum, "avg": np.mean}[kind](win, axis=0)
        out = dst.copy()
        out[: oh * ow * channel] = rounded(r.reshape(-1), out)
        return {"dst": out}

    return sem


def _pool_loop(kind):
    def form(dst, src, channel, height, width, kernel_h, kernel_w, stride_x=None, stride_y=None):
        sx, sy = stride_x or kernel_w, stride_y or kernel_h
        ow = add(b("/", b("-", width, kernel_w), sx), 1)
        oh = add(b("/", b("-", height, kernel_h), sy), 1)

        def at(y, x, ch, i, j):
            return ld(src, add(mul(add(mul(add(mul(y, sy), i), width), add(mul(x, sx), j)), channel), ch))

        def cell(y, x, ch):
            first = at(y, x, ch, 0, 0)
            s, decl, acc = local("acc", "float32", first if kind in ("max", "min") else 0.0)
            op = {"max": lambda v: sel(b(">", v, acc), v, acc), "min": lambda v: sel(b("<", v, acc), v, acc)}.get(kind)
            upd = (lambda i, j: Assign(s, op(at(y, x, ch, i, j)))) if op else (
                lambda i, j: Assign(s, at(y, x, ch, i, j), "+"))
            res = b("/", acc, cast("float32", mul(kernel_h, kernel_w))) if kind == "avg" else acc
            return [decl, loop(kernel_h, lambda i: [loop(kernel_w, lambda j: [upd(i, j)], "j")], "i"),
                    st(dst, add(mul(add(mul(y, ow), x), channel), ch), res)]

        return (loop(oh, lambda y: [loop(ow, lambda x: [loop(channel, lambda ch: cell(y, x, ch), "c")], "ox")], "oy"),)

    return form


def _pool(name: str, kind: str) -> Intrinsic:
    out_count = ("((height - kernel_h) // (stride_y or kernel_h) + 1) * ((width - kernel_w) // (stride_x or kernel_w)"
                 " + 1) * channel")
    return Intrinsic(
        D, name,
        (ptr("dst", "out", (N,), out_count, FLOATS), ptr("src", "in", (N,), "channel * height * width", FLOATS),
         num("channel"), num("height"), num("width"), num("kernel_h"), num("kernel_w"), num("stride_x"),
         num("stride_y")),
        "pool", semantics=_pool_sem(kind), loop_form=_pool_loop(kind),
        constraints=(_pos("channel"), Constraint("kernel_h <= height and kernel_w <= width", "the window must fit"),
                     Constraint("channel * itemsize % 64 == 0", "channel * sizeof(T) should be a multiple of 64 B "
                                "(MLU2xx)", hard=False)),
        manual=(f"{kind} pooling of an HWC src (C innermost), window kernel_h x kernel_w, steps stride_x (width) and "
                "stride_y (height), default the window; no padding: out is oh x ow x C, oh = (H-kh)/sy+1."),
        extra={"optional": ("stride_x", "stride_y"), "defaults": {"stride_x": "kernel_w", "stride_y": "kernel_h"},
               "example": lambda rng: {"dst": rand_array(rng, 3 * 4 * 7, "float32"),
                                       "src": rand_array(rng, 7 * 8 * 10, "float32"), "channel": 7, "height": 8,
                                       "width": 10, "kernel_h": 3, "kernel_w": 2, "stride_x": 3, "stride_y": 2}})


# ---------------------------------------------------------------------------------------------- layout
def _layout_maps():
    """kind -> (numpy fn of the [h][w] source, destination flat index over (i, j, h, w) as IR)."""
    return {
        "__bang_transpose": (lambda x: x.T, lambda i, j, h, w: add(mul(j, h), i), "dst[j][i] = src[i][j] (dst is [w][h])"),
        "__bang_rotate90": (lambda x: np.rot90(x, -1), lambda i, j, h, w: add(mul(j, h), b("-", b("-", h, 1), i)),
                            "clockwise rotation: dst [w][h]"),
        "__bang_rotate180": (lambda x: x[::-1, ::-1], lambda i, j, h, w: add(mul(b("-", b("-", h, 1), i), w),
                                                                              b("-", b("-", w, 1), j)), "dst [h][w]"),
        "__bang_rotate270": (lambda x: np.rot90(x, 1), lambda i, j, h, w: add(mul(b("-", b("-", w, 1), j), h), i),
                             "counter-clockwise rotation: dst [w][h]"),
        "__bang_mirror": (lambda x: x[:, ::-1], lambda i, j, h, w: add(mul(i, w), b("-", b("-", w, 1), j)),
                          "flip along W: dst [h][w]"),
    }


def _layout(name, np_fn, ir_idx, text) -> Intrinsic:
    def sem(dst, src, height, width):
        out = dst.copy()
        out[: height * width] = np_fn(src[: height * width].reshape(height, width)).reshape(-1)
        return {"dst": out}

    def form(dst, src, height, width):
        return (loop(height, lambda i: [loop(width, lambda j: [st(dst, ir_idx(i, j, height, width),
                                                                  ld(src, add(mul(i, width), j)))], "j")], "i"),)

    return Intrinsic(
        D, name, (ptr("dst", "out", (N,), "height * width"), ptr("src", "in", (N,), "height * width"), num("height"),
                  num("width")), "layout", semantics=sem, loop_form=form,
        constraints=(_pos("height"), _pos("width"), Constraint("(height * itemsize) % 64 == 0 and (width * itemsize) % "
                                                               "64 == 0", "height/width multiples of 64 B (MLU2xx)",
                                                               hard=False)),
        manual=f"src is a row-major [height][width] matrix; {text}. dst and src must not overlap.",
        extra={"example": lambda rng: {"dst": rand_array(rng, 7 * 33, "float32"), "src": rand_array(rng, 7 * 33,
                                                                                                      "float32"),
                                       "height": 7, "width": 33}})


# ---------------------------------------------------------------------------------------------- tensor unit
def _scale(acc, fix_position):
    return acc if fix_position is None else mul(acc, math("exp2f", cast("float32", fix_position)))


def _tensor_out(r, dst, fix_position):
    r = np.asarray(r, np.float64) * (2.0 ** (fix_position or 0))
    if np.issubdtype(dst.dtype, np.floating):
        return r.astype(dst.dtype)
    info = np.iinfo(dst.dtype)
    return np.clip(np.rint(r), info.min, info.max).astype(dst.dtype)


def _matmul_sem(dst, lhs, rhs, m, k, n, fix_position=None):
    a = wide(lhs[: m * k]).reshape(m, k)
    bm = wide(rhs[: k * n]).reshape((k, n) if MATMUL_RHS_DEFAULT == "kn" else (n, k))
    bm = bm if MATMUL_RHS_DEFAULT == "kn" else bm.T
    out = dst.copy()
    out[: m * n] = _tensor_out(a @ bm, out, fix_position).reshape(-1)
    return {"dst": out}


def _matmul_loop(dst, lhs, rhs, m, k, n, fix_position=None):
    def cell(i, j):
        s, decl, acc = local("acc", "float32", 0.0)
        rix = (lambda q: add(mul(q, n), j)) if MATMUL_RHS_DEFAULT == "kn" else (lambda q: add(mul(j, k), q))
        return [decl, loop(k, lambda q: [Assign(s, mul(ld(lhs, add(mul(i, k), q)), ld(rhs, rix(q))), "+")], "q"),
                st(dst, add(mul(i, n), j), _scale(acc, fix_position))]

    return (loop(m, lambda i: [loop(n, lambda j: cell(i, j), "j")], "i"),)


def _mlp_sem(dst, src, filter, height, width, fix_position=None):
    f = wide(filter[: height * width]).reshape(height, width)
    out = dst.copy()
    out[:height] = _tensor_out(f @ wide(src[:width]), out, fix_position)
    return {"dst": out}


def _mlp_loop(dst, src, filter, height, width, fix_position=None):
    def row(h):
        s, decl, acc = local("acc", "float32", 0.0)
        return [decl, loop(width, lambda w: [Assign(s, mul(ld(filter, add(mul(h, width), w)), ld(src, w)), "+")], "w"),
                st(dst, h, _scale(acc, fix_position))]

    return (loop(height, row, "h"),)


def _conv_sem(dst, src, kernel, ci, h, w, kh, kw, sx, sy, co, fix_position=None):
    oh, ow = (h - kh) // sy + 1, (w - kw) // sx + 1
    x = wide(src[: h * w * ci]).reshape(h, w, ci)
    f = wide(kernel[: co * kh * kw * ci]).reshape(co, kh, kw, ci)
    r = np.zeros((oh, ow, co))
    for i in range(kh):
        for j in range(kw):
            r += np.einsum("yxc,oc->yxo", x[i:i + (oh - 1) * sy + 1:sy, j:j + (ow - 1) * sx + 1:sx], f[:, i, j])
    out = dst.copy()
    out[: oh * ow * co] = _tensor_out(r.reshape(-1), out, fix_position)
    return {"dst": out}


def _conv_loop(dst, src, kernel, ci, h, w, kh, kw, sx, sy, co, fix_position=None):
    ow = add(b("/", b("-", w, kw), sx), 1)
    oh = add(b("/", b("-", h, kh), sy), 1)

    def cell(y, x, o):
        s, decl, acc = local("acc", "float32", 0.0)

        def tap(i, j, q):
            xv = ld(src, add(mul(add(mul(add(mul(y, sy), i), w), add(mul(x, sx), j)), ci), q))
            fv = ld(kernel, add(mul(add(mul(add(mul(o, kh), i), kw), j), ci), q))
            return [Assign(s, mul(xv, fv), "+")]

        body = loop(kh, lambda i: [loop(kw, lambda j: [loop(ci, lambda q: tap(i, j, q), "q")], "j")], "i")
        return [decl, body, st(dst, add(mul(add(mul(y, ow), x), co), o), _scale(acc, fix_position))]

    return (loop(oh, lambda y: [loop(ow, lambda x: [loop(co, lambda o: cell(y, x, o), "o")], "ox")], "oy"),)


_TENSOR_DT = ("float16", "float32", "int8", "int16", "int32")
_FIXPOS = Constraint("fix_position is None or -127 <= fix_position <= 127", "fix_position in [-127, 127]")


def _tensor_unit() -> list[Intrinsic]:
    lt = Constraint(f"n % {LT_NUM} == 0", f"N should be a multiple of LT_NUM ({LT_NUM}) (MLU2xx)", hard=False)
    matmul = Intrinsic(
        D, "__bang_matmul",
        (ptr("dst", "out", (N,), "m * n", _TENSOR_DT), ptr("lhs", "in", (N,), "m * k", _TENSOR_DT),
         ptr("rhs", "in", (W,), "k * n", _TENSOR_DT), num("m"), num("k"), num("n"), num("fix_position")),
        "matmul", semantics=_matmul_sem, loop_form=_matmul_loop,
        constraints=(_pos("m"), _pos("k"), _pos("n"), _FIXPOS, lt,
                     Constraint("k * itemsize % 64 == 0", "K * sizeof(lhs) should be a multiple of 64 B", hard=False)),
        manual=(f"dst[M][N] = lhs[M][K] (NRAM) x rhs (WRAM) times 2^fix_position; rhs is row-major [K][N] "
                f"(runtime default '{MATMUL_RHS_DEFAULT}'; XP_BANG_MATMUL_RHS=nk reads [N][K]). Integer dst saturates."),
        extra={"optional": ("fix_position",), "defaults": {"fix_position": 0}, "rhs_layout": MATMUL_RHS_DEFAULT,
               "example": lambda rng: {"dst": np.zeros(7 * 33, np.float32), "lhs": rand_array(rng, 7 * 5, "float32"),
                                       "rhs": rand_array(rng, 5 * 33, "float32"), "m": 7, "k": 5, "n": 33}})
    mlp = Intrinsic(
        D, "__bang_mlp",
        (ptr("dst", "out", (N,), "height", _TENSOR_DT), ptr("src", "in", (N,), "width", _TENSOR_DT),
         ptr("filter", "in", (W,), "height * width", _TENSOR_DT), num("height"), num("width"), num("fix_position")),
        "matmul", semantics=_mlp_sem, loop_form=_mlp_loop,
        constraints=(_pos("height"), _pos("width"), _FIXPOS,
                     Constraint(f"height % {LT_NUM} == 0", f"height should be a multiple of {LT_NUM}", hard=False),
                     Constraint("width * itemsize % 64 == 0", "width * sizeof(src) should be 64 B aligned", hard=False)),
        manual=("Fully connected: filter is row-major [height][width] in WRAM, src has `width` elements, dst `height`: "
                "dst[h] = sum_w filter[h][w] * src[w], times 2^fix_position (height = outputs)."),
        extra={"optional": ("fix_position",), "defaults": {"fix_position": 0},
               "example": lambda rng: {"dst": np.zeros(33, np.float32), "src": rand_array(rng, 7, "float32"),
                                       "filter": rand_array(rng, 33 * 7, "float32"), "height": 33, "width": 7}})
    conv = Intrinsic(
        D, "__bang_conv",
        (ptr("dst", "out", (N,), "((h - kh) // sy + 1) * ((w - kw) // sx + 1) * co", _TENSOR_DT),
         ptr("src", "in", (N,), "h * w * ci", _TENSOR_DT), ptr("kernel", "in", (W,), "co * kh * kw * ci", _TENSOR_DT),
         num("ci"), num("h"), num("w"), num("kh"), num("kw"), num("sx"), num("sy"), num("co"), num("fix_position")),
        "conv", semantics=_conv_sem, loop_form=_conv_loop,
        constraints=(_pos("ci"), _pos("co"), Constraint("kh <= h and kw <= w", "the kernel must fit (no padding)"),
                     Constraint("1 <= sx <= 1023 and 1 <= sy <= 1023", "strides in [1, 1023]"), _FIXPOS,
                     Constraint(f"co % {LT_NUM} == 0", f"co should be a multiple of {LT_NUM}", hard=False),
                     Constraint("ci * itemsize % 64 == 0", "ci * sizeof(T) should be a multiple of 64 B", hard=False)),
        manual=("Valid convolution: src [h][w][ci] (NRAM), kernel [co][kh][kw][ci] (WRAM, logical layout), dst "
                "[oh][ow][co] (NRAM), oh = (h-kh)/sy+1, ow = (w-kw)/sx+1; sx steps along w. A 4th pointer argument "
                "(bias, co elements) is added to each output when given."),
        extra={"optional": ("fix_position",), "defaults": {"fix_position": 0},
               "forms": {"bias": ("dst", "src", "kernel", "bias", "ci", "h", "w", "kh", "kw", "sx", "sy", "co",
                                  "fix_position")},
               "example": lambda rng: {"dst": np.zeros(3 * 4 * 5, np.float32), "src": rand_array(rng, 7 * 9 * 3,
                                                                                                   "float32"),
                                       "kernel": rand_array(rng, 5 * 3 * 2 * 3, "float32"), "ci": 3, "h": 7, "w": 9,
                                       "kh": 3, "kw": 2, "sx": 2, "sy": 2, "co": 5}})
    return [matmul, mlp, conv]


CATALOGUE = Catalogue(
    D,
    [_memcpy("__memcpy", False), _memcpy("__memcpy_async", True), _move_entry(),
     _fill("__bang_write_zero", N, zero=True), _fill("__bang_write_value", N), _fill("__memset_nram", N),
     _fill("__memset_nram_async", N), _fill("__nramset", N), _fill("__nramset_async", N), _fill("__sramset", S),
     _fill("__sramset_async", S), _fill("__gdramset", G), _fill("__ldramset", L),
     *(_fill(f"__nramset_{t}", N) for t in ("half", "float", "int", "short")),
     *_elementwise(), _reduce_sum("__bang_reduce_sum"), _reduce_sum("__bang_sum"),
     _extreme("__bang_max", True), _extreme("__bang_min", False), _extreme("__bang_argmax", True),
     _extreme("__bang_argmin", False),
     *(_pool(f"__bang_{k}pool", k) for k in ("max", "min", "avg", "sum")),
     *(_layout(nm, *spec) for nm, spec in _layout_maps().items()),
     *_tensor_unit(), *ops.extra_entries()],
)
