"""Tables behind the BANG catalogue (`intrinsics.py`): the element-wise operator families and the entries the
corpus does not use (conversions, selection, search, reshape, padding, fusion, atomics), mirroring what the
CPU runtime (runtime/xp_bang.h, xp_bang_ops.cpp) implements. Kept apart so that `intrinsics.py` stays the
readable part: copies, fills, element-wise builders, reductions, pooling, layout and the tensor unit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from xpiler.ir.intrinsic import Constraint, Intrinsic
from xpiler.ir.nodes import If
from xpiler.ir.types import Scope

from .._catalogue_util import (
    FLOATS,
    INTS,
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
    neg,
    num,
    ptr,
    rand_array,
    reg,
    rounded,
    sel,
    st,
    wide,
)

N, G = Scope.NRAM, Scope.GLOBAL
D = "bang"
SIGNED = ("int8", "int16", "int32")
UNSIGNED = ("uint8", "uint16", "uint32")


@dataclass(frozen=True)
class BinaryOp:
    text: str  # the formula for the manual
    np: Callable  # numpy on wide (float64 / int64) arrays
    ir: Callable  # IR expression of (a, b)
    dtypes: tuple[str, ...]
    binary: tuple[str, ...] = ()  # (dst, src0, src1, n) names
    scalar: tuple[str, ...] = ()  # (dst, src, value, n) names
    cycle: tuple[str, ...] = ()  # (dst, src, seg, n, segn) names


def _cdiv(x, y):
    if np.asarray(x).dtype.kind == "f" or np.asarray(y).dtype.kind == "f" or isinstance(y, float):
        return x / y
    q = np.abs(x) // np.abs(y)
    return np.where((x < 0) != (y < 0), -q, q)


def _max_ir(x, y):
    return sel(b(">=", x, y), x, sel(b("!=", y, y), x, y))


def _min_ir(x, y):
    return sel(b("<=", x, y), x, sel(b("!=", y, y), x, y))


def _nan_ir(pick):
    def ir(x, y):
        return sel(b("!=", x, x), x, sel(b("!=", y, y), y, pick(x, y)))

    return ir


def _nan_np(fn):
    def f(x, y):
        return np.where(np.isnan(x) | np.isnan(y), np.nan, fn(x, y))

    return f


def _cmp(op, npf, stem):
    return BinaryOp(f"a {op} b (1 or 0)", lambda x, y: npf(x, y).astype(np.int64), lambda x, y: b(op, x, y), NUMERIC,
                    (f"__bang_{stem}",), (f"__bang_{stem}_scalar", f"__bang_{stem}_const"), (f"__bang_cycle_{stem}",))


BINARY: tuple[BinaryOp, ...] = (
    BinaryOp("a + b", np.add, lambda x, y: b("+", x, y), NUMERIC, ("__bang_add",),
             ("__bang_add_scalar", "__bang_add_const"), ("__bang_cycle_add",)),
    BinaryOp("a - b", np.subtract, lambda x, y: b("-", x, y), NUMERIC, ("__bang_sub",),
             ("__bang_sub_scalar", "__bang_sub_const"), ("__bang_cycle_sub",)),
    BinaryOp("a * b", np.multiply, lambda x, y: b("*", x, y), NUMERIC, ("__bang_mul",),
             ("__bang_mul_scalar", "__bang_mul_const"), ("__bang_cycle_mul",)),
    BinaryOp("a / b (integers: truncating)", _cdiv, lambda x, y: b("/", x, y), FLOATS, ("__bang_div",),
             ("__bang_div_scalar", "__bang_div_const"), ("__bang_cycle_div",)),
    BinaryOp("max(a, b), a NaN operand ignored", np.fmax, _max_ir, NUMERIC, ("__bang_maxequal", "__bang_maximum"),
             ("__bang_maxeq_scalar", "__bang_maximum_scalar"), ("__bang_cycle_maxequal", "__bang_cycle_maximum")),
    BinaryOp("min(a, b), a NaN operand ignored", np.fmin, _min_ir, NUMERIC, ("__bang_minequal", "__bang_minimum"),
             ("__bang_mineq_scalar", "__bang_minimum_scalar"), ("__bang_cycle_minequal", "__bang_cycle_minimum")),
    BinaryOp("max(a, b), NaN if either is NaN", _nan_np(np.fmax), _nan_ir(_max_ir), FLOATS, ("__bang_nan_maximum",),
             ("__bang_nan_maximum_scalar",)),
    BinaryOp("min(a, b), NaN if either is NaN", _nan_np(np.fmin), _nan_ir(_min_ir), FLOATS, ("__bang_nan_minimum",),
             ("__bang_nan_minimum_scalar",)),
    BinaryOp("a ** b", np.power, lambda x, y: math("powf", x, y), FLOATS, ("__bang_pow",)),
    BinaryOp("fmod(a, b)", np.fmod, lambda x, y: math("fmodf", x, y), FLOATS, ("__bang_rem",)),
    _cmp("==", np.equal, "eq"), _cmp("!=", np.not_equal, "ne"), _cmp(">", np.greater, "gt"),
    _cmp(">=", np.greater_equal, "ge"), _cmp("<", np.less, "lt"), _cmp("<=", np.less_equal, "le"),
    BinaryOp("(a != 0) && (b != 0)", lambda x, y: ((x != 0) & (y != 0)).astype(np.int64),
             lambda x, y: b("&&", b("!=", x, 0), b("!=", y, 0)), NUMERIC, ("__bang_and",), ("__bang_and_scalar",),
             ("__bang_cycle_and",)),
    BinaryOp("(a != 0) || (b != 0)", lambda x, y: ((x != 0) | (y != 0)).astype(np.int64),
             lambda x, y: b("||", b("!=", x, 0), b("!=", y, 0)), NUMERIC, ("__bang_or",), ("__bang_or_scalar",),
             ("__bang_cycle_or",)),
    BinaryOp("(a != 0) != (b != 0)", lambda x, y: ((x != 0) ^ (y != 0)).astype(np.int64),
             lambda x, y: b("!=", b("!=", x, 0), b("!=", y, 0)), NUMERIC, ("__bang_xor",), ("__bang_xor_scalar",),
             ("__bang_cycle_xor",)),
    BinaryOp("a & b (bits)", np.bitwise_and, lambda x, y: b("&", x, y), INTS, ("__bang_band",),
             ("__bang_band_scalar",), ("__bang_cycle_band",)),
    BinaryOp("a | b (bits)", np.bitwise_or, lambda x, y: b("|", x, y), INTS, ("__bang_bor",), ("__bang_bor_scalar",),
             ("__bang_cycle_bor",)),
    BinaryOp("a ^ b (bits)", np.bitwise_xor, lambda x, y: b("^", x, y), INTS, ("__bang_bxor",),
             ("__bang_bxor_scalar",), ("__bang_cycle_bxor",)),
    BinaryOp("a << bits", np.left_shift, lambda x, y: b("<<", x, y), INTS, scalar=("__bang_sll",)),
    BinaryOp("a >> bits (logical; unsigned data)", np.right_shift, lambda x, y: b(">>", x, y), UNSIGNED,
             scalar=("__bang_srl",)),
    BinaryOp("a >> bits (arithmetic; signed data)", np.right_shift, lambda x, y: b(">>", x, y), SIGNED,
             scalar=("__bang_sra",)),
)


@dataclass(frozen=True)
class UnaryOp:
    text: str
    np: Callable
    ir: Callable
    dtypes: tuple[str, ...]
    names: tuple[str, ...]
    positive: bool = False  # domain x > 0 (examples draw positive inputs)


def _gelu_np(x):
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3)))


def _gelu_ir(x):
    inner = mul(c(float(np.sqrt(2.0 / np.pi))), add(x, mul(c(0.044715), mul(x, mul(x, x)))))
    return mul(mul(c(0.5), x), add(c(1.0), math("tanhf", inner)))


def _round_np(x):
    return np.where(x >= 0, np.floor(x + 0.5), np.ceil(x - 0.5))


def _active(stem, *more):
    return (f"__bang_active_{stem}", *more)


UNARY: tuple[UnaryOp, ...] = (
    UnaryOp("max(x, 0)", lambda x: np.where(x > 0, x, 0), lambda x: sel(b(">", x, 0), x, 0), NUMERIC,
            _active("relu", "__bang_relu")),
    UnaryOp("1 / (1 + exp(-x))", lambda x: 1.0 / (1.0 + np.exp(-x)),
            lambda x: b("/", c(1.0), add(c(1.0), math("expf", neg(x)))), FLOATS,
            _active("sigmoid", "__bang_sigmoid", "__bang_taylor3_sigmoid", "__bang_taylor4_sigmoid")),
    UnaryOp("tanh(x)", np.tanh, lambda x: math("tanhf", x), FLOATS,
            _active("tanh", "__bang_tanh", "__bang_taylor3_tanh", "__bang_taylor4_tanh")),
    UnaryOp("0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))", _gelu_np, _gelu_ir, FLOATS,
            _active("gelu", "__bang_active_gelup", "__bang_gelu")),
    UnaryOp("exp(x)", np.exp, lambda x: math("expf", x), FLOATS,
            _active("exp", "__bang_active_exphp", "__bang_active_exp_less_0", "__bang_exp")),
    UnaryOp("ln(x)", np.log, lambda x: math("logf", x), FLOATS, _active("log", "__bang_active_loghp"), True),
    UnaryOp("log2(x) (__bang_log is the binary logarithm)", np.log2, lambda x: math("log2f", x), FLOATS,
            ("__bang_log", "__bang_log2"), True),
    UnaryOp("2^x", np.exp2, lambda x: math("exp2f", x), FLOATS, _active("pow2", "__bang_pow2")),
    UnaryOp("sqrt(x)", np.sqrt, lambda x: math("sqrtf", x), FLOATS, _active("sqrt", "__bang_active_sqrthp",
                                                                             "__bang_sqrt"), True),
    UnaryOp("1 / sqrt(x)", lambda x: 1.0 / np.sqrt(x), lambda x: b("/", c(1.0), math("sqrtf", x)), FLOATS,
            _active("rsqrt", "__bang_active_rsqrthp", "__bang_rsqrt"), True),
    UnaryOp("1 / x", lambda x: 1.0 / x, lambda x: b("/", c(1.0), x), FLOATS,
            _active("recip", "__bang_active_reciphp", "__bang_active_recip_greater_1", "__bang_recip"), True),
    UnaryOp("sin(x)", np.sin, lambda x: math("sinf", x), FLOATS,
            _active("sin", "__bang_sin", "__bang_taylor3_sin", "__bang_taylor4_sin")),
    UnaryOp("cos(x)", np.cos, lambda x: math("cosf", x), FLOATS,
            _active("cos", "__bang_cos", "__bang_taylor3_cos", "__bang_taylor4_cos")),
    UnaryOp("|x|", np.abs, lambda x: sel(b("<", x, 0), neg(x), x), NUMERIC, _active("abs", "__bang_abs")),
    UnaryOp("x >= 0 ? 1 : -1 (sign(0) = +1)", lambda x: np.where(x >= 0, 1, -1), lambda x: sel(b(">=", x, 0), 1, -1),
            NUMERIC, _active("sign")),
    UnaryOp("x * x", np.square, lambda x: mul(x, x), NUMERIC, ("__bang_square",)),
    UnaryOp("floor(x)", np.floor, lambda x: math("floorf", x), FLOATS, ("__bang_floor",)),
    UnaryOp("round(x), ties away from zero", _round_np, lambda x: math("roundf", x), FLOATS, ("__bang_round",)),
    UnaryOp("nearbyint(x), ties to even", np.rint, lambda x: math("nearbyintf", x), FLOATS, ("__bang_nearbyint",)),
    UnaryOp("-x", np.negative, neg, NUMERIC, ("__bang_neg",)),
    UnaryOp("x == 0 (1 or 0)", lambda x: (x == 0).astype(np.int64), lambda x: b("==", x, 0), NUMERIC, ("__bang_not",)),
    UnaryOp("~x (bits)", np.invert, lambda x: b("^", x, -1), INTS, ("__bang_bnot",)),
    UnaryOp("log(1 + exp(x))", lambda x: np.where(x > 30, x, np.log1p(np.exp(np.minimum(x, 30)))),
            lambda x: math("log1pf", math("expf", x)), FLOATS, ("__bang_taylor3_softplus", "__bang_taylor4_softplus")),
)

# ---------------------------------------------------------------------------------------------- conversions
_MODES = {"rn": np.rint, "tz": np.trunc, "oz": lambda x: np.where(x > 0, np.ceil(x), np.floor(x)), "up": np.ceil,
          "dn": np.floor, "rd": lambda x: np.where(x >= 0, np.floor(x + 0.5), np.ceil(x - 0.5)),
          "rm": lambda x: np.floor(x + 0.5)}
_MODE_IR = {"rn": "nearbyintf", "tz": "truncf", "up": "ceilf", "dn": "floorf", "rd": "roundf"}
_SHORT = {"float": "float32", "half": "float16", "bfloat16": "bfloat16", "int8": "int8", "int16": "int16",
          "int32": "int32", "uchar": "uint8", "short": "int16"}


def _np_dtype(dt: str):
    if dt == "bfloat16":
        return np.float32  # numpy has no bfloat16: values are carried in float32
    return np.dtype(dt)


def _convert_sem(ddt, sdt, mode, to_q, from_q):
    def sem(dst, src, n, position=None, dst_stride=None, src_stride=None, segnum=None):
        x = wide(src[:n]).astype(np.float64)
        if from_q:
            x = x * 2.0 ** (position or 0)
        out = dst.copy()
        if to_q:
            info = np.iinfo(out.dtype)
            q = _MODES[mode](np.nan_to_num(x * 2.0 ** -(position or 0), nan=0.0))
            out[:n] = np.clip(q, info.min, info.max).astype(out.dtype)
        elif ddt == "bfloat16":
            out[:n] = _to_bf16(x)
        elif mode == "rn" or ddt == "float32":
            out[:n] = x.astype(out.dtype)
        else:
            out[:n] = _round_small(x, out.dtype, mode)
        return {"dst": out}

    return sem


def _to_bf16(x):
    """float64 -> bfloat16 values (nearest-even on the float32 bits), carried in float32."""
    u = np.asarray(x, np.float32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000
    return u.astype(np.uint32).view(np.float32)


def _round_small(x, dt, mode):
    """Round float64 values to binary16 in a directed mode: nearest, then step to the neighbour if needed.
    rd is nearest with ties away from zero and rm nearest with ties up (toward +inf), as the runtime does."""
    r = x.astype(dt)
    lo = np.where(r.astype(np.float64) <= x, r, np.nextafter(r, dt.type(-np.inf)))
    hi = np.where(r.astype(np.float64) >= x, r, np.nextafter(r, dt.type(np.inf)))
    # an infinite neighbour counts as 2^16 (IEEE rounding with an unbounded exponent, then overflow)
    lv, hv = (np.where(np.isinf(v), np.copysign(65536.0, v), v) for v in (lo.astype(np.float64), hi.astype(np.float64)))
    tie = (lo != hi) & (x - lv == hv - x)
    pick = {"tz": np.where(x > 0, lo, hi), "oz": np.where(x > 0, hi, lo), "up": hi, "dn": lo,
            "rd": np.where(tie, np.where(x > 0, hi, lo), r), "rm": np.where(tie, hi, r)}.get(mode)
    return r if pick is None else pick


def _tie_round_loop(mode):
    """float -> half rounding to nearest with ties away from zero (rd) or up (rm), in scalar C: h = (half)v
    rounds to nearest even; b = (float)h and t = b + 2 (v - b) are exact in float, and v is a tie exactly
    when t (the reflection of b through v) is itself a half value other than b; then pick the other one."""
    def form(dst, src, n, dst_stride=None, src_stride=None, segnum=None):
        if dst_stride is not None or src_stride is not None or segnum is not None:
            return None

        def body(i):
            vs, vd, v = local("v", "float32", cast("float32", ld(src, i)))
            hs, hd, h = local("h", "float16", cast("float16", v))
            bs, bd, bb = local("bk", "float32", cast("float32", h))
            ts, td, t = local("t", "float32", add(bb, mul(2.0, b("-", v, bb))))
            tie = b("&&", b("!=", v, bb), b("==", cast("float32", cast("float16", t)), t))
            other = (b(">", math("fabsf", t), math("fabsf", bb)) if mode == "rd" else b(">", t, bb))
            value = sel(b("&&", tie, other), cast("float16", t), h)
            if mode == "rm":  # -65520 lies halfway between -65504 and -2^16 (which overflows): up is -65504
                value = sel(b("==", v, -65520.0), cast("float16", -65504.0), value)
            return [vd, hd, bd, td, st(dst, i, value)]

        return (loop(n, body),)

    return form


def _convert_loop(ddt, sdt, mode, to_q, from_q):
    if "bfloat16" in (ddt, sdt):  # no bfloat16 in numpy nor the interpreter: semantics only
        return None
    if not to_q and not from_q and (ddt, sdt, mode) in (("float16", "float32", "rd"), ("float16", "float32", "rm")):
        return _tie_round_loop(mode)
    if (not to_q and mode != "rn" and ddt != "float32") or (to_q and mode not in _MODE_IR):
        return None

    def form(dst, src, n, position=None, dst_stride=None, src_stride=None, segnum=None):
        def body(i):
            v = ld(src, i)
            if from_q and position is not None:
                v = mul(cast("float32", v), math("exp2f", cast("float32", position)))
            if to_q:
                if position is not None:
                    v = mul(v, math("exp2f", neg(cast("float32", position))))
                info = np.iinfo(np.dtype(ddt))
                v = math(_MODE_IR[mode], v)
                v = sel(b(">", v, float(info.max)), float(info.max), sel(b("<", v, float(info.min)), float(info.min), v))
            return [st(dst, i, cast(ddt, v))]

        return (loop(n, body),)

    return form


def _convert(name, dshort, sshort, mode, kind) -> Intrinsic:
    ddt, sdt = _SHORT[dshort], _SHORT[sshort]
    to_q, from_q = kind == "toq", kind == "fromq"
    ops_ = [ptr("dst", "out", (N,), "n", (ddt,)), ptr("src", "in", (N,), "n", (sdt,)), num("n")]
    optional: tuple[str, ...] = ("dst_stride", "src_stride", "segnum")
    if kind == "plain":
        ops_ += [num("dst_stride"), num("src_stride"), num("segnum")]
    else:
        ops_.append(num("position"))
        optional = ("position",)
    ex_n = 33

    def example(rng):
        return {"dst": np.zeros(ex_n, _np_dtype(ddt)), "src": rand_array(rng, ex_n, "float32" if sdt == "bfloat16"
                                                                          else sdt), "n": ex_n}

    return Intrinsic(
        D, name, tuple(ops_), "convert", semantics=_convert_sem(ddt, sdt, mode, to_q, from_q),
        loop_form=_convert_loop(ddt, sdt, mode, to_q, from_q), constraints=(Constraint("n > 0", "n must be positive"),),
        manual=(f"dst[i] = {ddt}(src[i]), rounding '{mode}' (rn nearest-even, tz toward zero, oz away from zero, up, "
                "dn, rd nearest ties away, rm ties up)" + ("; fixed point: dst = round(x / 2^position), saturated"
                                                          if to_q else "; fixed point: x = q * 2^position" if from_q
                                                          else "; the 6-argument form converts segnum+1 rows at byte "
                                                               "strides") + "."),
        extra={"optional": optional, "example": example})


def _conversions() -> list[Intrinsic]:
    out = [_convert("__bang_half2float", "float", "half", "rn", "plain"),
           _convert("__bang_bfloat162float", "float", "bfloat16", "rn", "plain"),
           _convert("__bang_bfloat162half", "half", "bfloat16", "tz", "plain")]
    for dshort, sshort in (("half", "float"), ("bfloat16", "float"), ("bfloat16", "half")):
        out.append(_convert(f"__bang_{sshort}2{dshort}", dshort, sshort, "rn", "plain"))
        out += [_convert(f"__bang_{sshort}2{dshort}_{m}", dshort, sshort, m, "plain") for m in _MODES]
    out += [_convert(f"__bang_bfloat162half_{m}", "half", "bfloat16", m, "plain") for m in _MODES]
    toq = [("float", "int8"), ("float", "int16"), ("float", "int32"), ("half", "int8"), ("half", "int16"),
           ("half", "int32"), ("bfloat16", "int8"), ("bfloat16", "int16"), ("float", "uchar"), ("half", "uchar"),
           ("half", "short"), ("float", "short")]
    for s, d in toq + [("bfloat16", "int32")]:
        out.append(_convert(f"__bang_{s}2{d}", d, s, "tz", "toq"))
    for s, d in toq:
        out += [_convert(f"__bang_{s}2{d}_{m}", d, s, m, "toq") for m in _MODES]
    fromq = [("int8", "float"), ("int16", "float"), ("int32", "float"), ("int8", "half"), ("int16", "half"),
             ("int32", "half"), ("int8", "bfloat16"), ("int16", "bfloat16"), ("int32", "bfloat16"), ("uchar", "half"),
             ("uchar", "float"), ("short", "half"), ("short", "float")]
    out += [_convert(f"__bang_{s}2{d}", d, s, "rn", "fromq") for s, d in fromq]
    for s, d in (("int32", "float"), ("int16", "half"), ("int32", "half")):
        out += [_convert(f"__bang_{s}2{d}_{m}", d, s, m, "fromq") for m in _MODES]
    return out


# ---------------------------------------------------------------------------------------------- selection, search
def _mask_on(mask, n, bits):
    if bits:
        return np.unpackbits(mask.view(np.uint8))[:n].astype(bool)  # MSB first within each byte
    return mask[:n] != 0


def _select_sem(bits):
    def sem(dst, src, mask, n):
        picked = src[:n][_mask_on(mask, n, bits)]
        out = dst.copy()
        out[: len(picked)] = picked
        return {"dst": out, "ret": np.array([len(picked)], np.uint32)}

    return sem


def _maskmove_sem(bits):
    def sem(dst, src, mask, n):
        out = dst.copy()
        on = _mask_on(mask, n, bits)
        out[:n][on] = src[:n][on]
        return {"dst": out}

    return sem


def _maskmove_loop(dst, src, mask, n):
    return (loop(n, lambda i: [If(b("!=", ld(mask, i), 0), (st(dst, i, ld(src, i)),))]),)


def _lut_sem(dst, index, table, n, table_len):
    out = dst.copy()
    k = index[:n].astype(np.int64)
    ok = (k >= 0) & (k < table_len)
    out[:n][ok] = table[k[ok]]
    return {"dst": out}


def _count_sem(bits, last=None):
    def sem(src, n, ret=None):
        if bits:
            v = int(np.unpackbits(src[:n].view(np.uint8)).sum())
        elif last is None:
            v = int(np.count_nonzero(src[:n]))
        else:
            nz = np.flatnonzero(src[:n])
            v = 0xFFFFFFFF if len(nz) == 0 else int(nz[-1] if last else nz[0])
        return {"ret": np.array([v], np.uint32)}

    return sem


def _cmp_bits_sem(npf):
    def sem(dst, src0, src1, n):
        bits = np.packbits(npf(wide(src0[:n]), wide(src1[:n])))
        out = dst.copy()
        keep = out[(n + 7) // 8 - 1] & (0xFF >> (n % 8)) if n % 8 else 0
        out[: len(bits)] = bits
        if n % 8:
            out[len(bits) - 1] |= keep
        return {"dst": out}

    return sem


def _fusion_sem(op, dst, src0, src1, src2, n, segn=None):
    segn = segn or n
    x = wide(src0[:n])
    y = np.resize(wide(src1[:segn]), n) if isinstance(src1, np.ndarray) else src1
    z = np.resize(wide(src2[:segn]), n) if isinstance(src2, np.ndarray) else src2
    r = {"FUSION_FMA": lambda: x * y + z, "FUSION_FMS": lambda: x * y - z, "FUSION_FAM": lambda: (x + y) * z,
         "FUSION_FSM": lambda: (x - y) * z, "FUSION_FAA": lambda: x + y + z, "FUSION_FAS": lambda: x + y - z,
         "FUSION_FSS": lambda: x - y - z, "FUSION_FSA": lambda: x - y + z}[op]()
    out = dst.copy()
    out[:n] = rounded(r, out)
    return {"dst": out}


def _reshape_sem(kind):
    def sem(dst, src, n, h, w, c):
        t = n * h * w * c
        x = src[:t]
        if kind == "nhwc2nchw":
            x = x.reshape(n, h, w, c).transpose(0, 3, 1, 2)
        elif kind == "nchw2nhwc":
            x = x.reshape(n, c, h, w).transpose(0, 2, 3, 1)
        out = dst.copy()
        out[:t] = x.reshape(-1)
        return {"dst": out}

    return sem


def _pad_sem(dst, src, channel, height, width, top, bottom, left=None, right=None):
    if left is None:  # the 7-argument form: (pad_h, pad_w)
        left = right = bottom
        bottom = top
    x = src[: channel * height * width].reshape(height, width, channel)
    y = np.pad(x, ((top, bottom), (left, right), (0, 0)))
    out = dst.copy()
    out[: y.size] = y.reshape(-1)
    return {"dst": out}


def _atomic_sem(op):
    def sem(dst, src1, src2, n=1):
        old = src1[:n].copy()
        v = src2[:n] if isinstance(src2, np.ndarray) else src2
        new = {"add": lambda: old + v, "max": lambda: np.fmax(old, v), "min": lambda: np.fmin(old, v),
               "and": lambda: old & v, "or": lambda: old | v, "xor": lambda: old ^ v, "exch": lambda: old * 0 + v,
               "inc": lambda: np.where(old >= v, 0, old + 1), "dec": lambda: np.where((old == 0) | (old > v), v, old - 1),
               }[op]()
        s1, d = src1.copy(), dst.copy()
        s1[:n], d[:n] = new, old
        return {"dst": d, "src1": s1}

    return sem


def _atomic_reduce_sem(op):
    def sem(dst, src, n):
        out = dst.copy()
        fn = {"add": np.add, "max": np.fmax, "min": np.fmin, "and": np.bitwise_and, "or": np.bitwise_or,
              "xor": np.bitwise_xor}[op]
        out[:n] = fn(out[:n], src[:n])
        return {"dst": out}

    return sem


def _atomic_reduce_loop(op):
    ir = {"add": lambda x, y: b("+", x, y), "max": lambda x, y: sel(b(">=", x, y), x, y),
          "min": lambda x, y: sel(b("<=", x, y), x, y), "and": lambda x, y: b("&", x, y),
          "or": lambda x, y: b("|", x, y), "xor": lambda x, y: b("^", x, y)}[op]

    def form(dst, src, n):
        return (loop(n, lambda i: [st(dst, i, ir(ld(dst, i), ld(src, i)))]),)

    return form


def _reduce_example(dt):
    def example(rng):
        return {"dst": rand_array(rng, 33, dt), "src": rand_array(rng, 33, dt), "n": 33}

    return example


def _e(name, operands, category, manual, semantics=None, loop_form=None, constraints=(), returns=None, **extra):
    return Intrinsic(D, name, tuple(operands), category, returns=returns, semantics=semantics, loop_form=loop_form,
                     constraints=tuple(constraints) + (Constraint("n > 0", "n must be positive"),)
                     if any(o.name == "n" for o in operands) else tuple(constraints), manual=manual, extra=extra)


def extra_entries() -> list[Intrinsic]:
    """Entries outside the corpus: conversions, bit-mask compares, selection, search, reshape, padding,
    fusion, pooling with indices, atomics, scalar space-checked loads/stores."""
    v = lambda nm, role="in", cnt="n", dts=(): ptr(nm, role, (N,), cnt, dts)
    out = _conversions()
    for stem, npf in (("eq", np.equal), ("ne", np.not_equal), ("gt", np.greater), ("ge", np.greater_equal),
                      ("lt", np.less), ("le", np.less_equal)):
        out.append(_e(f"__bang_{stem}_bitindex", [v("dst", "out", "(n + 7) // 8", ("uint8",)), v("src0"), v("src1"),
                                                  num("n")], "compare",
                      f"bit i of dst (MSB first in each byte) = (src0[i] {stem} src1[i]); bits past n unchanged.",
                      _cmp_bits_sem(npf)))
    for nm, bits, returns in (("__bang_collect", False, None), ("__bang_select", False, None),
                              ("__bang_filter", False, "uint32"), ("__bang_collect_bitindex", True, None),
                              ("__bang_select_bitindex", True, None), ("__bang_filter_bitindex", True, "uint32")):
        out.append(_e(nm, [v("dst", "out"), v("src"), v("mask", cnt="(n + 7) // 8" if bits else "n"), num("n"),
                           reg("ret", "out", 1, ("uint32",))], "select",
                      "Packs the elements of src whose mask is non-zero to the front of dst"
                      + (" (mask bits MSB first)" if bits else "") + ("; returns their number." if returns else "."),
                      _select_sem(bits), returns=returns, pseudo=("ret",)))
    out.append(_e("__bang_maskmove", [v("dst", "out"), v("src"), v("mask"), num("n")], "select",
                  "where mask[i] != 0 (mask elements have the size of the data), dst[i] = src[i]; else unchanged.",
                  _maskmove_sem(False), _maskmove_loop,
                  example=lambda rng: {"dst": rand_array(rng, 33, "float32"), "src": rand_array(rng, 33, "float32"),
                                       "mask": (rng.integers(0, 2, 33)).astype(np.float32), "n": 33}))
    out.append(_e("__bang_maskmove_bitindex", [v("dst", "out"), v("src"), v("mask", cnt="(n + 7) // 8"), num("n")],
                  "select", "maskmove with a bit mask (MSB first).", _maskmove_sem(True)))
    for nm in ("__bang_lut", "__bang_lut_s16", "__bang_lut_s32"):
        out.append(_e(nm, [v("dst", "out"), v("index", dts=INTS), v("table", cnt="table_len"), num("n"),
                           num("table_len")], "gather",
                      "dst[i] = table[index[i]]; an index outside [0, table_len) leaves dst[i] unchanged.", _lut_sem))
    out.append(_e("__bang_incseq", [v("dst", "out", dts=("int32", "int64", "float32")), num("n")], "fill",
                  "dst[i] = i.", lambda dst, n: {"dst": np.concatenate([np.arange(n).astype(dst.dtype), dst[n:]])},
                  lambda dst, n: (loop(n, lambda i: [st(dst, i, i)]),),
                  example=lambda rng: {"dst": np.zeros(33, np.int32), "n": 33}))
    out.append(_e("__bang_rand", [v("dst", "out", dts=("int16",)), num("n")], "fill",
                  "n pseudo-random int16 values (n should be a multiple of 64).",
                  constraints=(Constraint("n % 64 == 0", "n should be a multiple of 64", hard=False),)))
    for nm, sem in (("__bang_count", _count_sem(False)), ("__bang_count_bitindex", _count_sem(True)),
                    ("__bang_findfirst1", _count_sem(False, False)), ("__bang_findlast1", _count_sem(False, True))):
        out.append(_e(nm, [v("src"), num("n"), reg("ret", "out", 1, ("uint32",))], "reduction",
                      "returns the number of non-zero elements (set bits for _bitindex) / the index of the first "
                      "(last) non-zero element, 0xffffffff when none; the 2xx form writes it to a uint32 dst instead.",
                      sem, returns="uint32", pseudo=("ret",)))
    out.append(_e("__bang_fusion", [enum("op"), v("dst", "out"), v("src0"), reg("src1", "in", "segn"),
                                    reg("src2", "in", "segn"), num("n"), num("segn")], "elementwise",
                  "fused two-op vector instruction, (src0 op1 src1) op2 src2: FMA x*y+z, FMS x*y-z, FAM (x+y)*z, FSM "
                  "(x-y)*z, FAA, FAS, FSS, FSA; src1/src2 may be scalars or vectors of segn (default n) elements.",
                  _fusion_sem, optional=("segn",)))
    for kind in ("filter", "nhwc2nchw", "nchw2nhwc"):
        out.append(_e(f"__bang_reshape_{kind}", [v("dst", "out", "n * h * w * c"), v("src", cnt="n * h * w * c"),
                                                 num("n"), num("h"), num("w"), num("c")], "layout",
                      "NHWC <-> NCHW reshape" if kind != "filter" else
                      "filter [n][h][w][c] to the WRAM interleave; WRAM is modelled logically, so a copy.",
                      _reshape_sem(kind)))
    out.append(_e("__bang_pad", [v("dst", "out", "channel * (height + top + bottom) * (width + left + right)"),
                                 v("src", cnt="channel * height * width"), num("channel"), num("height"), num("width"),
                                 num("top"), num("bottom"), num("left"), num("right")], "layout",
                  "zero padding of an HWC tensor: (dst, src, C, H, W, pad_h, pad_w) or (..., top, bottom, left, right).",
                  _pad_sem, optional=("left", "right"), arities=(7, 9)))
    for nm in ("__bang_maxpool_index", "__bang_minpool_index", "__bang_maxpool_value_index",
               "__bang_minpool_value_index"):
        out.append(_e(nm, [v("dst", "out", "channel * height * width"), v("src", cnt="channel * height * width"),
                           num("channel"), num("height"), num("width"), num("kernel_h"), num("kernel_w"),
                           num("stride_x"), num("stride_y")]
                      + ([num("value_index_stride")] if "value" in nm else []), "pool",
                      "pooling that writes the window-relative row-major index of the first extreme (uint16 for "
                      "half, uint32 for float); _value_index writes the values, then the indices at "
                      "value_index_stride bytes."))
    for op in ("add", "max", "min", "and", "or", "xor", "exch", "inc", "dec"):
        out.append(_e(f"__bang_atomic_{op}", [ptr("dst", "out", (N,), "n"), ptr("src1", "inout", (G,), "n"),
                                              reg("src2", "in", "n"), num("n")], "atomic",
                      f"atomically, element-wise: dst = old src1 (GDRAM); src1 = {op}(src1, src2) (src2 an NRAM "
                      "vector or a scalar).", _atomic_sem(op), optional=("n",),
                      constraints=(Constraint("src1 % itemsize == 0", "src1 aligned to its element size"),)))
    out.append(_e("__bang_atomic_cas", [ptr("dst", "out", (N,), "1"), ptr("src1", "inout", (G,), "1"),
                                        num("cmp", NUMERIC), num("val", NUMERIC)], "atomic",
                  "dst = old *src1; if old == cmp then *src1 = val."))
    for op in ("add", "max", "min", "and", "or", "xor"):
        out.append(_e(f"__bang_atomic_reduce_{op}", [ptr("dst", "inout", (G,), "n"), ptr("src", "in", (N,), "n"),
                                                     num("n")], "atomic",
                      f"atomically dst[i] = {op}(dst[i], src[i]) for an NRAM src into GDRAM dst.",
                      _atomic_reduce_sem(op), _atomic_reduce_loop(op),
                      example=_reduce_example("float32" if op in ("add", "max", "min") else "int32")))
    for sp, scope in (("nram", N), ("sram", Scope.SRAM), ("gdram", G), ("ldram", Scope.LDRAM)):
        out.append(_e(f"__load_{sp}", [ptr("p", "in", (scope,), "1"), reg("ret", "out", 1)], "load",
                      f"returns *p, which must be in {sp.upper()}.", lambda p, ret=None: {"ret": p[:1].copy()},
                      returns="T", pseudo=("ret",)))
        out.append(_e(f"__store_{sp}", [ptr("p", "out", (scope,), "1"), num("value", NUMERIC)], "store",
                      f"*p = value; p must be in {sp.upper()}.",
                      lambda p, value: {"p": np.concatenate([np.array([value], p.dtype), p[1:]])},
                      lambda p, value: (st(p, 0, value),),
                      example=lambda rng: {"p": np.zeros(1, np.float32), "value": 2.5}))
    return out
