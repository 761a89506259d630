"""C scalar values for the reference interpreter: dtypes, C's conversions and arithmetic conversions, and
the table of C / CUDA math functions evaluated in the argument's precision.

Why separate: `interp` is about control flow and memory; what a C value *is* (how `int8 + int8` promotes,
how `(int)-2.7f` truncates, what `expf` of a float returns) is a table of its own that other tools
(constant folding, emulators) can share.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from xpiler import dtypes

# ----------------------------------------------------------------------------------------------------------
# dtypes

# The executors' table (xpiler.dtypes), less the types the interpreter cannot compute with (void; bfloat16,
# which numpy lacks), plus the C integer types the IR also names.
_ALIAS = {"size_t": "uint64", "ptrdiff_t": "int64", "char": "int8"}
NUMPY_TYPES = {name: dtypes.numpy_of(name).type for name in dtypes.NAMES if name not in ("void", "bfloat16")}
NUMPY_TYPES.update({alias: NUMPY_TYPES[target] for alias, target in _ALIAS.items()})
FLOATS = ("float16", "float32", "float64")  # in rank order
INT_BITS = {"bool": 1, "int8": 8, "uint8": 8, "int16": 16, "uint16": 16, "int32": 32, "uint32": 32,
             "int64": 64, "uint64": 64}


def canonical(dtype: str) -> str:
    """The dtype the interpreter computes with (`size_t` -> `uint64`)."""
    dtype = _ALIAS.get(dtype, dtype)
    if dtype not in NUMPY_TYPES:
        raise NotImplementedError(f"interp: dtype {dtype!r} is not supported")
    return dtype


def dtype_of_value(v: Any) -> str:
    if isinstance(v, np.generic):  # before `float`: np.float64 subclasses it
        return canonical(v.dtype.name)
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int32" if -(2**31) <= v < 2**31 else "int64"
    if isinstance(v, float):
        return "float32"
    raise TypeError(f"interp: not a scalar value: {v!r}")


def convert(v: Any, dtype: str) -> np.generic:
    """C conversion of scalar `v` to `dtype`: integers wrap, floats truncate toward zero into integers
    (out-of-range is undefined in C; it wraps here), anything nonzero is true."""
    dtype = canonical(dtype)
    if dtype == "bool":
        return np.bool_(v != 0)
    if dtype in FLOATS:
        return NUMPY_TYPES[dtype](v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        iv = 0 if math.isnan(f) or math.isinf(f) else math.trunc(f)
    else:
        iv = int(v)
    return NUMPY_TYPES[dtype](_wrap(iv, dtype))


def _wrap(iv: int, dtype: str) -> int:
    bits = INT_BITS[dtype]
    iv &= (1 << bits) - 1
    if not dtype.startswith("u") and iv >= 1 << (bits - 1):
        iv -= 1 << bits
    return iv


def promote(d: str) -> str:
    """C integer promotion: everything narrower than int becomes int."""
    return "int32" if d in INT_BITS and INT_BITS[d] < 32 else d


def common_dtype(a: str, b: str) -> str:
    """C's usual arithmetic conversions."""
    if a in FLOATS or b in FLOATS:
        return max((d for d in (a, b) if d in FLOATS), key=FLOATS.index)
    a, b = promote(a), promote(b)
    if a == b:
        return a
    ua, ub = a.startswith("u"), b.startswith("u")
    if ua == ub:
        return a if INT_BITS[a] >= INT_BITS[b] else b
    u, s = (a, b) if ua else (b, a)
    if INT_BITS[u] >= INT_BITS[s]:
        return u
    return s  # the signed type is wider and represents every value of the unsigned one


# ----------------------------------------------------------------------------------------------------------
# math functions: name -> (function on float64/ints, result rule)


def _round_half_away(x: float) -> float:
    return math.copysign(math.floor(abs(x) + 0.5), x) if math.isfinite(x) else x


def _fmax(a, b):
    return np.fmax(a, b)


def _fmin(a, b):
    return np.fmin(a, b)


# Unary float functions; the `f` suffix forms compute in float32 (the result is rounded to float32).
_UNARY: dict[str, Callable[[float], float]] = {
    "exp": np.exp, "exp2": np.exp2, "expm1": np.expm1, "log": np.log, "log2": np.log2, "log10": np.log10,
    "log1p": np.log1p, "sqrt": np.sqrt, "rsqrt": lambda x: 1.0 / np.sqrt(x), "sin": np.sin, "cos": np.cos,
    "tan": np.tan, "tanh": np.tanh, "sinh": np.sinh, "cosh": np.cosh, "asin": np.arcsin, "acos": np.arccos,
    "atan": np.arctan, "floor": np.floor, "ceil": np.ceil, "trunc": np.trunc, "rint": np.rint,
    "nearbyint": np.rint, "round": _round_half_away, "fabs": np.abs, "erf": math.erf, "erfc": math.erfc,
}
_BINARY: dict[str, Callable] = {
    "pow": np.power, "fmax": _fmax, "fmin": _fmin, "fmod": np.fmod, "atan2": np.arctan2, "copysign": np.copysign,
}
# Fast/approximate CUDA device spellings that compute the same function.
_FAST = {"__expf": "expf", "__logf": "logf", "__log2f": "log2f", "__log10f": "log10f", "__sinf": "sinf",
         "__cosf": "cosf", "__tanf": "tanf", "__powf": "powf", "__exp10f": "exp10f", "__fsqrt_rn": "sqrtf",
         "hexp": "exp", "hlog": "log", "hsqrt": "sqrt", "hrsqrt": "rsqrt", "htanh": "tanh", "hfloor": "floor",
         "hceil": "ceil", "__hmax": "max", "__hmin": "min", "__habs": "fabs"}
_CONVERSIONS = {"__half2float": "float32", "__float2half": "float16", "__float2half_rn": "float16",
                "__int2float_rn": "float32", "__float2int_rz": "int32", "__int_as_float": None}


def _float_dtype(name: str, args: list[np.generic]) -> tuple[str, str]:
    """Split `expf` into (`exp`, float32); `exp` takes the argument's float type (C++ overloads)."""
    if name.endswith("f") and name[:-1] in _UNARY.keys() | _BINARY.keys() | {"exp10"}:
        return name[:-1], "float32"
    ds = [dtype_of_value(a) for a in args]
    fl = [d for d in ds if d in FLOATS]
    return name, (max(fl, key=FLOATS.index) if fl else "float64")


def call_math(name: str, args: list[np.generic]) -> np.generic:
    """Evaluate the C/CUDA math function `name` on interpreter values."""
    name = name.removeprefix("std::").removeprefix("::")
    name = _FAST.get(name, name)
    if name in _CONVERSIONS and _CONVERSIONS[name] is not None:
        return convert(args[0], _CONVERSIONS[name])
    if name == "__fdividef" or name == "__fdiv_rn":
        return np.float32(args[0]) / np.float32(args[1])
    if name in ("__frcp_rn", "__frcp_rz"):
        return np.float32(1.0) / np.float32(args[0])
    if name in ("__saturatef", "saturate"):
        return np.float32(min(max(np.float32(args[0]), np.float32(0.0)), np.float32(1.0)))
    if name in ("max", "min"):
        d = common_dtype(*(dtype_of_value(a) for a in args))
        a, b = convert(args[0], d), convert(args[1], d)
        if d in FLOATS:  # CUDA's float max/min are fmaxf/fminf
            return convert((_fmax if name == "max" else _fmin)(a, b), d)
        return (max(a, b)) if name == "max" else (min(a, b))
    if name in ("abs", "labs", "llabs"):
        d = promote(dtype_of_value(args[0]))
        return convert(abs(int(args[0])) if d not in FLOATS else abs(args[0]), d)
    if name in ("isnan", "isinf", "isfinite", "signbit", "__isnanf", "__isinff"):
        f = float(args[0])
        fn = {"isnan": math.isnan, "isinf": math.isinf, "isfinite": math.isfinite,
              "signbit": lambda x: math.copysign(1.0, x) < 0}[name.strip("_").removesuffix("f")]
        return np.int32(bool(fn(f)))
    if name in ("lrintf", "lrint", "llrintf", "llrint"):
        return convert(np.rint(np.float64(args[0])), "int64")
    if name in ("fma", "fmaf"):
        d = "float32" if name == "fmaf" else "float64"
        return convert(float(args[0]) * float(args[1]) + float(args[2]), d)
    base, d = _float_dtype(name, args)
    if base == "exp10":
        return convert(10.0 ** float(args[0]), d)
    if base in _UNARY and len(args) == 1:
        x = convert(args[0], d)
        fn = _UNARY[base]
        if fn in (math.erf, math.erfc, _round_half_away):
            return convert(fn(float(x)), d)
        return convert(fn(x), d)
    if base in _BINARY and len(args) == 2:
        return convert(_BINARY[base](convert(args[0], d), convert(args[1], d)), d)
    raise NotImplementedError(f"interp: math function {name!r} is not in the interpreter's table")
