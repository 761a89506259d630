"""A small reference interpreter of the scalar IR: `run(stmts, env)` and `eval_expr(expr, env)`.

Why: intrinsic catalogue entries carry a scalar loop form that must agree with their numpy semantics, and
the property test needs an oracle that does not go through any printer or compiler. Both only need the
scalar subset (loops, branches, scalar and array arithmetic), executed with C's rules, slowly but plainly.

Semantics (C, as the executors compile it):
- Values are numpy scalars of a canonical dtype; arithmetic applies C's usual arithmetic conversions
  (integer promotion to int, then the common type), integers wrap to the result width, float32 stays
  float32. Integer `/` and `%` truncate toward zero. Comparisons and `&& || !` give int 0/1.
- `env` maps `Sym` to numpy arrays (buffers, mutated in place) or numbers. Python ints read as int32
  (int64 when too large), Python floats as float32, bools as bool; numpy scalars keep their dtype. Decl'd
  locals are added to `env`, so a caller can read an accumulator afterwards. Built-in variables
  (`threadIdx.x`) may be bound in `env` by their name string. Object-like macros are bound by their Sym,
  or expanded from `defines` (a Module's `defines()` dict) when given.
- Buffers: `a[i][j]` on an array of matching ndim indexes its shape; a single index on an env array
  addresses the flat (C order) array, as a pointer parameter would. Every access is bounds-checked
  (IndexError names the buffer). Pointer arithmetic (`p + off`, `&a[i]`, `*p`) is supported on flat views.
- Unsupported nodes (Launch, Barrier, Opaque, intrinsic calls, vectors, ...) raise NotImplementedError
  naming the node kind.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from xpiler.ir import nodes as N
from xpiler.ir.cvalues import (
    FLOATS,
    INT_BITS,
    NUMPY_TYPES,
    call_math,
    canonical,
    common_dtype,
    convert,
    dtype_of_value,
    promote,
)
from xpiler.ir.types import Pointer, Scalar, Type

# ----------------------------------------------------------------------------------------------------------
# pointers


class Ptr:
    """A pointer into the flat view of a numpy buffer: `(flat, offset)`; `name` is for error messages."""

    __slots__ = ("flat", "name", "offset")

    def __init__(self, flat: np.ndarray, offset: int, name: str) -> None:
        self.flat, self.offset, self.name = flat, offset, name

    def __repr__(self) -> str:
        return f"Ptr({self.name}+{self.offset})"


def _flat(arr: np.ndarray, name: str) -> np.ndarray:
    if not arr.flags.c_contiguous:
        raise ValueError(f"interp: buffer {name!r} must be C-contiguous (writes would go to a copy)")
    return arr.reshape(-1)


# ----------------------------------------------------------------------------------------------------------
# the interpreter

_BREAK, _CONTINUE = "break", "continue"


class _Return:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class Interpreter:
    """Executes statements against `env` (see the module docstring). One instance per run."""

    def __init__(self, env: dict, defines: dict | None = None) -> None:
        self.env = env
        self.types: dict[N.Sym, str] = {}  # declared dtype of scalar variables
        self.arrays: set[N.Sym] = set()  # Alloc'd arrays (C arrays: `a[i]` of a 2-D one is a row)
        self.defines = {d.sym: d for d in (defines or {}).values()}
        self._define_by_name = {d.name: d for d in self.defines.values()}

    # -- statements ------------------------------------------------------------------------------------
    def block(self, stmts: tuple) -> Any:
        for s in stmts:
            r = self.stmt(s)
            if r is not None:
                return r
        return None

    def stmt(self, s: N.Stmt) -> Any:
        fn = getattr(self, "s_" + type(s).__name__, None)
        if fn is None:
            raise NotImplementedError(f"interp: statement {type(s).__name__} is not supported")
        return fn(s)

    def s_Decl(self, s: N.Decl) -> None:
        if isinstance(s.type, Scalar):
            d = canonical(s.type.dtype)
            self.types[s.sym] = d
            self.env[s.sym] = convert(self.expr(s.init), d) if s.init is not None else convert(0, d)
        elif isinstance(s.type, Pointer):
            v = self.expr(s.init) if s.init is not None else None
            if isinstance(v, np.ndarray):
                v = Ptr(_flat(v, s.sym.name), 0, s.sym.name)
            self.env[s.sym] = v
        else:
            raise NotImplementedError(f"interp: Decl of type {type(s.type).__name__} is not supported")

    def s_Alloc(self, s: N.Alloc) -> None:
        if not isinstance(s.elem, Scalar):
            raise NotImplementedError(f"interp: Alloc of {type(s.elem).__name__} elements is not supported")
        shape = tuple(int(self.expr(e)) for e in s.shape)
        arr = np.zeros(shape, dtype=NUMPY_TYPES[canonical(s.elem.dtype)])
        if s.init is not None:
            vals = list(_flatten_init(s.init))
            flat = arr.reshape(-1)
            if len(vals) > flat.size:
                raise IndexError(f"interp: initializer of {s.sym.name!r} has {len(vals)} > {flat.size} values")
            for k, e in enumerate(vals):
                flat[k] = convert(self.expr(e), s.elem.dtype)
        self.env[s.sym] = arr
        self.arrays.add(s.sym)

    def s_Assign(self, s: N.Assign) -> None:
        value = self.expr(s.value)
        if s.op is not None:
            value = self.binop(s.op, self.var(s.sym), value)
        d = self.types.get(s.sym)
        if d is None and s.sym in self.env and not isinstance(self.env[s.sym], (np.ndarray, Ptr)):
            d = dtype_of_value(self.env[s.sym])
        self.env[s.sym] = convert(value, d) if d is not None and not isinstance(value, Ptr) else value

    def s_Store(self, s: N.Store) -> None:
        flat, k = self.location(s.target)
        value = self.expr(s.value)
        if s.op is not None:
            value = self.binop(s.op, flat[k], value)
        flat[k] = convert(value, canonical(flat.dtype.name))

    def s_For(self, s: N.For) -> Any:
        d = canonical(s.var_type.dtype) if isinstance(s.var_type, Scalar) else "int32"
        self.types[s.var] = d
        self.env[s.var] = convert(self.expr(s.start), d)
        while self.binop("<", self.env[s.var], self.expr(s.stop)):
            r = self.block(s.body)
            if r is _BREAK:
                break
            if isinstance(r, _Return):
                return r
            self.env[s.var] = convert(self.binop("+", self.env[s.var], self.expr(s.step)), d)
        return None

    def s_CFor(self, s: N.CFor) -> Any:
        self.block(s.init)
        while s.cond is None or self.expr(s.cond):
            r = self.block(s.body)
            if r is _BREAK:
                break
            if isinstance(r, _Return):
                return r
            self.block(s.update)
        return None

    def s_While(self, s: N.While) -> Any:
        while self.expr(s.cond):
            r = self.block(s.body)
            if r is _BREAK:
                break
            if isinstance(r, _Return):
                return r
        return None

    def s_DoWhile(self, s: N.DoWhile) -> Any:
        while True:
            r = self.block(s.body)
            if r is _BREAK:
                break
            if isinstance(r, _Return):
                return r
            if not self.expr(s.cond):
                break
        return None

    def s_If(self, s: N.If) -> Any:
        return self.block(s.then if self.expr(s.cond) else s.orelse)

    def s_Switch(self, s: N.Switch) -> Any:
        v = self.expr(s.value)
        start = None
        for k, c in enumerate(s.cases):
            if any(self.binop("==", v, self.expr(x)) for x in c.values):
                start = k
                break
        if start is None:
            start = next((k for k, c in enumerate(s.cases) if not c.values), None)
        if start is None:
            return None
        for c in s.cases[start:]:  # C fallthrough
            r = self.block(c.body)
            if r is _BREAK:
                return None
            if r is not None:
                return r
        return None

    def s_Block(self, s: N.Block) -> Any:
        return self.block(s.body)

    def s_Break(self, s: N.Break) -> str:
        return _BREAK

    def s_Continue(self, s: N.Continue) -> str:
        return _CONTINUE

    def s_Return(self, s: N.Return) -> _Return:
        return _Return(None if s.value is None else self.expr(s.value))

    def s_Evaluate(self, s: N.Evaluate) -> None:
        self.expr(s.value)

    def s_Comment(self, s: N.Comment) -> None:
        return None

    # -- expressions -----------------------------------------------------------------------------------
    def expr(self, e: N.Expr) -> Any:
        fn = getattr(self, "e_" + type(e).__name__, None)
        if fn is None:
            raise NotImplementedError(f"interp: expression {type(e).__name__} is not supported")
        return fn(e)

    def var(self, sym: N.Sym) -> Any:
        if sym in self.env:
            v = self.env[sym]
        elif sym in self.defines or sym.name in self._define_by_name:
            d = self.defines.get(sym) or self._define_by_name[sym.name]
            if d.params is not None or d.body is None:
                raise NotImplementedError(f"interp: macro {d.name!r} cannot be used as a value")
            return self.expr(d.body)
        else:
            raise KeyError(f"interp: {sym!r} has no value in env")
        if isinstance(v, (bool, int, float)) and not isinstance(v, np.generic):
            return convert(v, dtype_of_value(v))
        return v

    def e_Const(self, e: N.Const) -> np.generic:
        return convert(e.value, e.dtype)

    def e_Var(self, e: N.Var) -> Any:
        v = self.var(e.sym)
        if isinstance(v, np.ndarray):  # an array decays to a pointer to its first element
            return Ptr(_flat(v, e.sym.name), 0, e.sym.name)
        return v

    def e_Builtin(self, e: N.Builtin) -> Any:
        if e.name not in self.env:
            raise NotImplementedError(f"interp: built-in {e.name!r} (bind it in env by name to use it)")
        v = self.env[e.name]
        return convert(v, dtype_of_value(v)) if isinstance(v, (bool, int, float)) else v

    def e_Load(self, e: N.Load) -> Any:
        got = self.location(e)
        if isinstance(got, Ptr):
            return got
        flat, k = got
        return flat[k]

    def location(self, e: N.Expr) -> Any:
        """(flat array, flat index) of a Load/Deref target; a Ptr for a partial index of a C array."""
        if isinstance(e, N.Deref):
            p = self.expr(e.value)
            return self._ptr_loc(p, 0)
        if not isinstance(e, N.Load):
            raise NotImplementedError(f"interp: store to {type(e).__name__} is not supported")
        idx = [int(self.expr(i)) for i in e.indices]
        if isinstance(e.base, N.Var):
            base = self.var(e.base.sym)
            name = e.base.sym.name
            if isinstance(base, np.ndarray):
                if len(idx) == base.ndim or (len(idx) < base.ndim and e.base.sym in self.arrays):
                    for ax, (i, n) in enumerate(zip(idx, base.shape)):
                        if not 0 <= i < n:
                            raise IndexError(f"interp: index {i} out of bounds for axis {ax} of {name!r} "
                                             f"with shape {base.shape}")
                    k = int(np.ravel_multi_index(tuple(idx) + (0,) * (base.ndim - len(idx)), base.shape))
                    if len(idx) < base.ndim:
                        return Ptr(_flat(base, name), k, name)
                    return _flat(base, name), k
                if len(idx) == 1:
                    return self._ptr_loc(Ptr(_flat(base, name), 0, name), idx[0])
                raise IndexError(f"interp: {len(idx)} indices for {name!r} of shape {base.shape}")
        else:
            base = self.expr(e.base)
        if len(idx) != 1:
            raise NotImplementedError("interp: multiple indices on a pointer expression")
        return self._ptr_loc(base, idx[0])

    @staticmethod
    def _ptr_loc(p: Any, i: int) -> tuple[np.ndarray, int]:
        if not isinstance(p, Ptr):
            raise NotImplementedError(f"interp: indexing a non-pointer value {p!r}")
        k = p.offset + i
        if not 0 <= k < p.flat.size:
            raise IndexError(f"interp: index {k} out of bounds of {p.name!r} with {p.flat.size} elements")
        return p.flat, k

    def e_Deref(self, e: N.Deref) -> Any:
        flat, k = self.location(e)
        return flat[k]

    def e_AddrOf(self, e: N.AddrOf) -> Ptr:
        if isinstance(e.value, N.Load):
            got = self.location(e.value)
            if isinstance(got, Ptr):
                return got
            flat, k = got
            return Ptr(flat, k, getattr(getattr(e.value.base, "sym", None), "name", "<pointer>"))
        raise NotImplementedError(f"interp: address of {type(e.value).__name__} is not supported")

    def e_BinOp(self, e: N.BinOp) -> Any:
        if e.op in ("&&", "||"):
            a = bool(self.expr(e.a))
            if e.op == "&&":
                return np.int32(a and bool(self.expr(e.b)))
            return np.int32(a or bool(self.expr(e.b)))
        return self.binop(e.op, self.expr(e.a), self.expr(e.b))

    def binop(self, op: str, a: Any, b: Any) -> Any:
        if isinstance(a, Ptr) or isinstance(b, Ptr):
            return _ptr_binop(op, a, b)
        if op in ("&&", "||"):
            return np.int32(bool(a) and bool(b)) if op == "&&" else np.int32(bool(a) or bool(b))
        da, db = dtype_of_value(a), dtype_of_value(b)
        if op in ("<<", ">>"):
            d = promote(da)
            if d in FLOATS or promote(db) in FLOATS:
                raise TypeError(f"interp: shift of a float ({da} {op} {db})")
            n = int(b)
            if not 0 <= n < INT_BITS[d]:
                raise ValueError(f"interp: shift count {n} out of range for {d} (undefined in C)")
            x = int(a)
            return convert(x << n if op == "<<" else x >> n, d)  # >> of a negative is arithmetic (gcc)
        d = common_dtype(da, db)
        x, y = convert(a, d), convert(b, d)
        if op in ("<", "<=", ">", ">=", "==", "!="):
            r = {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y, "==": x == y, "!=": x != y}[op]
            return np.int32(bool(r))
        if d in FLOATS:
            if op in ("%", "&", "|", "^"):
                raise TypeError(f"interp: operator {op!r} on {d}")
            return convert({"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}[op](x, y), d)
        xi, yi = int(x), int(y)
        if op == "+":
            r = xi + yi
        elif op == "-":
            r = xi - yi
        elif op == "*":
            r = xi * yi
        elif op in ("/", "%"):
            if yi == 0:
                raise ZeroDivisionError(f"interp: integer {'division' if op == '/' else 'modulo'} by zero")
            q = abs(xi) // abs(yi) * (1 if (xi < 0) == (yi < 0) else -1)  # truncation toward zero
            r = q if op == "/" else xi - q * yi
        elif op == "&":
            r = xi & yi
        elif op == "|":
            r = xi | yi
        elif op == "^":
            r = xi ^ yi
        else:
            raise NotImplementedError(f"interp: binary operator {op!r}")
        return convert(r, d)

    def e_UnOp(self, e: N.UnOp) -> Any:
        a = self.expr(e.a)
        if e.op == "!":
            return np.int32(not bool(a))
        d = promote(dtype_of_value(a))
        if e.op == "+":
            return convert(a, d)
        if e.op == "-":
            return convert(-convert(a, d), d) if d in FLOATS else convert(-int(a), d)
        if d in FLOATS:
            raise TypeError("interp: ~ of a float")
        return convert(~int(a), d)

    def e_Select(self, e: N.Select) -> Any:
        v = self.expr(e.a if self.expr(e.cond) else e.b)
        da, db = self.static_dtype(e.a), self.static_dtype(e.b)
        if da and db and not isinstance(v, Ptr):
            return convert(v, common_dtype(da, db))
        return v

    def e_Cast(self, e: N.Cast) -> Any:
        v = self.expr(e.value)
        if isinstance(e.type, Scalar):
            if isinstance(v, Ptr):
                raise NotImplementedError("interp: cast of a pointer to an integer")
            return convert(v, e.type.dtype)
        if isinstance(e.type, Pointer) and isinstance(v, Ptr):
            pt = e.type.pointee
            if isinstance(pt, Scalar) and (pt.dtype == "void" or canonical(pt.dtype) == canonical(v.flat.dtype.name)):
                return v
            if isinstance(pt, Scalar):
                return _reinterpret(v, canonical(pt.dtype))
            raise NotImplementedError(f"interp: reinterpreting pointer cast of {v.name!r} to {pt}")
        raise NotImplementedError(f"interp: cast to {type(e.type).__name__} is not supported")

    def e_Call(self, e: N.Call) -> Any:
        if e.kind == N.CallKind.MACRO:
            d = self._define_by_name.get(e.name)
            if d is None or d.body is None or d.params is None:
                raise NotImplementedError(f"interp: function-like macro {e.name!r} (pass the module's defines)")
            from xpiler.ir.z3expr import inline_macro_call

            return self.expr(inline_macro_call(d, e.args))
        if e.kind != N.CallKind.MATH:
            raise NotImplementedError(f"interp: {e.kind.value} call {e.name!r} is not supported")
        return call_math(e.name, [self.expr(a) for a in e.args])

    def e_SizeOf(self, e: N.SizeOf) -> np.generic:
        if isinstance(e.arg, Scalar):
            from xpiler import dtypes

            return np.uint64(dtypes.itemsize(e.arg.dtype))
        raise NotImplementedError("interp: sizeof of a non-scalar type or an expression")

    # -- static types (for ?: whose result type is the common type of both arms) -------------------------
    def static_dtype(self, e: N.Expr) -> str | None:
        try:
            if isinstance(e, N.Const):
                return canonical(e.dtype)
            if isinstance(e, N.Cast) and isinstance(e.type, Scalar):
                return canonical(e.type.dtype)
            if isinstance(e, N.Var):
                v = self.env.get(e.sym)
                return None if v is None or isinstance(v, (np.ndarray, Ptr)) else dtype_of_value(v)
            if isinstance(e, N.Load) and isinstance(e.base, N.Var):
                v = self.env.get(e.base.sym)
                return canonical(v.dtype.name) if isinstance(v, np.ndarray) else None
            if isinstance(e, N.BinOp):
                if e.op in ("<", "<=", ">", ">=", "==", "!=", "&&", "||"):
                    return "int32"
                a, b = self.static_dtype(e.a), self.static_dtype(e.b)
                if a and b:
                    return promote(a) if e.op in ("<<", ">>") else common_dtype(a, b)
            if isinstance(e, N.UnOp):
                a = self.static_dtype(e.a)
                return "int32" if e.op == "!" else (promote(a) if a else None)
            if isinstance(e, N.Select):
                a, b = self.static_dtype(e.a), self.static_dtype(e.b)
                return common_dtype(a, b) if a and b else None
        except (NotImplementedError, KeyError):
            return None
        return None


def _ptr_binop(op: str, a: Any, b: Any) -> Any:
    if op == "+" and isinstance(a, Ptr) and not isinstance(b, Ptr):
        return Ptr(a.flat, a.offset + int(b), a.name)
    if op == "+" and isinstance(b, Ptr) and not isinstance(a, Ptr):
        return Ptr(b.flat, b.offset + int(a), b.name)
    if op == "-" and isinstance(a, Ptr) and not isinstance(b, Ptr):
        return Ptr(a.flat, a.offset - int(b), a.name)
    if isinstance(a, Ptr) and isinstance(b, Ptr) and np.shares_memory(a.flat, b.flat):
        if op == "-":
            return np.int64(a.offset - b.offset)
        if op in ("<", "<=", ">", ">=", "==", "!="):
            x, y = a.offset, b.offset
            return np.int32({"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y, "==": x == y, "!=": x != y}[op])
    raise NotImplementedError(f"interp: pointer operation {a!r} {op} {b!r}")


def _reinterpret(p: Ptr, dtype: str) -> Ptr:
    """`(T *)p`: the same bytes viewed as `dtype` (the byte offset must be a multiple of T's size)."""
    new = np.dtype(NUMPY_TYPES[dtype])
    nbytes = p.flat.size * p.flat.itemsize
    byte_off = p.offset * p.flat.itemsize
    if byte_off % new.itemsize:
        raise NotImplementedError(f"interp: misaligned reinterpreting cast of {p.name!r} to {dtype}")
    # View only whole elements of the new type; a trailing partial element is out of bounds anyway.
    whole = p.flat.view(np.uint8)[: nbytes - nbytes % new.itemsize].view(new)
    return Ptr(whole, byte_off // new.itemsize, p.name)


def _flatten_init(e: N.Expr):
    if isinstance(e, N.InitList):
        for x in e.items:
            yield from _flatten_init(x)
    else:
        yield e


# ----------------------------------------------------------------------------------------------------------
# entry points


def run(stmts: tuple | N.Stmt, env: dict, defines: dict | None = None) -> Any:
    """Execute `stmts` with `env` (mutated: buffers in place, locals added). Returns the value of an
    executed `Return` statement, else None."""
    if isinstance(stmts, N.Stmt):
        stmts = (stmts,)
    with np.errstate(all="ignore"):  # C float arithmetic overflows to inf silently
        r = Interpreter(env, defines).block(tuple(stmts))
    return r.value if isinstance(r, _Return) else None


def eval_expr(expr: N.Expr, env: dict, defines: dict | None = None) -> Any:
    """The value of `expr` in `env` (a numpy scalar, or a `Ptr`)."""
    with np.errstate(all="ignore"):
        return Interpreter(env, defines).expr(expr)


def run_func(func: N.Func, args: list, defines: dict | None = None) -> Any:
    """Call `func` with positional `args` (arrays for pointer params, numbers for scalars, converted to
    the parameter types). Arrays are mutated in place; returns the function's return value."""
    if len(args) != len(func.params):
        raise TypeError(f"interp: {func.name} takes {len(func.params)} arguments, got {len(args)}")
    env: dict = {}
    interp = Interpreter(env, defines)
    for p, a in zip(func.params, args):
        if isinstance(p.type, Scalar) and not isinstance(a, np.ndarray):
            d = canonical(p.type.dtype)
            interp.types[p.sym] = d
            env[p.sym] = convert(a, d)
        else:
            env[p.sym] = a
    with np.errstate(all="ignore"):
        r = interp.block(func.body)
    return r.value if isinstance(r, _Return) else None


def type_dtype(t: Type) -> str | None:
    """Canonical dtype of a scalar type (None for other types)."""
    return canonical(t.dtype) if isinstance(t, Scalar) else None
