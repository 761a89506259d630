"""Z3 helpers for passes: IR index expressions as Z3 integer terms, affine forms, loop domains, proofs.

Why: passes must show that a rewrite keeps the iteration domain, binds threads bijectively and keeps
indices in bounds. Those are statements about integer index arithmetic, which Z3 decides; this module is
the one bridge from IR expressions to Z3 so every pass models C the same way.

Model (what `to_z3` promises):
- Integers are mathematical integers (no wraparound): index arithmetic of valid kernels does not overflow.
- `/` and `%` follow C exactly, truncating toward zero for any signs (Z3's own `/` and `%` are Euclidean).
- `<<`, `>>` by a constant are multiplication / floor division by a power of two; `& (2^k - 1)` is mod 2^k.
- Comparisons and `&&`, `||`, `!` give Z3 booleans; a boolean used as a number is `If(b, 1, 0)`.
- A `Var` is `env[sym]` when given, else the Z3 Int named `name!id` (stable per Sym, see `sym_var`);
  a `Builtin` is the Z3 Int named after it (`threadIdx.x`). Object-like macros expand from `defines`
  (`Module.defines()`); min/max calls and MIN/MAX macros without defines become `If`.
- Loads, floats and other calls raise `Unsupported` with a message naming what could not be modeled.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import z3

from xpiler.ir import nodes as N
from xpiler.ir.types import Scalar
from xpiler.ir.visit import Rewriter, map_exprs, walk

_FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")


class Unsupported(Exception):
    """The expression cannot be modeled as integer arithmetic (a load, a float, an unknown call)."""


class NotAffine(Unsupported):
    """The expression is integer arithmetic but not affine in the requested variables."""


# ----------------------------------------------------------------------------------------------------------
# macros


def inline_macro_call(define: N.Define, args: tuple) -> N.Expr:
    """The body of function-like macro `define` with its parameters replaced by `args`. Parameters are
    matched by name, as the preprocessor does: the body's `Var`s named like a parameter are the parameter."""
    if define.body is None or define.params is None:
        raise ValueError(f"macro {define.name!r} has no parsed function-like body")
    if len(args) != len(define.params):
        raise ValueError(f"macro {define.name!r} takes {len(define.params)} arguments, got {len(args)}")
    by_name = dict(zip(define.params, args))
    return map_exprs(define.body, lambda e: by_name.get(e.sym.name) if isinstance(e, N.Var) else None)


class _MacroExpander(Rewriter):
    def __init__(self, defines: dict[str, N.Define], depth: int, scope: dict | None = None) -> None:
        self.defines = defines
        self.by_sym = {d.sym: d for d in defines.values()}
        self.depth = depth
        self.scope = scope or {}

    def _lookup(self, sym: N.Sym) -> N.Define | None:
        return self.by_sym.get(sym) or self.defines.get(sym.name)

    def rewrite_Var(self, node: N.Var) -> N.Expr | None:
        d = self._lookup(node.sym)
        if d is None or d.params is not None or d.body is None:
            return None
        return self._again(d.body)

    def rewrite_Call(self, node: N.Call) -> N.Expr | None:
        if node.kind is not N.CallKind.MACRO:
            return None
        d = self.defines.get(node.name)
        if d is None or d.params is None or d.body is None:
            return None
        return self._again(inline_macro_call(d, node.args))

    def _again(self, e: N.Expr) -> N.Expr:
        if self.depth <= 0:
            raise ValueError("macro expansion nested too deeply (a recursive #define?)")
        if self.scope:  # the body's names mean what they mean where the macro is used
            e = map_exprs(e, lambda x: N.Var(self.scope[x.sym.name]) if isinstance(x, N.Var) and
                          x.sym.name in self.scope and x.sym is not self.scope[x.sym.name] else None)
        return _MacroExpander(self.defines, self.depth - 1, self.scope).rewrite(e)


def expand_macros(node: Any, defines: dict[str, N.Define] | None, scope: dict | None = None) -> Any:
    """`node` with every object-like macro use and function-like macro call (those whose Define has a
    parsed body) replaced by its expansion, recursively. Unparsed macros are left in place. With `scope`
    (name -> Sym, the function where `node` sits), a name in an expanded body is that function's symbol of
    the name, as the preprocessor would bind it (`#define NVEC (N / 4)` inside `f(int N)` reads f's N)."""
    if not defines:
        return node
    return _MacroExpander(dict(defines), 32, scope).rewrite(node)


# ----------------------------------------------------------------------------------------------------------
# expressions


def sym_var(sym: N.Sym) -> z3.ArithRef:
    """The Z3 integer standing for `sym` (same Sym, same Z3 variable)."""
    return z3.Int(f"{sym.name}!{sym.id}")


def c_div(a: z3.ArithRef, b: z3.ArithRef) -> z3.ArithRef:
    """C integer division (truncates toward zero) on Z3 integers."""
    if z3.is_int_value(b):
        bv = b.as_long()
        if bv > 0:
            return z3.If(a >= 0, a / bv, -((-a) / bv))
        if bv < 0:
            return z3.If(a >= 0, -(a / -bv), (-a) / -bv)
    return z3.If(a >= 0, z3.If(b > 0, a / b, -(a / -b)), z3.If(b > 0, -((-a) / b), (-a) / -b))


def c_mod(a: z3.ArithRef, b: z3.ArithRef) -> z3.ArithRef:
    """C `%`: the remainder has the sign of the dividend."""
    return a - b * c_div(a, b)


def int_binop(op: str, a: Any, b: Any) -> Any:
    """C's binary operator `op` on integer terms (unbounded: no wrap-around): comparisons, + - * / %
    (truncating), shifts by a constant, `&` with a constant 2^k - 1 mask. Anything else raises Unsupported."""
    if op in ("<", "<=", ">", ">=", "==", "!="):
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b, "!=": a != b}[op]
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return c_div(a, b)
    if op == "%":
        return c_mod(a, b)
    bs = z3.simplify(b)
    if op in ("<<", ">>") and z3.is_int_value(bs) and 0 <= bs.as_long() < 64:
        k = 2 ** bs.as_long()
        return a * k if op == "<<" else a / k  # Z3's `/` by a positive constant floors: arithmetic shift
    if op == "&" and z3.is_int_value(bs) and bs.as_long() > 0 and (bs.as_long() + 1) & bs.as_long() == 0:
        return a % (bs.as_long() + 1)  # two's complement: a & (2^k - 1) == a mod 2^k (Euclidean)
    raise Unsupported(f"operator {op!r} with a non-constant or unsupported operand")


def _as_int(v: Any) -> z3.ArithRef:
    return z3.If(v, z3.IntVal(1), z3.IntVal(0)) if z3.is_bool(v) else v


def _as_bool(v: Any) -> z3.BoolRef:
    return v if z3.is_bool(v) else v != 0


class _ToZ3:
    def __init__(self, env: dict | None, defines: dict | None) -> None:
        self.env = env or {}
        self.defines = defines or {}
        self.by_sym = {d.sym: d for d in self.defines.values()}

    def conv(self, e: N.Expr) -> Any:
        fn = getattr(self, "e_" + type(e).__name__, None)
        if fn is None:
            raise Unsupported(f"{type(e).__name__} cannot be modeled as integer arithmetic")
        return fn(e)

    def e_Const(self, e: N.Const) -> Any:
        if e.dtype in _FLOAT_DTYPES or isinstance(e.value, float):
            raise Unsupported(f"float constant {e.value!r}")
        if isinstance(e.value, bool):
            return z3.BoolVal(e.value)
        return z3.IntVal(int(e.value))

    def e_Var(self, e: N.Var) -> Any:
        if e.sym in self.env:
            return self.env[e.sym]
        d = self.by_sym.get(e.sym) or self.defines.get(e.sym.name)
        if d is not None:
            if d.params is not None or d.body is None:
                raise Unsupported(f"macro {d.name!r} has no value")
            return self.conv(expand_macros(d.body, self.defines))
        return sym_var(e.sym)

    def e_Builtin(self, e: N.Builtin) -> Any:
        return self.env.get(e.name, z3.Int(e.name))

    def e_Cast(self, e: N.Cast) -> Any:
        if isinstance(e.type, Scalar) and e.type.dtype not in _FLOAT_DTYPES:
            v = self.conv(e.value)
            return (v if z3.is_bool(v) else v != 0) if e.type.dtype == "bool" else _as_int(v)
        raise Unsupported(f"cast to {e.type}")

    def e_UnOp(self, e: N.UnOp) -> Any:
        a = self.conv(e.a)
        if e.op == "!":
            return z3.Not(_as_bool(a))
        if e.op == "-":
            return -_as_int(a)
        if e.op == "+":
            return _as_int(a)
        return -_as_int(a) - 1  # ~a in two's complement

    def e_Select(self, e: N.Select) -> Any:
        a, b = self.conv(e.a), self.conv(e.b)
        if z3.is_bool(a) != z3.is_bool(b):
            a, b = _as_int(a), _as_int(b)
        return z3.If(_as_bool(self.conv(e.cond)), a, b)

    def e_BinOp(self, e: N.BinOp) -> Any:
        op = e.op
        a, b = self.conv(e.a), self.conv(e.b)
        if op in ("&&", "||"):
            return (z3.And if op == "&&" else z3.Or)(_as_bool(a), _as_bool(b))
        return int_binop(op, _as_int(a), _as_int(b))

    def e_Call(self, e: N.Call) -> Any:
        if e.kind is N.CallKind.MACRO and e.name in self.defines:
            d = self.defines[e.name]
            if d.params is not None and d.body is not None:
                return self.conv(expand_macros(inline_macro_call(d, e.args), self.defines))
        name = e.name.removeprefix("std::").lower()
        if name in ("min", "max") and len(e.args) == 2 and e.kind in (N.CallKind.MATH, N.CallKind.MACRO,
                                                                      N.CallKind.OTHER, N.CallKind.FUNC):
            a, b = _as_int(self.conv(e.args[0])), _as_int(self.conv(e.args[1]))
            return z3.If(a <= b, a, b) if name == "min" else z3.If(a >= b, a, b)
        raise Unsupported(f"call of {e.name!r} ({e.kind.value})")

    def e_SizeOf(self, e: N.SizeOf) -> Any:
        if isinstance(e.arg, Scalar):
            from xpiler import dtypes

            return z3.IntVal(dtypes.itemsize(e.arg.dtype))
        raise Unsupported("sizeof of a non-scalar")

    def e_Load(self, e: N.Load) -> Any:
        raise Unsupported("a memory load (the value is not known to the index arithmetic)")


def to_z3(expr: N.Expr, env: dict | None = None, defines: dict | None = None) -> Any:
    """`expr` as a Z3 integer term (or boolean, for comparisons); see the module docstring for the model."""
    return _ToZ3(env, defines).conv(expr)


# ----------------------------------------------------------------------------------------------------------
# affine forms


@dataclass
class AffineForm:
    """`sum(coeffs[v] * v) + const`. Coefficients and the constant are ints when they are numbers, else Z3
    terms over the other (non-variable) symbols, e.g. the coefficient `K` of `i` in `i*K + k`."""

    coeffs: dict[N.Sym, Any] = field(default_factory=dict)
    const: Any = 0

    def coeff(self, sym: N.Sym) -> Any:
        return self.coeffs.get(sym, 0)

    def to_z3(self, env: dict | None = None) -> z3.ArithRef:
        env = env or {}
        out = z3.IntVal(self.const) if isinstance(self.const, int) else self.const
        for s, c in self.coeffs.items():
            out = out + c * env.get(s, sym_var(s))
        return out


def _simpl(v: Any) -> Any:
    if isinstance(v, int):
        return v
    v = z3.simplify(v)
    return v.as_long() if z3.is_int_value(v) else v


def _scale(f: AffineForm, k: Any) -> AffineForm:
    return AffineForm({s: _simpl(c * k) for s, c in f.coeffs.items() if not _is_zero(_simpl(c * k))},
                      _simpl(f.const * k))


def _is_zero(v: Any) -> bool:
    return isinstance(v, int) and v == 0


def _add(f: AffineForm, g: AffineForm, sign: int = 1) -> AffineForm:
    coeffs = dict(f.coeffs)
    for s, c in g.coeffs.items():
        v = _simpl(coeffs.get(s, 0) + sign * c)
        if _is_zero(v):
            coeffs.pop(s, None)
        else:
            coeffs[s] = v
    return AffineForm(coeffs, _simpl(f.const + sign * g.const))


def affine_form(expr: N.Expr, vars: Sequence[N.Sym], defines: dict | None = None) -> AffineForm | None:
    """The affine form of `expr` in `vars`, or None when it is not affine in them (or not modelable).
    Products with terms free of `vars` give symbolic coefficients; division or modulo involving a var,
    loads, and min/max of vars are not affine."""
    expr = expand_macros(expr, defines)
    vs = set(vars)
    try:
        return _affine(expr, vs, _ToZ3(None, defines))
    except NotAffine:
        return None
    except Unsupported:
        return None


def _mentions(e: N.Expr, vs: set[N.Sym]) -> bool:
    return any(isinstance(n, N.Var) and n.sym in vs for n in walk(e))


def _affine(e: N.Expr, vs: set[N.Sym], tz: _ToZ3) -> AffineForm:
    if isinstance(e, N.Var) and e.sym in vs:
        return AffineForm({e.sym: 1}, 0)
    if not _mentions(e, vs):
        v = tz.conv(e)
        if z3.is_bool(v):
            v = _as_int(v)
        return AffineForm({}, _simpl(v))
    if isinstance(e, N.BinOp) and e.op in ("+", "-"):
        return _add(_affine(e.a, vs, tz), _affine(e.b, vs, tz), 1 if e.op == "+" else -1)
    if isinstance(e, N.BinOp) and e.op == "*":
        fa, fb = _affine(e.a, vs, tz), _affine(e.b, vs, tz)
        if not fa.coeffs:
            return _scale(fb, fa.const)
        if not fb.coeffs:
            return _scale(fa, fb.const)
        raise NotAffine("product of two terms with loop variables")
    if isinstance(e, N.BinOp) and e.op == "<<" and not _mentions(e.b, vs):
        k = _simpl(tz.conv(e.b))
        if isinstance(k, int) and 0 <= k < 64:
            return _scale(_affine(e.a, vs, tz), 2**k)
    if isinstance(e, N.UnOp) and e.op in ("-", "+"):
        f = _affine(e.a, vs, tz)
        return _scale(f, -1) if e.op == "-" else f
    if isinstance(e, N.Cast) and isinstance(e.type, Scalar) and e.type.dtype not in _FLOAT_DTYPES + ("bool",):
        return _affine(e.value, vs, tz)
    raise NotAffine(f"{type(e).__name__} {getattr(e, 'op', '')} of loop variables")


# ----------------------------------------------------------------------------------------------------------
# loop domains and proofs


def loops_of(node: Any) -> list[N.For]:
    """Every `For` at or under `node` (a For, a statement tuple, a Func), outermost first."""
    return [n for n in walk(node) if isinstance(n, N.For)]


def loop_domain(loop: Any, env: dict | None = None, defines: dict | None = None) -> tuple[list, z3.BoolRef]:
    """(Z3 loop variables, constraint) of the iteration space of every For at or under `loop`:
    `start <= v < stop` and, for steps other than 1, `(v - start) % step == 0`. Bounds may mention outer
    loop variables, parameters (free Z3 Ints) and macros (with `defines`)."""
    env = dict(env or {})
    vars_, parts = [], []
    for f in loops_of(loop):
        v = env.setdefault(f.var, sym_var(f.var))
        vars_.append(v)
        start, stop = _as_int(to_z3(f.start, env, defines)), _as_int(to_z3(f.stop, env, defines))
        parts += [start <= v, v < stop]
        step = z3.simplify(_as_int(to_z3(f.step, env, defines)))
        if not (z3.is_int_value(step) and step.as_long() == 1):
            parts += [step > 0, (v - start) % step == 0]
    return vars_, z3.And(*parts) if parts else z3.BoolVal(True)


def prove(claim: Any, assumptions: Iterable[Any] = (), timeout_ms: int = 5000) -> tuple[bool, Any]:
    """Is `claim` true whenever all `assumptions` hold? Returns (True, None) when proved, (False, model)
    with a counterexample, or (False, None) when Z3 gives up (timeout / unknown)."""
    s = z3.Solver()
    s.set("timeout", timeout_ms)
    for a in assumptions:
        s.add(_as_bool(a))
    s.add(z3.Not(_as_bool(claim)))
    r = s.check()
    if r == z3.unsat:
        return True, None
    if r == z3.sat:
        return False, s.model()
    return False, None
