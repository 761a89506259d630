"""The HIP intrinsic catalogue: the CDNA matrix-core builtins `__builtin_amdgcn_mfma_*` (gfx908/gfx90a) and
the wavefront shuffles (conventions: `backends/_catalogue_util.py`).

MFMA entries are wave-collective: the operands `a`, `b` (each lane's A/B items), `c` and the result `ret`
(each lane's accumulator items) are arrays indexed [lane][item] over the 64 lanes, so one call of the
semantics or of the loop form is the whole wavefront's instruction. The element-to-lane layouts are the AMD
Matrix Instruction Calculator's, as runtime/xp_hip_mfma.h implements them (reference/hip_mfma.md 2.2):

    A (M x K per block), lane l, item r: g = l / M, i = l % M;
        single-block: k = kpl*g + r          multi-block: block g, k = r        (B: the same with j = l % N)
    D item r of lane l (dmap):
        16x16:  i = 4*(l/16) + r, j = l%16              32x32: i = 8*(r/4) + 4*(l/32) + r%4, j = l%32
        f64 16x16x4: i = 4*r + l/16, j = l%16           32x32 x2 blocks: block r/16, i as 32x32 on r%16
        16x16 x4 blocks: block r/4, i = 4*(l/16) + r%4, j = l%16      4x4 x16 blocks: block l/4, i = r, j = l%4

The loop form is the logical product D[blk][i][j] = C + sum_k A[blk][i][k] * B[blk][k][j] written directly on
that layout (a loop over lanes and result items), accumulating in fp32 in k order (int32 wrapping for i8).
cbsz/abid (A-block broadcast) and blgp (B lane swizzle) are modelled by the semantics; the loop form is the
cbsz = abid = blgp = 0 case, which its constraints state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._catalogue_util import add, b, cast, ld, local, loop, mul, num, rand_array, reg, shuffle_entry, st
from xpiler.ir.intrinsic import Catalogue, Constraint, Intrinsic
from xpiler.ir.nodes import Assign

D = "hip"
LANES = 64


@dataclass(frozen=True)
class Mfma:
    name: str
    a_type: str  # register type of a / b per lane
    c_type: str  # register type of c / the result
    m: int
    n: int
    k: int
    blocks: int
    kpl: int  # A/B items per lane
    nout: int  # accumulator items per lane
    dmap: str  # d16 | d32 | d16_f64 | dm32 | dm16 | dm4
    elem: str  # input element dtype


MFMA: tuple[Mfma, ...] = (
    Mfma("f32_32x32x1f32", "float", "floatx32", 32, 32, 1, 2, 1, 32, "dm32", "float32"),
    Mfma("f32_16x16x1f32", "float", "floatx16", 16, 16, 1, 4, 1, 16, "dm16", "float32"),
    Mfma("f32_4x4x1f32", "float", "floatx4", 4, 4, 1, 16, 1, 4, "dm4", "float32"),
    Mfma("f32_32x32x2f32", "float", "floatx16", 32, 32, 2, 1, 1, 16, "d32", "float32"),
    Mfma("f32_16x16x4f32", "float", "floatx4", 16, 16, 4, 1, 1, 4, "d16", "float32"),
    Mfma("f32_32x32x4f16", "halfx4", "floatx32", 32, 32, 4, 2, 4, 32, "dm32", "float16"),
    Mfma("f32_16x16x4f16", "halfx4", "floatx16", 16, 16, 4, 4, 4, 16, "dm16", "float16"),
    Mfma("f32_4x4x4f16", "halfx4", "floatx4", 4, 4, 4, 16, 4, 4, "dm4", "float16"),
    Mfma("f32_32x32x8f16", "halfx4", "floatx16", 32, 32, 8, 1, 4, 16, "d32", "float16"),
    Mfma("f32_16x16x16f16", "halfx4", "floatx4", 16, 16, 16, 1, 4, 4, "d16", "float16"),
    Mfma("i32_32x32x4i8", "int", "intx32", 32, 32, 4, 2, 4, 32, "dm32", "int8"),
    Mfma("i32_16x16x4i8", "int", "intx16", 16, 16, 4, 4, 4, 16, "dm16", "int8"),
    Mfma("i32_4x4x4i8", "int", "intx4", 4, 4, 4, 16, 4, 4, "dm4", "int8"),
    Mfma("i32_32x32x8i8", "int", "intx16", 32, 32, 8, 1, 4, 16, "d32", "int8"),
    Mfma("i32_16x16x16i8", "int", "intx4", 16, 16, 16, 1, 4, 4, "d16", "int8"),
    Mfma("f32_32x32x4bf16", "shortx2", "floatx16", 32, 32, 4, 1, 2, 16, "d32", "bfloat16"),
    Mfma("f32_16x16x8bf16", "shortx2", "floatx4", 16, 16, 8, 1, 2, 4, "d16", "bfloat16"),
    Mfma("f32_32x32x4bf16_1k", "shortx4", "floatx32", 32, 32, 4, 2, 4, 32, "dm32", "bfloat16"),
    Mfma("f32_16x16x4bf16_1k", "shortx4", "floatx16", 16, 16, 4, 4, 4, 16, "dm16", "bfloat16"),
    Mfma("f32_4x4x4bf16_1k", "shortx4", "floatx4", 4, 4, 4, 16, 4, 4, "dm4", "bfloat16"),
    Mfma("f32_32x32x8bf16_1k", "shortx4", "floatx16", 32, 32, 8, 1, 4, 16, "d32", "bfloat16"),
    Mfma("f32_16x16x16bf16_1k", "shortx4", "floatx4", 16, 16, 16, 1, 4, 4, "d16", "bfloat16"),
    Mfma("f64_16x16x4f64", "double", "doublex4", 16, 16, 4, 1, 1, 4, "d16_f64", "float64"),
)


def dpos(dmap: str, lane, r, ops):
    """(block, i, j) of result item r of `lane`; `ops` supplies // % + * for ints (numpy) or IR."""
    div, mod, plus, times = ops
    if dmap == "d16":
        return 0, plus(times(4, div(lane, 16)), r), mod(lane, 16)
    if dmap == "d32":
        return 0, plus(plus(times(8, div(r, 4)), times(4, div(lane, 32))), mod(r, 4)), mod(lane, 32)
    if dmap == "d16_f64":
        return 0, plus(times(4, r), div(lane, 16)), mod(lane, 16)
    if dmap == "dm32":
        rr = mod(r, 16)
        return div(r, 16), plus(plus(times(8, div(rr, 4)), times(4, div(lane, 32))), mod(rr, 4)), mod(lane, 32)
    if dmap == "dm16":
        return div(r, 4), plus(times(4, div(lane, 16)), mod(r, 4)), mod(lane, 16)
    return div(lane, 4), r, mod(lane, 4)  # dm4


_PY = (lambda x, y: x // y, lambda x, y: x % y, lambda x, y: x + y, lambda x, y: x * y)
_IR = (lambda x, y: b("/", x, y), lambda x, y: b("%", x, y), add, mul)
_BLGP = {1: lambda l: l % 32, 2: lambda l: l + 32 if l < 32 else l, 3: lambda l: (l + 16) % 64,
         4: lambda l: l % 16, 5: lambda l: 16 + l % 16, 6: lambda l: 32 + l % 16, 7: lambda l: 48 + l % 16}


def _sem(d: Mfma):
    M, N, K, NB, kpl = d.m, d.n, d.k, d.blocks, d.kpl

    def sem(a, b, c, cbsz=0, abid=0, blgp=0, ret=None):
        av, bv, cv = (np.asarray(x, np.float64).reshape(LANES, -1) for x in (a, b, c))
        A, B, C = np.zeros((NB, M, K)), np.zeros((NB, K, N)), np.zeros((NB, M, N))
        for lane in range(LANES):
            lb = _BLGP.get(blgp or 0, lambda x: x)(lane)
            g = lane // M
            blk = 0 if NB == 1 else g
            for it in range(kpl):
                k = kpl * g + it if NB == 1 else it
                A[blk, lane % M, k] = av[lane, it]
                B[blk, k, lane % N] = bv[lb, it]
            for it in range(d.nout):
                bb, i, j = dpos(d.dmap, lane, it, _PY)
                C[bb, i, j] = cv[lane, it]
        for blk in range(NB):
            ab = ((blk >> (cbsz or 0)) << (cbsz or 0)) + (abid or 0)
            if d.elem == "int8":
                C[blk] = ((C[blk].astype(np.int64) + A[ab].astype(np.int64) @ B[blk].astype(np.int64))
                          .astype(np.uint32).astype(np.int32))
            else:
                ct = np.float64 if d.elem == "float64" else np.float32
                acc = C[blk].astype(ct)
                for k in range(K):
                    acc = (acc + np.outer(A[ab][:, k], B[blk][k, :])).astype(ct)
                C[blk] = acc
        out = np.zeros((LANES, d.nout), np.int32 if d.elem == "int8" else np.float64 if d.elem == "float64"
                       else np.float32)
        for lane in range(LANES):
            for it in range(d.nout):
                bb, i, j = dpos(d.dmap, lane, it, _PY)
                out[lane, it] = C[bb, i, j]
        return {"ret": out.reshape(np.shape(ret)) if ret is not None else out}

    return sem


def _loop(d: Mfma):
    M, N, K, NB, kpl = d.m, d.n, d.k, d.blocks, d.kpl
    acc_t = "int32" if d.elem == "int8" else "float64" if d.elem == "float64" else "float32"

    def elem_a(blk, i, k, a):  # A[blk][i][k] in the lane layout
        if NB == 1:
            return ld(a, add(mul(b("/", k, kpl), M), i), b("%", k, kpl))
        return ld(a, add(mul(blk, M), i), k)

    def elem_b(blk, k, j, bv):
        if NB == 1:
            return ld(bv, add(mul(b("/", k, kpl), N), j), b("%", k, kpl))
        return ld(bv, add(mul(blk, N), j), k)

    def form(a, b, c, cbsz=None, abid=None, blgp=None, ret=None):
        bv = b

        def item(lane, r):
            blk, i, j = dpos(d.dmap, lane, r, _IR)
            s, decl, acc = local("acc", acc_t, ld(c, lane, r))
            prod = (lambda k: mul(cast(acc_t, elem_a(blk, i, k, a)), cast(acc_t, elem_b(blk, k, j, bv))))
            return [decl, loop(K, lambda k: [Assign(s, prod(k), "+")], "k"), st(ret, (lane, r), acc)]

        return (loop(LANES, lambda lane: [loop(d.nout, lambda r: item(lane, r), "r")], "lane"),)

    return form


def _example(d: Mfma):
    def example(rng):
        dt = "float32" if d.elem in ("bfloat16",) else d.elem
        a = rand_array(rng, LANES * d.kpl, dt).reshape(LANES, d.kpl)
        bb = rand_array(rng, LANES * d.kpl, dt).reshape(LANES, d.kpl)
        if d.elem == "bfloat16":  # values exactly representable in bfloat16
            a, bb = (np.round(x * 8) / 8 for x in (a, bb))
        cdt = "int32" if d.elem == "int8" else "float64" if d.elem == "float64" else "float32"
        return {"a": a, "b": bb, "c": rand_array(rng, LANES * d.nout, cdt).reshape(LANES, d.nout),
                "cbsz": 0, "abid": 0, "blgp": 0, "ret": np.zeros((LANES, d.nout), np.dtype(cdt))}

    return example


def _mfma_entry(d: Mfma) -> Intrinsic:
    cdt = "int32" if d.elem == "int8" else "float64" if d.elem == "float64" else "float32"
    shape = f"{d.blocks} block(s) of {d.m}x{d.n}x{d.k}"
    return Intrinsic(
        D, f"__builtin_amdgcn_mfma_{d.name}",
        (reg("a", "in", f"{LANES} * {d.kpl}", (d.elem,)), reg("b", "in", f"{LANES} * {d.kpl}", (d.elem,)),
         reg("c", "in", f"{LANES} * {d.nout}", (cdt,)), num("cbsz"), num("abid"), num("blgp"),
         reg("ret", "out", f"{LANES} * {d.nout}", (cdt,))),
        "matmul", returns=d.c_type, semantics=_sem(d), loop_form=_loop(d),
        constraints=(Constraint("cbsz == 0 and abid == 0" if d.blocks == 1 else
                                f"0 <= cbsz <= 4 and 2 ** cbsz <= {d.blocks} and 0 <= abid < 2 ** cbsz",
                                "cbsz/abid: A-block broadcast of multi-block instructions"),
                     Constraint("0 <= blgp <= 7" if d.elem == "float32" or d.blocks > 1 else "blgp == 0",
                                "blgp: B lane-group pattern"),
                     Constraint("cbsz == 0 and abid == 0 and blgp == 0", "the loop form is the unswizzled case",
                                hard=False)),
        manual=(f"Wave-collective D = A x B + C over {shape}: every lane passes {d.kpl} A and {d.kpl} B element(s) "
                f"({d.a_type}) and {d.nout} accumulator items ({d.c_type}); cbsz/abid/blgp must be constants. "
                "Lane layout: see the module docstring."),
        extra={"pseudo": ("ret",), "lanes": LANES, "m": d.m, "n": d.n, "k": d.k, "blocks": d.blocks,
               "items_per_lane": d.kpl, "out_per_lane": d.nout, "dmap": d.dmap, "example": _example(d)},
    )


_SHFL = (("", "idx"), ("_up", "up"), ("_down", "down"), ("_xor", "xor"))
CATALOGUE = Catalogue(
    D,
    [*(_mfma_entry(d) for d in MFMA),
     *(shuffle_entry(D, f"__shfl{s}", k, LANES, False) for s, k in _SHFL),
     *(shuffle_entry(D, f"__shfl{s}_sync", k, LANES, True) for s, k in _SHFL)],
)
