"""The AVX-512 / AVX-512 VNNI intrinsic catalogue of the `vnni` dialect (conventions:
`backends/_catalogue_util.py`).

Vector values are register operands (scope LOCAL) in their natural element view: `__m512` is float[16],
`__m512i` int32[16] (or, as a dpbusd source, uint8[64] / int8[64]; a `dpwssd` source int16[32]); masks
(`__mmask16`, `__mmask64`) are integer scalars, bit i governing lane i. Every intrinsic returns a value,
so its last operand is the pseudo-operand `ret` (role out): the loop form stores the result lanes into it.
Masked-off lanes of masked loads/stores are neither read nor written (they never fault). The aligned
forms (`_load_ps`, `_store_si512`, ...) fault unless the address is 64-byte aligned. VNNI semantics follow
reference/vnni.md: u8 x s8 (dpbusd) or s16 x s16 (dpwssd) products summed per 32-bit lane and added to
the accumulator, wrapping (or saturating for the `s` forms) in int32.
"""

from __future__ import annotations

import numpy as np

from xpiler.ir.intrinsic import Catalogue, Constraint, Intrinsic
from xpiler.ir.nodes import Assign, If
from xpiler.ir.types import Scope

from .._catalogue_util import (
    add,
    b,
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
    reg,
    sel,
    st,
    wide,
)

D = "vnni"
MEM = (Scope.HOST,)
F32 = ("float32",)
I32 = ("int32",)
INT_MAX, INT_MIN = 2**31 - 1, -(2**31)


def _e(name, operands, category, semantics, loop_form, manual, example, constraints=(), returns="__m512"):
    return Intrinsic(D, name, tuple(operands), category, returns=returns, semantics=semantics, loop_form=loop_form,
                     constraints=tuple(constraints), manual=manual, extra={"pseudo": ("ret",), "example": example})


def _ret(lanes, dtypes=F32):
    return reg("ret", "out", lanes, dtypes)


# ---------------------------------------------------------------------------------------------- VNNI
def _dot(prefix: str, lanes: int, words: bool, saturate: bool) -> Intrinsic:
    per = 2 if words else 4
    adt, bdt = ("int16", "int16") if words else ("uint8", "int8")
    stem = ("dpwssd" if words else "dpbusd") + ("s" if saturate else "")

    def sem(src, a, b, ret=None):
        s = wide(a).reshape(lanes, per) * wide(b).reshape(lanes, per)
        acc = wide(src) + s.sum(axis=1)
        r = np.clip(acc, INT_MIN, INT_MAX) if saturate else acc
        return {"ret": r.astype(np.int64).astype(np.uint32).astype(np.int32)}

    def form(src, a, b, ret):
        def lane(j):
            s, decl, acc = local("acc", "int64", cast("int64", ld(src, j)))
            body = loop(per, lambda t: [Assign(s, mul(cast("int64", ld(a, add(mul(j, per), t))),
                                                      cast("int64", ld(b, add(mul(j, per), t)))), "+")], "t")
            res = sel(b_(">", acc, INT_MAX), INT_MAX, sel(b_("<", acc, INT_MIN), INT_MIN, acc)) if saturate else acc
            return [decl, body, st(ret, j, cast("int32", res))]

        return (loop(lanes, lane, "j"),)

    def example(rng):
        if words:
            a = rng.integers(-32768, 32768, lanes * per).astype(np.int16)
            bb = rng.integers(-32768, 32768, lanes * per).astype(np.int16)
        else:
            a = rng.integers(0, 256, lanes * per).astype(np.uint8)
            bb = rng.integers(-128, 128, lanes * per).astype(np.int8)
        src = rng.integers(INT_MIN, INT_MAX, lanes, dtype=np.int64).astype(np.int32)
        src[0], src[1] = INT_MAX - 5, INT_MIN + 5  # exercise wrap / saturation
        return {"src": src, "a": a, "b": bb, "ret": np.zeros(lanes, np.int32)}

    vt = {16: "__m512i", 8: "__m256i", 4: "__m128i"}[lanes]
    return _e(f"{prefix}_{stem}_epi32",
              [reg("src", "in", lanes, I32), reg("a", "in", lanes * per, (adt,)), reg("b", "in", lanes * per, (bdt,)),
               _ret(lanes, I32)], "dot",
              sem, form, (f"Per 32-bit lane j: ret[j] = src[j] + sum of the {per} products a[{per}j+t] * b[{per}j+t] "
                          f"({adt} x {bdt}), {'saturated to' if saturate else 'wrapping in'} int32. The unsigned operand "
                          "is the first source after the accumulator."), example, returns=vt)


def b_(op, x, y):
    return b(op, x, y)


# ---------------------------------------------------------------------------------------------- loads, stores, sets
def _load(name, dtypes, aligned, view="float32"):
    lanes = "64 // itemsize"

    def sem(p, ret=None):
        return {"ret": p[: 64 // p.itemsize].copy()}

    def form(p, ret, itemsize=4):
        return (loop(64 // itemsize, lambda i: [st(ret, i, ld(p, i))]),)

    e = _e(name, [ptr("p", "in", MEM, lanes, dtypes), _ret(lanes, dtypes)], "load", sem, form,
           f"Loads 64 bytes from p{' (64-byte aligned: faults otherwise)' if aligned else ' (unaligned)'}.",
           lambda rng: {"p": rand_array(rng, 16, view), "ret": np.zeros(16, view)},
           (Constraint("p % 64 == 0", "p must be 64-byte aligned"),) if aligned else (),
           returns="__m512" if view == "float32" else "__m512i")
    e.extra["type_params"] = {"itemsize": 4}
    return e


def _store(name, dtypes, aligned, view="float32"):
    def sem(p, v):
        out = p.copy()
        out[: 64 // p.itemsize] = v
        return {"p": out}

    def form(p, v, itemsize=4):
        return (loop(64 // itemsize, lambda i: [st(p, i, ld(v, i))]),)

    e = Intrinsic(D, name, (ptr("p", "out", MEM, "64 // itemsize", dtypes), reg("v", "in", "64 // itemsize", dtypes)),
                  "store", semantics=sem, loop_form=form,
                  constraints=(Constraint("p % 64 == 0", "p must be 64-byte aligned"),) if aligned else (),
                  manual=f"Stores the 64 bytes of v to p{' (64-byte aligned)' if aligned else ' (unaligned)'}.",
                  extra={"type_params": {"itemsize": 4},
                         "example": lambda rng: {"p": rand_array(rng, 16, view), "v": rand_array(rng, 16, view)}})
    return e


def _masked_load(name, lanes, dt, zero):
    def sem(k, p, src=None, ret=None):
        on = (int(k) >> np.arange(lanes)) & 1 == 1
        out = np.zeros(lanes, dt) if zero else src.copy()
        out[on] = p[:lanes][on]
        return {"ret": out}

    def form(k, p, ret, src=None):
        return (loop(lanes, lambda i: [st(ret, i, sel(b("&", b(">>", cast("uint64", k), i), 1), ld(p, i),
                                                     0 if zero else ld(src, i)))]),)

    ops = ([] if zero else [reg("src", "in", lanes, (dt,))]) + [num("k", ("uint16", "uint64")),
                                                                 ptr("p", "in", MEM, lanes, (dt,)), _ret(lanes, (dt,))]
    return _e(name, ops, "load", sem, form,
              f"Lane i = p[i] where bit i of k is set, else {'0' if zero else 'src[i]'}; masked-off lanes are not read.",
              lambda rng: {"src": rand_array(rng, lanes, dt), "k": 0b1011_0110_0111_0001 & ((1 << lanes) - 1) | 1,
                           "p": rand_array(rng, lanes, dt), "ret": np.zeros(lanes, dt)},
              returns="__m512" if dt == "float32" else "__m512i")


def _masked_store(name, lanes, dt):
    def sem(p, k, v):
        on = (int(k) >> np.arange(lanes)) & 1 == 1
        out = p.copy()
        out[:lanes][on] = v[on]
        return {"p": out}

    def form(p, k, v):
        return (loop(lanes, lambda i: [If(b("&", b(">>", k, i), 1), (st(p, i, ld(v, i)),))]),)

    return Intrinsic(D, name, (ptr("p", "out", MEM, lanes, (dt,)), num("k", ("uint16",)), reg("v", "in", lanes, (dt,))),
                     "store", semantics=sem, loop_form=form,
                     manual="p[i] = v[i] where bit i of k is set; masked-off lanes are not written.",
                     extra={"example": lambda rng: {"p": rand_array(rng, lanes, dt), "k": 0x7F3,
                                                    "v": rand_array(rng, lanes, dt)}})


def _set(name, dt, scalars: int):
    names = ["x"] if scalars == 1 else [f"e{i}" for i in range(scalars)]

    def sem(ret=None, **kw):
        if scalars == 0:
            return {"ret": np.zeros(16, dt)}
        vals = [kw[n] for n in names]
        return {"ret": np.array(vals * (16 // len(vals)), dt)}

    def form(ret, **kw):
        if scalars == 16:
            return tuple(st(ret, i, kw[f"e{i}"]) for i in range(16))
        return (loop(16, lambda i: [st(ret, i, kw["x"] if scalars else 0)]),)

    return _e(name, [num(n, (dt,)) for n in names] + [_ret(16, (dt,))], "fill", sem, form,
              "Broadcast x to all 16 lanes." if scalars == 1 else "All lanes zero." if not scalars else
              "Lane i = e_i (in memory order).",
              lambda rng: {**{n: (i + 1) * (3 if dt == "int32" else 1.25) for i, n in enumerate(names)},
                           "ret": np.zeros(16, dt)}, returns="__m512" if dt == "float32" else "__m512i")


# ---------------------------------------------------------------------------------------------- arithmetic
_BIN = {"add": ("+", np.add), "sub": ("-", np.subtract), "mul": ("*", np.multiply), "div": ("/", np.divide)}


def _binary(name, ir, npf, dt=F32):
    def sem(a, b, ret=None):
        with np.errstate(all="ignore"):
            return {"ret": npf(a.astype(np.float64), b.astype(np.float64)).astype(dt[0]) if dt == F32
                    else npf(a.astype(np.int64), b.astype(np.int64)).astype(np.uint32).astype(np.int32)}

    def form(a, b, ret):
        return (loop(16, lambda i: [st(ret, i, ir(ld(a, i), ld(b, i)))]),)

    return _e(name, [reg("a", "in", 16, dt), reg("b", "in", 16, dt), _ret(16, dt)], "elementwise", sem, form,
              f"Lane-wise {name.split('_')[2]} of two 16-lane vectors.",
              lambda rng: {"a": rand_array(rng, 16, dt[0]), "b": rand_array(rng, 16, dt[0], 0.5),
                           "ret": np.zeros(16, dt[0])}, returns="__m512" if dt == F32 else "__m512i")


def _binop(op):
    def ir(x, y):
        return b(op, x, y)

    return ir


def _arith() -> list[Intrinsic]:
    out = [_binary(f"_mm512_{k}_ps", _binop(op), npf) for k, (op, npf) in _BIN.items()]
    out += [_binary("_mm512_max_ps", lambda x, y: sel(b(">", x, y), x, y), np.maximum),
            _binary("_mm512_min_ps", lambda x, y: sel(b("<", x, y), x, y), np.minimum),
            _binary("_mm512_add_epi32", lambda x, y: b("+", x, y), np.add, I32),
            _binary("_mm512_sub_epi32", lambda x, y: b("-", x, y), np.subtract, I32),
            _binary("_mm512_mullo_epi32", lambda x, y: cast("int32", mul(cast("int64", x), y)), np.multiply, I32)]

    def fma_sem(a, b, c, ret=None):
        return {"ret": (a.astype(np.float64) * b + c).astype(np.float32)}

    out.append(_e("_mm512_fmadd_ps", [reg("a", "in", 16, F32), reg("b", "in", 16, F32), reg("c", "in", 16, F32),
                                      _ret(16)], "elementwise", fma_sem,
                  lambda a, b, c, ret: (loop(16, lambda i: [st(ret, i, math("fmaf", ld(a, i), ld(b, i), ld(c, i)))]),),
                  "Lane-wise a*b+c with a single rounding.",
                  lambda rng: {k: rand_array(rng, 16, "float32") for k in "abc"} | {"ret": np.zeros(16, np.float32)}))

    def maskz_sub_sem(k, a, b, ret=None):
        on = (int(k) >> np.arange(16)) & 1 == 1
        return {"ret": np.where(on, a - b, 0).astype(np.float32)}

    out.append(_e("_mm512_maskz_sub_ps", [num("k", ("uint16",)), reg("a", "in", 16, F32), reg("b", "in", 16, F32),
                                          _ret(16)], "elementwise", maskz_sub_sem,
                  lambda k, a, b, ret: (loop(16, lambda i: [st(ret, i, sel(b_("&", b_(">>", k, i), 1),
                                                                           b_("-", ld(a, i), ld(b, i)), 0.0))]),),
                  "Lane i = a[i] - b[i] where bit i of k is set, else 0.",
                  lambda rng: {"k": 0x5A5A, "a": rand_array(rng, 16, "float32"), "b": rand_array(rng, 16, "float32"),
                               "ret": np.zeros(16, np.float32)}))

    def blend_sem(k, a, b, ret=None):
        return {"ret": np.where((int(k) >> np.arange(16)) & 1 == 1, b, a).astype(np.float32)}

    out.append(_e("_mm512_mask_blend_ps", [num("k", ("uint16",)), reg("a", "in", 16, F32), reg("b", "in", 16, F32),
                                           _ret(16)], "select", blend_sem,
                  lambda k, a, b, ret: (loop(16, lambda i: [st(ret, i, sel(b_("&", b_(">>", k, i), 1), ld(b, i),
                                                                           ld(a, i)))]),),
                  "Lane i = b[i] where bit i of k is set, else a[i].",
                  lambda rng: {"k": 0x0FF1, "a": rand_array(rng, 16, "float32"), "b": rand_array(rng, 16, "float32"),
                               "ret": np.zeros(16, np.float32)}))
    out.append(_e("_mm512_cvtepi32_ps", [reg("a", "in", 16, I32), _ret(16)], "convert",
                  lambda a, ret=None: {"ret": a.astype(np.float32)},
                  lambda a, ret: (loop(16, lambda i: [st(ret, i, cast("float32", ld(a, i)))]),),
                  "int32 lanes to float (round to nearest even).",
                  lambda rng: {"a": rand_array(rng, 16, "int32"), "ret": np.zeros(16, np.float32)}))
    return out


CMP_PREDICATES = {0: "==", 1: "<", 2: "<=", 4: "!=", 13: ">=", 14: ">", 17: "<", 18: "<=", 29: ">=", 30: ">"}
# _CMP_EQ_OQ 0, _CMP_LT_OS 1, _CMP_LE_OS 2, _CMP_NEQ_UQ 4, _CMP_GE_OS 13, _CMP_GT_OS 14, _CMP_LT_OQ 17,
# _CMP_LE_OQ 18, _CMP_GE_OQ 29, _CMP_GT_OQ 30 (ordered predicates are false on NaN; NEQ_UQ is true)
CMP_NAMES = {"_CMP_EQ_OQ": 0, "_CMP_LT_OS": 1, "_CMP_LE_OS": 2, "_CMP_NEQ_UQ": 4, "_CMP_GE_OS": 13, "_CMP_GT_OS": 14,
             "_CMP_LT_OQ": 17, "_CMP_LE_OQ": 18, "_CMP_GE_OQ": 29, "_CMP_GT_OQ": 30}


def _imm(imm) -> int:
    if isinstance(imm, (int, np.integer)):
        return int(imm)
    text = getattr(imm, "name", None) or getattr(getattr(imm, "sym", None), "name", None) or str(imm)
    if isinstance(imm, str) or text in CMP_NAMES:
        return CMP_NAMES[text if text in CMP_NAMES else imm]
    return int(imm.value)


def _cmp_entry() -> Intrinsic:
    ops = {"==": np.equal, "<": np.less, "<=": np.less_equal, "!=": np.not_equal, ">=": np.greater_equal,
           ">": np.greater}

    def sem(a, b, imm, ret=None):
        bits = ops[CMP_PREDICATES[_imm(imm)]](a, b)
        return {"ret": np.array([int((bits.astype(np.int64) << np.arange(16)).sum())], np.uint32)}

    def form(a, b, imm, ret):
        op = CMP_PREDICATES[_imm(imm)]
        s, decl, acc = local("m", "uint32", 0)
        return (decl, loop(16, lambda i: [Assign(s, b_("<<", cast("uint32", b_(op, ld(a, i), ld(b, i))), i), "|")]),
                st(ret, 0, acc))

    return _e("_mm512_cmp_ps_mask", [reg("a", "in", 16, F32), reg("b", "in", 16, F32), enum("imm"),
                                  reg("ret", "out", 1, ("uint16",))], "compare", sem, form,
           "Bit i of the returned __mmask16 = (a[i] <pred> b[i]) for the _CMP_* predicate imm (a constant).",
           lambda rng: {"a": rand_array(rng, 16, "float32"), "b": rand_array(rng, 16, "float32"), "imm": "_CMP_GT_OQ",
                        "ret": np.zeros(1, np.uint32)}, returns="__mmask16")


def _reduce(name, kind, dt):
    npf = {"add": np.sum, "max": np.max, "min": np.min}[kind]

    def sem(a, ret=None):
        return {"ret": np.array([npf(a.astype(np.float64) if dt == "float32" else a.astype(np.int64))]).astype(
            dt if dt == "float32" else np.int64).astype(dt)}

    def form(a, ret):
        s, decl, acc = local("acc", dt, ld(a, 0))
        upd = {"add": lambda v: Assign(s, v, "+"), "max": lambda v: Assign(s, sel(b_(">", v, acc), v, acc)),
               "min": lambda v: Assign(s, sel(b_("<", v, acc), v, acc))}[kind]
        return (decl, loop(16, lambda i: [upd(ld(a, i))], start=1), st(ret, 0, acc))

    return _e(name, [reg("a", "in", 16, (dt,)), reg("ret", "out", 1, (dt,))], "reduction", sem, form,
              f"Horizontal {kind} of the 16 lanes (a sequence of instructions; the order of additions is "
              "unspecified).", lambda rng: {"a": rand_array(rng, 16, dt), "ret": np.zeros(1, dt)},
              returns="float" if dt == "float32" else "int")


def _gather(masked: bool) -> Intrinsic:
    def sem(vindex, base, scale, src=None, k=0xFFFF, ret=None):
        on = (int(k) >> np.arange(16)) & 1 == 1
        out = np.zeros(16, np.float32) if src is None else src.copy()
        byte = vindex.astype(np.int64) * int(scale)
        out[on] = base[byte[on] // base.itemsize]
        return {"ret": out}

    def form(vindex, base, scale, ret, src=None, k=None):
        def lane(i):
            v = ld(base, b_("/", mul(ld(vindex, i), scale), 4))
            return [st(ret, i, v if k is None else sel(b_("&", b_(">>", k, i), 1), v, ld(src, i)))]

        return (loop(16, lane),)

    ops = ([reg("src", "in", 16, F32), num("k", ("uint16",))] if masked else []) + [
        reg("vindex", "in", 16, I32), ptr("base", "in", MEM, None, F32), num("scale"), _ret(16)]
    return _e("_mm512_mask_i32gather_ps" if masked else "_mm512_i32gather_ps", ops, "gather", sem, form,
              "Lane i = *(float *)((char *)base + vindex[i] * scale)" + (" where bit i of k is set, else src[i]; "
                                                                          "masked-off lanes are not read." if masked
                                                                          else "."),
              lambda rng: {"src": rand_array(rng, 16, "float32"), "k": 0x3CF1, "vindex": rng.integers(0, 40, 16)
                           .astype(np.int32), "base": rand_array(rng, 40, "float32"), "scale": 4,
                           "ret": np.zeros(16, np.float32)},
              (Constraint("scale in (1, 2, 4, 8)", "scale is 1, 2, 4 or 8"),))


CATALOGUE = Catalogue(
    D,
    [*(_dot(p, lanes, w, s) for p, lanes in (("_mm512", 16), ("_mm256", 8), ("_mm", 4)) for w in (False, True)
       for s in (False, True)),
     _load("_mm512_loadu_ps", F32, False), _load("_mm512_load_ps", F32, True),
     _load("_mm512_loadu_si512", (), False, "int32"), _load("_mm512_load_si512", (), True, "int32"),
     _store("_mm512_storeu_ps", F32, False), _store("_mm512_store_ps", F32, True),
     _store("_mm512_storeu_si512", (), False, "int32"), _store("_mm512_store_si512", (), True, "int32"),
     _masked_load("_mm512_mask_loadu_ps", 16, "float32", False), _masked_load("_mm512_maskz_loadu_ps", 16, "float32",
                                                                               True),
     _masked_load("_mm512_maskz_loadu_epi32", 16, "int32", True), _masked_load("_mm512_maskz_loadu_epi8", 64, "int8",
                                                                                True),
     _masked_store("_mm512_mask_storeu_ps", 16, "float32"), _masked_store("_mm512_mask_storeu_epi32", 16, "int32"),
     _set("_mm512_set1_ps", "float32", 1), _set("_mm512_set1_epi32", "int32", 1), _set("_mm512_setzero_ps", "float32", 0),
     _set("_mm512_setzero_si512", "int32", 0), _set("_mm512_setr_epi32", "int32", 16),
     *_arith(), _cmp_entry(),
     _reduce("_mm512_reduce_add_ps", "add", "float32"), _reduce("_mm512_reduce_max_ps", "max", "float32"),
     _reduce("_mm512_reduce_min_ps", "min", "float32"), _reduce("_mm512_reduce_add_epi32", "add", "int32"),
     _gather(False), _gather(True)],
)
