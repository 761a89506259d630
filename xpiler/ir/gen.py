"""Random well-formed loop nests for property tests (hypothesis strategies).

Why: printers, frontends and executors must agree on what a kernel means. A generator of small, valid,
in-bounds programs lets one test check print -> parse -> print and compare native execution against
the reference interpreter (`interp`) for every dialect, on programs no one wrote by hand.

What `kernels()` draws (an `Example`):
- a function `f(const float* x0[, x1], float* y[, int n0, n1...])`;
- 1-3 nested counted loops with small extents: constants (powers of two and not) or int parameters,
  some `#pragma unroll`ed;
- either an element-wise body (`y[idx] = e` or `+=`, optionally under an `if` with an `else`) or a
  reduction (`float acc = c; for inner: acc += e / acc = fmaxf(acc, e); y[idx] = acc`);
- float expressions of loads with affine in-bounds indices (mixed-radix, some axes reversed), small
  non-negative constants, `(float)` of int expressions of loop variables (`/ %` by constants), `+ - *`, unary `-`, `fmaxf/fminf`, and `?:` on comparisons.
Buffers are sized for the index ranges, so every access is in bounds. A negated literal is built as a
negative `Const`, the form the frontend gives `-2.0f`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st

from xpiler.ir import nodes as N
from xpiler.ir.types import FLOAT32, INT32, Pointer, Scalar, Scope

_CONSTS = (0.0, 0.25, 0.5, 1.0, 2.0, 3.0)
_EXTENTS = (1, 2, 3, 4, 5, 7, 8)
LAUNCH_COMMENT = {"cuda": "xpiler:launch grid=1,1,1 block=1,1,1", "hip": "xpiler:launch grid=1,1,1 block=1,1,1",
                  "bang": "xpiler:launch tasks=1"}
EXTENSION = {"c": "c", "vnni": "cpp", "cuda": "cu", "hip": "hip", "bang": "mlu"}


@dataclass
class Arg:
    """One parameter's argument: an input buffer, the output buffer, or an int extent."""

    kind: str  # "in" | "out" | "int"
    size: int = 0  # elements, for buffers
    value: int = 0  # for ints


@dataclass
class Example:
    name: str
    params: tuple[N.Param, ...]
    body: tuple[N.Stmt, ...]
    args: list[Arg] = field(default_factory=list)

    def func(self, dialect: str) -> N.Func:
        """The loop nest as `dialect`'s entry: an extern "C" host function (c, vnni) or a kernel."""
        kernel = dialect in ("cuda", "hip", "bang")
        scope = Scope.GLOBAL if kernel else Scope.HOST
        params = tuple(
            N.Param(p.sym, Pointer(p.type.pointee, scope, p.type.const)) if isinstance(p.type, Pointer) else p
            for p in self.params
        )
        return N.Func(self.name, params, Scalar("void"), self.body,
                      N.FuncKind.KERNEL if kernel else N.FuncKind.HOST, extern_c=not kernel)

    def module(self, dialect: str) -> N.Module:
        items: tuple = (self.func(dialect),)
        if dialect in LAUNCH_COMMENT:
            items = (N.Comment(LAUNCH_COMMENT[dialect]),) + items
        return N.Module(dialect, items)

    def make_args(self, seed: int = 0) -> list:
        """Fresh arguments: inputs uniform in [-1, 1], the output pre-filled (stores may accumulate)."""
        rng = np.random.default_rng(seed)
        out: list = []
        for a in self.args:
            if a.kind == "int":
                out.append(a.value)
            else:
                out.append(rng.uniform(-1, 1, a.size).astype(np.float32))
        return out

    def env(self, args: list) -> dict:
        return {p.sym: a for p, a in zip(self.params, args)}


@dataclass
class _Loop:
    var: N.Sym
    extent: N.Expr
    size: int  # the concrete extent


def _c(x: float) -> N.Const:
    return N.Const(float(x), "float32")


def _i(x: int) -> N.Const:
    return N.Const(int(x), "int32")


@st.composite
def _index(draw, loops: list[_Loop]) -> tuple[N.Expr, int]:
    """An affine in-bounds index over a subset of `loops` (mixed radix): (expr, extent it spans)."""
    if not loops:
        return _i(0), 1
    chosen = draw(st.lists(st.sampled_from(range(len(loops))), unique=True, min_size=1, max_size=len(loops)))
    idx: N.Expr | None = None
    span = 1
    for k in chosen:
        lp = loops[k]
        v: N.Expr = N.Var(lp.var)
        if draw(st.booleans()) and draw(st.booleans()):  # reversed axis: E - 1 - v
            v = N.BinOp("-", N.BinOp("-", lp.extent, _i(1)), v)
        idx = v if idx is None else N.BinOp("+", N.BinOp("*", idx, lp.extent), v)
        span *= lp.size
    return idx, span


@st.composite
def _fexpr(draw, loops: list[_Loop], inputs: list[N.Sym], depth: int) -> N.Expr:
    leaf_only = depth <= 0 or draw(st.integers(0, 3)) == 0
    if leaf_only:
        kind = draw(st.sampled_from(["load", "load", "const", "var"] if loops else ["load", "const"]))
        if kind == "load":
            idx, _ = draw(_index(loops))
            return N.Load(N.Var(draw(st.sampled_from(inputs))), (idx,))
        if kind == "const":
            return _c(draw(st.sampled_from(_CONSTS)))
        return N.Cast(FLOAT32, draw(_iexpr(loops, 1 if depth > 1 else 0)))
    kind = draw(st.sampled_from(["+", "-", "*", "+", "call", "select", "neg"]))
    sub = _fexpr(loops, inputs, depth - 1)
    if kind == "call":
        return N.Call(draw(st.sampled_from(["fmaxf", "fminf"])), (draw(sub), draw(sub)), N.CallKind.MATH)
    if kind == "neg":  # the frontend folds `-<literal>` into a negative literal: build that form
        a = draw(sub)
        return _c(-a.value) if isinstance(a, N.Const) else N.UnOp("-", a)
    if kind == "select":
        cond = N.BinOp(draw(st.sampled_from(["<", "<=", ">", ">="])), draw(sub), draw(sub))
        return N.Select(cond, draw(sub), draw(sub))
    return N.BinOp(kind, draw(sub), draw(sub))


@st.composite
def _iexpr(draw, loops: list[_Loop], depth: int) -> N.Expr:
    """A small int expression of loop variables; `/` and `%` by positive constants, operands possibly
    negative, so C's truncating division is exercised."""
    if depth <= 0 or draw(st.booleans()):
        return N.Var(draw(st.sampled_from(loops)).var) if draw(st.integers(0, 3)) else _i(draw(st.integers(0, 9)))
    op = draw(st.sampled_from(["+", "-", "*", "/", "%"]))
    a = draw(_iexpr(loops, depth - 1))
    b = _i(draw(st.integers(1, 5))) if op in ("/", "%") else draw(_iexpr(loops, depth - 1))
    return N.BinOp(op, a, b)


@st.composite
def _guard(draw, loops: list[_Loop], inputs: list[N.Sym]) -> N.Expr:
    if loops and draw(st.booleans()):
        a = draw(st.sampled_from(loops))
        rhs = N.Var(draw(st.sampled_from(loops)).var) if draw(st.booleans()) else _i(draw(st.integers(0, 4)))
        lhs: N.Expr = N.Var(a.var)
        if draw(st.booleans()):
            lhs = N.BinOp("+", lhs, N.Var(draw(st.sampled_from(loops)).var))
        return N.BinOp(draw(st.sampled_from(["<", "<=", "!=", "=="])), lhs, rhs)
    return N.BinOp(draw(st.sampled_from(["<", ">"])), draw(_fexpr(loops, inputs, 1)), _c(draw(st.sampled_from(_CONSTS))))


@st.composite
def kernels(draw, name: str = "prop_kernel", unroll: bool = True) -> Example:
    """A random loop-nest kernel (see the module docstring); `unroll=False` draws no unrolled loops."""
    n_in = draw(st.integers(1, 2))
    inputs = [N.Sym(f"x{k}") for k in range(n_in)]
    y = N.Sym("y")
    depth = draw(st.integers(1, 3))
    loops: list[_Loop] = []
    int_params: list[tuple[N.Sym, int]] = []
    for k in range(depth):
        size = draw(st.sampled_from(_EXTENTS))
        if draw(st.integers(0, 3)) == 0:
            s = N.Sym(f"n{len(int_params)}")
            int_params.append((s, size))
            extent: N.Expr = N.Var(s)
        else:
            extent = _i(size)
        loops.append(_Loop(N.Sym("ijk"[k]), extent, size))

    unroll_ok = unroll

    def nest(ls: list[_Loop], inner: tuple[N.Stmt, ...]) -> tuple[N.Stmt, ...]:
        for lp in reversed(ls):
            unroll = draw(st.sampled_from([None] * 6 + [0, 2])) if unroll_ok else None
            kind = N.LoopKind.SERIAL if unroll is None else N.LoopKind.UNROLLED
            inner = (N.For(lp.var, _i(0), lp.extent, _i(1), inner, kind=kind, unroll=unroll or None, var_type=INT32),)
        return inner

    total = int(np.prod([lp.size for lp in loops]))
    expr_depth = draw(st.integers(0, 3))
    if draw(st.booleans()):  # element-wise
        idx, _ = draw(_index(loops))
        op = draw(st.sampled_from([None, None, "+", "-"]))
        pre: tuple = ()
        if draw(st.integers(0, 3)) == 0:  # the index through an int local
            t = N.Sym("t")
            pre, idx = (N.Decl(t, INT32, idx, const=draw(st.booleans())),), N.Var(t)
        stmt: N.Stmt = N.Store(N.Load(N.Var(y), (idx,)), draw(_fexpr(loops, inputs, expr_depth)), op)
        if draw(st.integers(0, 2)) == 0:
            orelse: tuple = ()
            if draw(st.booleans()):
                orelse = (N.Store(N.Load(N.Var(y), (draw(_index(loops))[0],)), draw(_fexpr(loops, inputs, 1))),)
            stmt = N.If(draw(_guard(loops, inputs)), (stmt,), orelse)
        body = nest(loops, pre + (stmt,))
    else:  # reduction over the innermost loop into a local accumulator
        outer, inner = loops[:-1], loops[-1:]
        acc = N.Sym("acc")
        e = draw(_fexpr(loops, inputs, expr_depth))
        if draw(st.booleans()):
            update: N.Stmt = N.Assign(acc, e, "+")
        else:
            update = N.Assign(acc, N.Call("fmaxf", (N.Var(acc), e), N.CallKind.MATH))
        if draw(st.integers(0, 3)) == 0:
            update = N.If(draw(_guard(loops, inputs)), (update,))
        idx, _ = draw(_index(outer))
        result: N.Expr = N.Var(acc)
        if draw(st.booleans()):
            result = N.BinOp("*", result, _c(draw(st.sampled_from(_CONSTS[1:]))))
        body = nest(outer, (N.Decl(acc, FLOAT32, _c(draw(st.sampled_from(_CONSTS)))),)
                    + nest(inner, (update,)) + (N.Store(N.Load(N.Var(y), (idx,)), result),))
    params = tuple(N.Param(x, Pointer(FLOAT32, Scope.HOST, const=True)) for x in inputs)
    params += (N.Param(y, Pointer(FLOAT32, Scope.HOST)),)
    params += tuple(N.Param(s, INT32) for s, _ in int_params)
    args = [Arg("in", total) for _ in inputs] + [Arg("out", total)] + [Arg("int", value=v) for _, v in int_params]
    return Example(name, params, body, args)
