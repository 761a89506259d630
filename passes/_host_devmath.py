"""Device-only math and atomics of CUDA/HIP written in plain C, for host conversion IN.

Each rule maps a call (by its name, which the dialect's `LanguageFacts.math` lists as device math) to C
that computes the same value in a single thread: `__expf(x)` -> `expf(x)`, `__fdividef(a, b)` -> `a / b`,
`__half2float(h)` -> `(float)h`, `__ldg(p)` -> `*p`; an `atomicAdd(p, v)` statement whose result is unused
becomes `*p += v` (one thread cannot race). Calls without a rule that the C dialect does not know make the
pass decline."""

from __future__ import annotations

from collections.abc import Callable

from xpiler.ir import nodes as N
from xpiler.ir import types as T
from xpiler.ir.visit import walk

F32 = T.Scalar("float32", "float")
F16 = T.Scalar("float16")
BF16 = T.Scalar("bfloat16")
I32 = T.Scalar("int32", "int")


def _call(name: str, *args: N.Expr) -> N.Call:
    return N.Call(name, tuple(args), N.CallKind.MATH)


def _rename(name: str) -> Callable:
    return lambda *a: _call(name, *a)


def _binop(op: str) -> Callable:
    return lambda a, b: N.BinOp(op, a, b)


def _cast(t: T.Type) -> Callable:
    return lambda x: N.Cast(t, x)


def _half_fn(name: str) -> Callable:
    return lambda x: N.Cast(F16, _call(name, N.Cast(F32, x)))


ONE = N.Const(1.0, "float32")

# name -> (arity, builder of the C expression from the argument expressions)
RULES: dict[str, tuple[int, Callable]] = {
    "__expf": (1, _rename("expf")), "__logf": (1, _rename("logf")), "__sinf": (1, _rename("sinf")),
    "__cosf": (1, _rename("cosf")), "__powf": (2, _rename("powf")), "__fsqrt_rn": (1, _rename("sqrtf")),
    "__fdividef": (2, _binop("/")), "__fmul_rn": (2, _binop("*")), "__fadd_rn": (2, _binop("+")),
    "__fmaf_rn": (3, _rename("fmaf")), "__frcp_rn": (1, lambda x: N.BinOp("/", ONE, x)),
    "rsqrtf": (1, lambda x: N.BinOp("/", ONE, _call("sqrtf", x))),
    "rsqrt": (1, lambda x: N.BinOp("/", N.Const(1.0, "float64"), _call("sqrt", x))),
    "__saturatef": (1, lambda x: _call("fminf", _call("fmaxf", x, N.Const(0.0, "float32")), ONE)),
    "__int2float_rn": (1, _cast(F32)), "__float2int_rz": (1, _cast(I32)),
    "__float2int_rn": (1, lambda x: N.Cast(I32, _call("rintf", x))),
    "__half2float": (1, _cast(F32)), "__float2half": (1, _cast(F16)), "__float2half_rn": (1, _cast(F16)),
    "__bfloat162float": (1, _cast(F32)), "__float2bfloat16": (1, _cast(BF16)),
    "__hadd": (2, _binop("+")), "__hsub": (2, _binop("-")), "__hmul": (2, _binop("*")), "__hdiv": (2, _binop("/")),
    "__hfma": (3, lambda a, b, c: N.BinOp("+", N.BinOp("*", a, b), c)),
    "__hmax": (2, lambda a, b: N.Select(N.BinOp(">", a, b), a, b)),
    "__hmin": (2, lambda a, b: N.Select(N.BinOp("<", a, b), a, b)),
    "__hneg": (1, lambda a: N.UnOp("-", a)), "__habs": (1, lambda a: N.Select(N.BinOp("<", a, N.Cast(F16, N.Const(0))),
                                                                           N.UnOp("-", a), a)),
    "hexp": (1, _half_fn("expf")), "hlog": (1, _half_fn("logf")), "hsqrt": (1, _half_fn("sqrtf")),
    "hrsqrt": (1, lambda x: N.Cast(F16, N.BinOp("/", ONE, _call("sqrtf", N.Cast(F32, x))))),
    "__ldg": (1, lambda p: N.Deref(p)), "__ldcs": (1, lambda p: N.Deref(p)),
    "__popc": (1, _rename("__builtin_popcount")), "__popcll": (1, _rename("__builtin_popcountll")),
    "__clz": (1, lambda x: N.Select(N.BinOp("==", x, N.Const(0)), N.Const(32), _call("__builtin_clz", x))),
    "__ffs": (1, _rename("__builtin_ffs")),
}

# atomics as a statement: name -> compound operator (None: plain store); the result must be unused
ATOMIC_STMT = {"atomicAdd": "+", "atomicSub": "-", "atomicExch": None, "atomicAnd": "&", "atomicOr": "|",
               "atomicXor": "^", "atomicMax": "max", "atomicMin": "min"}


def rewrite_call(e: N.Call) -> N.Expr | None:
    rule = RULES.get(e.name)
    if rule is None or len(e.args) != rule[0]:
        return None
    return rule[1](*e.args)


def _target(p: N.Expr) -> N.Expr:
    if isinstance(p, N.AddrOf) and isinstance(p.value, (N.Load, N.Member, N.Deref, N.Var)):
        return p.value
    return N.Deref(p)


def atomic_stmt(s: N.Evaluate) -> N.Stmt | None:
    """`atomicOp(p, v);` as the single-thread store it performs, or None."""
    e = s.value
    if not (isinstance(e, N.Call) and e.name in ATOMIC_STMT and len(e.args) == 2):
        return None
    op, target, v = ATOMIC_STMT[e.name], _target(e.args[0]), e.args[1]
    if isinstance(target, N.Var):
        return None
    if op in ("max", "min"):
        keep = N.BinOp(">" if op == "max" else "<", v, target)
        return N.If(keep, (N.Store(target, v),))
    return N.Store(target, v, op)


# ---------------------------------------------------------------------------------------------------------
# max / min: CUDA and HIP overload them for every arithmetic type (the float ones are fmaxf / fminf); C has
# neither. With the operands' types known: fmaxf / fminf (float), fmax / fmin (double), a conditional for
# integers whose operands are free of calls; unknown types keep the call (and the C check declines).

_FLOAT_RANK = {"float16": 1, "bfloat16": 1, "float32": 1, "float64": 2}


def expr_dtype(e: N.Expr, types: dict) -> str | None:
    """The dtype of an arithmetic expression from the declared types of the names it reads, or None."""
    if isinstance(e, N.Const):
        return e.dtype
    if isinstance(e, N.Var):
        t = types.get(e.sym)
        return t.dtype if isinstance(t, T.Scalar) else None
    if isinstance(e, N.Load):
        base = e.base
        while isinstance(base, N.Load):
            base = base.base
        if isinstance(base, N.BinOp) and base.op in ("+", "-"):
            base = base.a
        if isinstance(base, N.Cast):
            t = base.type
            return t.pointee.dtype if isinstance(t, T.Pointer) and isinstance(t.pointee, T.Scalar) else None
        if isinstance(base, N.Var):
            t = types.get(base.sym)
            inner = t.pointee if isinstance(t, T.Pointer) else t
            return inner.dtype if isinstance(inner, T.Scalar) else None
        return None
    if isinstance(e, N.Cast):
        return e.type.dtype if isinstance(e.type, T.Scalar) else None
    if isinstance(e, N.UnOp) and e.op in ("-", "+"):
        return expr_dtype(e.a, types)
    if isinstance(e, (N.BinOp, N.Select)):
        if isinstance(e, N.BinOp) and e.op in ("<", "<=", ">", ">=", "==", "!=", "&&", "||"):
            return "int32"
        a, b = expr_dtype(e.a, types), expr_dtype(e.b, types)
        if a is None or b is None:
            return None
        ra, rb = _FLOAT_RANK.get(a, 0), _FLOAT_RANK.get(b, 0)
        return a if ra >= rb else b
    if isinstance(e, N.Call) and e.kind is N.CallKind.MATH and e.name in ("expf", "logf", "sqrtf", "fabsf", "tanhf",
                                                                         "fmaxf", "fminf", "powf"):
        return "float32"
    return None


def max_min(e: N.Call, types: dict) -> N.Expr | None:
    """`max(a, b)` / `min(a, b)` in C, from the operands' types (see above), or None."""
    name = e.name.removeprefix("std::")
    if name not in ("max", "min") or len(e.args) != 2:
        return None
    kinds = [expr_dtype(a, types) for a in e.args]
    if None in kinds:
        return None
    rank = max(_FLOAT_RANK.get(k, 0) for k in kinds)
    if rank == 2:
        return _call("fmax" if name == "max" else "fmin", *e.args)
    if rank == 1:
        return _call("fmaxf" if name == "max" else "fminf", *e.args)
    if any(isinstance(n, N.Call) for a in e.args for n in walk(a)):
        return None
    a, b = e.args
    return N.Select(N.BinOp(">" if name == "max" else "<", a, b), a, b)


def declared_types(func: N.Func) -> dict:
    """Symbol -> declared type, for the function's parameters, locals and arrays."""
    out = {p.sym: p.type for p in func.params}
    for n in walk(func):
        if isinstance(n, N.Decl):
            out[n.sym] = n.type
        elif isinstance(n, N.Alloc):
            out[n.sym] = T.Pointer(n.elem)
        elif isinstance(n, N.For) and n.var_type is not None:
            out[n.var] = n.var_type
    return out
