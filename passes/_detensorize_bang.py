"""Detensorize for BANG C: every `__bang_*`, `__memcpy`/`__memcpy_async`/`__bang_move` and fill call
(`__bang_write_zero`, `__bang_write_value`, `__memset_nram`, `__nramset*`, ...) becomes the scalar loop nest
it stands for. The output stays dialect `bang` (the CPU MLU runtime runs scalar code on NRAM/WRAM/GDRAM
arrays), with the same entry and launch.

How a call is expanded:
* the catalogue entry (`ctx.catalogue("bang")`) gives the loop form; its operands are bound to the call's
  arguments in order (trailing optional operands left out stay None, i.e. their defaults);
* a pointer argument's element type comes from the declarations (parameters, locals, `__nram__` arrays,
  pointer arithmetic, casts); a multi-dimensional array operand is flattened with a cast to its element
  pointer; the element size is the loop forms' `itemsize` type parameter;
* arguments that read memory (`nram_sum[r]`) are evaluated once into a temporary before the loop, as the
  intrinsic evaluates them once;
* copies and fills are written here, not taken from the catalogue, to follow the runtime exactly:
  `__memcpy` moves bytes, so the element loop is used only when both pointers have the same element type
  and Z3 proves the size and strides multiples of it (else a byte loop through `unsigned char` pointers);
  a fill writes elements of the type of its value (double as float), as xp_bang.h does;
* the loop form's own variables get names unused in the module (the printer prints names as they are);
* waits on the core's own pipelines (`__sync()`, `__sync_io()`, ...) are dropped: with every copy a
  synchronous scalar loop there is nothing left to wait for. Cluster/device barriers stay.

Obligations: for every copy, Z3 shows that the element loops touch exactly the bytes the call moves
(each iteration's bytes lie in the same segment at the same offset on both sides, and every byte of every
segment is reached). Limits (declined, nothing changed): intrinsics used as values, the 12-argument
`__memcpy`, `__memcpy` to another cluster, `__bang_conv` with bias, calls whose pointer types cannot be
inferred, intrinsics without a loop form, and non-element-wise intrinsics whose output is the same array
as an input (the runtime computes those through a temporary).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import z3

from xpiler import dtypes
from xpiler.ir import nodes as N
from xpiler.ir.types import Pointer, Scalar, Scope, Type
from xpiler.ir.visit import Rewriter, walk
from xpiler.ir.z3expr import Unsupported, prove, to_z3
from xpiler.pipeline.passes import Obligation, PassContext, PassDeclined, PassResult
from xpiler.pipeline.program import Program

_COPIES = ("__memcpy", "__memcpy_async", "__bang_move")
# waits on the core's own pipelines: nothing is asynchronous once every copy is a scalar loop
_PIPE_WAITS = ("__sync_io", "__sync_move", "__sync_compute", "__sync_io_move_compute")
_FLOAT = ("float16", "bfloat16", "float32", "float64")
# C macros of <math.h> that name float constants
_MATH_CONSTS = {"INFINITY": "float32", "NAN": "float32", "HUGE_VALF": "float32", "HUGE_VAL": "float64",
                "FLT_MAX": "float32", "FLT_MIN": "float32", "FLT_EPSILON": "float32", "M_PI": "float64"}
_RANK = ("bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "size_t",
         "float16", "bfloat16", "float32", "float64")


def applies(program: Program, ctx: PassContext) -> bool:
    return any(_is_intrinsic(n) for n in walk(program.module))


def _is_intrinsic(n: Any) -> bool:
    return isinstance(n, N.Call) and (n.kind is N.CallKind.INTRINSIC or n.name.startswith("__bang_")
                                      or n.name.startswith("__memcpy"))


# ----------------------------------------------------------------------------------------------- types
@dataclasses.dataclass(frozen=True)
class PtrInfo:
    """What a pointer-valued expression points at: element dtype, the extra array dimensions of the
    pointee (a row of `float a[4][8]` has one), and the memory scope when known."""

    elem: str
    rank: int = 0
    scope: Scope | None = None


class Types:
    """Symbol -> declared type for one module (parameters, locals, buffers, loop counters)."""

    def __init__(self, module: N.Module) -> None:
        self.decl: dict[N.Sym, Type] = {}
        self.alloc: dict[N.Sym, N.Alloc] = {}
        self.defines = module.defines()
        for node in walk(module):
            if isinstance(node, (N.Param, N.Decl)):
                self.decl[node.sym] = node.type
            elif isinstance(node, N.Alloc):
                self.alloc[node.sym] = node
            elif isinstance(node, N.For):
                self.decl[node.var] = node.var_type or Scalar("int32")

    def pointer(self, e: N.Expr) -> PtrInfo | None:
        if isinstance(e, N.Var):
            if e.sym in self.alloc:
                a = self.alloc[e.sym]
                if isinstance(a.elem, Scalar):
                    return PtrInfo(a.elem.dtype, max(len(a.shape) - 1, 0), a.scope)
                return None
            t = self.decl.get(e.sym)
            if isinstance(t, Pointer) and isinstance(t.pointee, Scalar):
                return PtrInfo(t.pointee.dtype, 0, t.scope)
            return None
        if isinstance(e, N.Cast):
            t = e.type
            return PtrInfo(t.pointee.dtype, 0, t.scope) if isinstance(t, Pointer) and isinstance(t.pointee, Scalar) \
                else None
        if isinstance(e, N.BinOp) and e.op in ("+", "-"):
            p = self.pointer(e.a)
            if p is not None:
                return p
            return self.pointer(e.b) if e.op == "+" else None
        if isinstance(e, N.Load):
            p = self.pointer(e.base)
            if p is not None and p.rank >= len(e.indices):
                return PtrInfo(p.elem, p.rank - len(e.indices), p.scope)
            return None
        if isinstance(e, N.Select):
            a, b = self.pointer(e.a), self.pointer(e.b)
            return a if a is not None and b is not None and (a.elem, a.rank) == (b.elem, b.rank) else None
        if isinstance(e, N.AddrOf) and isinstance(e.value, N.Load):
            p = self.pointer(e.value.base)
            if p is not None and p.rank == len(e.value.indices) - 1:
                return PtrInfo(p.elem, 0, p.scope)
            return None
        return None

    def dtype(self, e: N.Expr) -> str | None:
        """The C type of a scalar expression (usual arithmetic conversions), None when unknown."""
        if isinstance(e, N.Const):
            return e.dtype
        if isinstance(e, N.Var):
            t = self.decl.get(e.sym)
            if isinstance(t, Scalar):
                return t.dtype
            d = self.defines.get(e.sym.name)
            if d is not None and d.params is None and d.body is not None:
                return self.dtype(d.body)
            return _MATH_CONSTS.get(e.sym.name) if e.sym not in self.decl and e.sym not in self.alloc else None
        if isinstance(e, N.Load):
            p = self.pointer(e.base)
            return p.elem if p is not None and p.rank == len(e.indices) - 1 else None
        if isinstance(e, N.Cast):
            return e.type.dtype if isinstance(e.type, Scalar) else None
        if isinstance(e, N.UnOp):
            return "int32" if e.op == "!" else _promote(self.dtype(e.a))
        if isinstance(e, N.BinOp):
            if e.op in ("<", "<=", ">", ">=", "==", "!=", "&&", "||"):
                return "int32"
            a, b = self.dtype(e.a), self.dtype(e.b)
            if e.op in ("<<", ">>"):
                return _promote(a)
            return _common(a, b)
        if isinstance(e, N.Select):
            return _common(self.dtype(e.a), self.dtype(e.b))
        if isinstance(e, N.SizeOf):
            return "size_t"
        if isinstance(e, N.Call) and e.kind is N.CallKind.MACRO:
            d = self.defines.get(e.name)
            if d is not None and d.params is not None and d.body is not None:
                from xpiler.ir.z3expr import inline_macro_call
                return self.dtype(inline_macro_call(d, e.args))
            return None
        if isinstance(e, N.Call) and e.kind is N.CallKind.MATH:
            args = [self.dtype(a) for a in e.args]
            if e.name in ("max", "min", "abs", "std::max", "std::min", "fmax", "fmin") and all(args):
                return _common(*args) if len(args) == 2 else args[0]
            if e.name.endswith("f"):
                return "float32"
            return "float64"
        return None


def _promote(t: str | None) -> str | None:
    if t in ("bool", "int8", "uint8", "int16", "uint16", "char"):
        return "int32"
    return t


def _common(*ts: str | None) -> str | None:
    if any(t is None for t in ts):
        return None
    ts = tuple(_promote(t) for t in ts)
    return max(ts, key=lambda t: _RANK.index(t) if t in _RANK else -1)


# ----------------------------------------------------------------------------------------------- names
class Names:
    """Fresh display names: never one already used in the module (the printer prints names verbatim)."""

    def __init__(self, module: N.Module) -> None:
        self.used: set[str] = set()
        for n in walk(module):
            for f in ("sym", "var"):
                s = getattr(n, f, None)
                if isinstance(s, N.Sym):
                    self.used.add(s.name)
            if isinstance(n, (N.Func, N.Define, N.Builtin)):
                self.used.add(n.name)

    def fresh(self, base: str) -> str:
        k = 0
        while f"{base}{k}" in self.used:
            k += 1
        name = f"{base}{k}"
        self.used.add(name)
        return name

    def rename_bound(self, stmts: tuple) -> None:
        """Give every symbol a generated loop form binds (loop counters, temporaries) a fresh name. The
        loop form created these Syms for this call alone, so renaming them in place is safe."""
        for n in walk(stmts):
            if isinstance(n, N.For):
                n.var.name = self.fresh(n.var.name + "_")
            elif isinstance(n, N.Decl):
                n.sym.name = self.fresh(n.sym.name + "_")


# ----------------------------------------------------------------------------------------------- expansion
def _reads_memory(e: N.Expr) -> bool:
    return any(isinstance(n, (N.Load, N.Deref, N.OpaqueExpr)) or (isinstance(n, N.Call) and n.kind not in (
        N.CallKind.MATH, N.CallKind.MACRO)) for n in walk(e))


def _base_syms(e: N.Expr) -> set[N.Sym] | None:
    """The arrays a pointer expression may point into (None when unknown)."""
    if isinstance(e, N.Var):
        return {e.sym}
    if isinstance(e, N.BinOp) and e.op in ("+", "-"):
        return _base_syms(e.a)
    if isinstance(e, N.Cast):
        return _base_syms(e.value)
    if isinstance(e, N.Load):
        return _base_syms(e.base)
    if isinstance(e, N.AddrOf):
        return _base_syms(e.value)
    if isinstance(e, N.Select):
        a, b = _base_syms(e.a), _base_syms(e.b)
        return None if a is None or b is None else a | b
    return None


def _count_expr(text: str, args: dict, entry) -> N.Expr | None:
    """A catalogue operand count (a Python expression over operand names: `channel * height * width`,
    `(x // (stride_y or kernel_h) + 1)`) as an IR expression of the call's arguments; None when an operand
    it names is absent or the form is not understood."""
    import ast

    defaults = entry.extra.get("defaults", {})

    def conv(n):
        if isinstance(n, ast.Name):
            if n.id in args:
                return args[n.id]
            if n.id in defaults:
                return conv(ast.parse(defaults[n.id], mode="eval").body)
            raise KeyError(n.id)
        if isinstance(n, ast.Constant) and isinstance(n.value, int):
            return N.Const(n.value)
        if isinstance(n, ast.BinOp):
            op = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "/"}.get(type(n.op))
            if op is None:
                raise KeyError(type(n.op).__name__)
            return N.BinOp(op, conv(n.left), conv(n.right))
        if isinstance(n, ast.BoolOp) and isinstance(n.op, ast.Or):  # `stride_y or kernel_h`: the given one
            for v in n.values:
                if not isinstance(v, ast.Name) or v.id in args:
                    return conv(v)
            return conv(n.values[-1])
        raise KeyError(type(n).__name__)

    try:
        return conv(ast.parse(text, mode="eval").body)
    except (KeyError, SyntaxError):
        return None


def _i64() -> Scalar:
    return Scalar("int64", "long long")


class _Expander:
    def __init__(self, program: Program, ctx: PassContext) -> None:
        self.cat = ctx.catalogue("bang")
        self.types = Types(program.module)
        self.names = Names(program.module)
        self.defines = self.types.defines
        self.obligations: list[Obligation] = []
        self.counts: dict[str, int] = {}
        self.params = {p.sym for f in program.module.funcs() for p in f.params}
        self.facts: dict[int, Any] = {}  # id(call) -> dependence facts of its function
        self.ptr_values: dict[N.Sym, list] = {}  # pointer variable -> every value it is given (None: unknown)
        for n in walk(program.module):
            if isinstance(n, N.Decl) and isinstance(n.type, Pointer):
                self.ptr_values.setdefault(n.sym, []).append(n.init)
            elif isinstance(n, N.Assign) and isinstance(self.types.decl.get(n.sym), Pointer):
                self.ptr_values.setdefault(n.sym, []).append(n.value if n.op is None else N.BinOp(
                    n.op, N.Var(n.sym), n.value))
            elif isinstance(n, N.AddrOf) and isinstance(n.value, N.Var):
                self.ptr_values.setdefault(n.value.sym, []).append(None)
        for k in self.ptr_values:
            if any(v is None for v in self.ptr_values[k]):
                self.ptr_values[k] = []
        from . import _deps as D

        for f in program.module.funcs():
            if f.is_declaration:
                continue
            facts = None
            for n in walk(f):
                if _is_intrinsic(n):
                    facts = facts or D.FuncFacts(f, program.module)
                    self.facts[id(n)] = facts

    # -- helpers
    def _temp(self, base: str, t: Type, value: N.Expr, pre: list) -> N.Expr:
        s = N.Sym(self.names.fresh(base))
        pre.append(N.Decl(s, t, value, const=True))
        return N.Var(s)

    def _ptr_arg(self, call: N.Call, e: N.Expr, pre: list, want: str | None = None) -> tuple[N.Expr, PtrInfo]:
        """The pointer argument as an element pointer (flattened, optionally re-typed to `want`)."""
        p = self.types.pointer(e)
        if p is None:
            raise PassDeclined(f"detensorize(bang): cannot tell the element type of {call.name}'s pointer operand")
        scope = p.scope or Scope.NRAM
        if _reads_memory(e):
            e = self._temp("p", Pointer(Scalar(p.elem), scope), e if p.rank == 0 else
                           N.Cast(Pointer(Scalar(p.elem), scope), e), pre)
            p = PtrInfo(p.elem, 0, scope)
        if want is not None and want != p.elem:
            return N.Cast(Pointer(Scalar(want), scope), e), PtrInfo(want, 0, scope)
        if p.rank:
            return N.Cast(Pointer(Scalar(p.elem), scope), e), PtrInfo(p.elem, 0, scope)
        return e, p

    def _scalar_arg(self, e: N.Expr, pre: list, t: Scalar) -> N.Expr:
        return self._temp("v", t, e, pre) if _reads_memory(e) else e

    def _int_z3(self, e: N.Expr):
        return to_z3(e, None, self.defines)

    def _divisible(self, exprs, k: int) -> bool:
        if k == 1:
            return True
        try:
            return all(prove(self._int_z3(e) % k == 0, timeout_ms=2000)[0] for e in exprs)
        except Unsupported:
            return False

    # -- operands that may overlap: one memory object reached through casts and offsets
    def roots(self, e: N.Expr, depth: int = 0, seen: frozenset = frozenset()) -> set[N.Sym] | None:
        """The buffers (parameters, arrays) a pointer expression may point into: a pointer variable stands
        for every value it is declared or assigned with. None when unknown."""
        syms = _base_syms(e)
        if syms is None or depth > 8:
            return None
        out: set[N.Sym] = set()
        for x in syms:
            if x in self.params or x in self.types.alloc or not isinstance(self.types.decl.get(x), Pointer):
                out.add(x)
                continue
            if x in seen:  # `p += k`: p's own values, collected elsewhere
                continue
            values = self.ptr_values.get(x)
            if not values:
                return None
            for v in values:
                r = self.roots(v, depth + 1, seen | {x})
                if r is None:
                    return None
                out |= r
        return out

    def _disjoint(self, call: N.Call, entry, args: dict, out_op: tuple, in_op: tuple) -> bool:
        """Z3: the bytes `call` writes through `out_e` and reads through `in_e` do not overlap. Both
        pointers are resolved to (buffer, offset) through declarations, casts and pointer arithmetic
        (`_deps.FuncFacts.view`); their extents are the catalogue's operand counts; every scalar has one
        value at the call, and single-assignment scalars are replaced by their initializers."""
        from . import _deps as D

        facts = self.facts.get(id(call))
        if facts is None:
            return False
        spans = []
        for name, e in (out_op, in_op):
            base, off, _ = facts.view(e)
            p = self.types.pointer(e)
            op = next((o for o in entry.operands if o.name == name), None)
            if base is None or p is None or p.elem == "void" or op is None or not op.count:
                return False
            count = _count_expr(op.count, {**args, "itemsize": N.Const(dtypes.itemsize(p.elem))}, entry)
            bsz = facts._base_elem_size(base)
            if count is None or bsz is None:
                return False
            spans.append((base, N.BinOp("*", off, N.Const(bsz)), N.BinOp("*", count, N.Const(dtypes.itemsize(p.elem)))))
        (b1, o1, n1), (b2, o2, n2) = spans
        if b1 is not b2:  # two objects (distinct pointer parameters do not alias: the entry contract)
            return True
        inst = D.Instance("call", facts)
        claim = N.BinOp("||", N.BinOp("<=", N.BinOp("+", o1, n1), o2), N.BinOp("<=", N.BinOp("+", o2, n2), o1))
        claim = inst._inline(claim)
        env = {n.sym: z3.Int(f"{n.sym.name}!{n.sym.id}") for n in walk(claim)
               if isinstance(n, N.Var) and n.sym.name not in self.defines}
        try:
            ok, _ = prove(to_z3(claim, env, self.defines), timeout_ms=3000)
        except (Unsupported, ValueError, z3.Z3Exception):
            return False
        return ok

    # -- one call
    def expand(self, call: N.Call) -> tuple[N.Stmt, ...]:
        name = call.name
        entry = self.cat.get(name)
        if entry is None:
            raise PassDeclined(f"detensorize(bang): {name} is not in the bang catalogue")
        self.counts[name] = self.counts.get(name, 0) + 1
        if name in _COPIES:
            return self._copy(call, entry)
        if entry.category == "fill":
            return self._fill(call, entry)
        return self._generic(call, entry)

    def _bind(self, call: N.Call, entry) -> dict[str, N.Expr]:
        pseudo = set(entry.extra.get("pseudo", ()))
        ops = [o for o in entry.operands if o.name not in pseudo]
        optional = set(entry.extra.get("optional", ()))
        required = [o for o in ops if o.name not in optional]
        ws = entry.extra.get("workspace_form")
        if ws is not None and len(call.args) == ws["arity"]:
            # a workspace operand (MLU270 `__bang_div(dst, src0, src1, src_addition, n)`): the hardware
            # clobbers it, so leaving it unwritten is one of its behaviours; it must still be a vector
            if self.types.pointer(call.args[ws["at"]]) is None:
                raise PassDeclined(f"detensorize(bang): {call.name}: the workspace operand is not a pointer")
            call = dataclasses.replace(call, args=call.args[:ws["at"]] + call.args[ws["at"] + 1:])
        if not len(required) <= len(call.args) <= len(ops):
            raise PassDeclined(f"detensorize(bang): {call.name} with {len(call.args)} arguments is not handled")
        return {o.name: a for o, a in zip(ops, call.args)}

    def _scalar_overload(self, call: N.Call, entry):
        """`__bang_div(dst, src, value, n)`: a binary intrinsic called with a scalar second operand is its
        `_scalar` form (the runtime's overloads, xp_bang.h XPB_SCALAR)."""
        ptrs = [o for o in entry.operands if o.role in ("out", "in", "inout")]
        if len(ptrs) != 3 or len(call.args) != len(entry.operands) or entry.category != "elementwise":
            return None
        k = [o.name for o in entry.operands].index(ptrs[2].name)
        a = call.args[k]
        if self.types.pointer(a) is not None or self.types.dtype(a) is None:
            return None
        alt = self.cat.get(call.name + "_scalar")
        return alt

    def _generic(self, call: N.Call, entry) -> tuple[N.Stmt, ...]:
        alt = self._scalar_overload(call, entry)
        if alt is not None:
            entry = alt
        if entry.loop_form is None:
            raise PassDeclined(f"detensorize(bang): {call.name} has no scalar loop form")
        args = self._bind(call, entry)
        pre: list[N.Stmt] = []
        exprs: dict[str, N.Expr] = {}
        elem = None
        outs, ins = [], []
        for o in entry.operands:
            if o.name not in args:
                continue
            a = args[o.name]
            if o.role in ("out", "in", "inout"):
                e, p = self._ptr_arg(call, a, pre)
                exprs[o.name] = e
                elem = elem or p.elem
                (outs if o.role in ("out", "inout") else ins).append((o.name, a))
            elif o.role == "enum":
                exprs[o.name] = a
            else:
                if self.types.pointer(a) is not None:  # another overload (`__bang_conv` with a bias pointer)
                    raise PassDeclined(f"detensorize(bang): {call.name}: a pointer where {o.name} is expected")
                is_value = any(t in _FLOAT for t in o.dtypes)
                exprs[o.name] = self._scalar_arg(a, pre, Scalar("float64", "double") if is_value else _i64())
        if entry.category != "elementwise":
            for dn, d in outs:
                for sn, s in ins:
                    bd, bs = self.roots(d), self.roots(s)
                    if (bd is None or bs is None or bd & bs) and not self._disjoint(call, entry, args, (dn, d), (sn, s)):
                        raise PassDeclined(f"detensorize(bang): {call.name} may write an array it reads")
        tparams = {}
        if "itemsize" in entry.extra.get("type_params", {}):
            tparams["itemsize"] = dtypes.itemsize(elem or "float32")
        form = entry.loop_form(**exprs, **tparams)
        if form is None:
            raise PassDeclined(f"detensorize(bang): {call.name} in this form has no scalar loop form")
        body = tuple(form)
        self.names.rename_bound(body)
        return self._wrap(tuple(pre) + body)

    @staticmethod
    def _wrap(stmts: tuple) -> tuple[N.Stmt, ...]:
        if any(isinstance(s, (N.Decl, N.Alloc)) for s in stmts):
            return (N.Block(stmts),)
        return stmts

    def _loop(self, stop: N.Expr, body_fn, base: str) -> N.For:
        v = N.Sym(self.names.fresh(base))
        return N.For(v, N.Const(0), stop, N.Const(1), tuple(body_fn(N.Var(v))), var_type=Scalar("int32", "int"))

    # -- fills: the element type is the type of the value (double -> float; bool -> char)
    def _fill(self, call: N.Call, entry) -> tuple[N.Stmt, ...]:
        args = self._bind(call, entry)
        pre: list[N.Stmt] = []
        if "value" in args:
            vt = self.types.dtype(args["value"])
            if vt is None or vt in ("size_t",):
                raise PassDeclined(f"detensorize(bang): cannot tell the type of {call.name}'s value")
            vt = {"float64": "float32", "bool": "int8"}.get(vt, vt)
            value = self._scalar_arg(args["value"], pre, Scalar(vt))
        else:  # write_zero: elements of dst's type
            p = self.types.pointer(args["dst"])
            if p is None:
                raise PassDeclined(f"detensorize(bang): cannot tell the element type of {call.name}'s operand")
            vt, value = ("uint8" if p.elem == "void" else p.elem), N.Const(0)
        dst, _ = self._ptr_arg(call, args["dst"], pre, want=vt)
        n = self._scalar_arg(args["n"], pre, _i64())
        loop = self._loop(n, lambda i: [N.Store(N.Load(dst, (i,)), value)], "i")
        return self._wrap(tuple(pre) + (loop,))

    # -- copies: bytes, as elements when provably whole elements
    def _copy(self, call: N.Call, entry) -> tuple[N.Stmt, ...]:
        nargs = len(call.args)
        three = call.name == "__bang_move"
        if (three and nargs not in (3, 6)) or (not three and nargs not in (4, 7)):
            raise PassDeclined(f"detensorize(bang): {call.name} with {nargs} arguments is not handled")
        dst_a, src_a, size_a = call.args[:3]
        rest = call.args[3:] if three else call.args[4:]
        strided = len(rest) == 3
        pre: list[N.Stmt] = []
        pd, ps = self.types.pointer(dst_a), self.types.pointer(src_a)
        if pd is None or ps is None:
            raise PassDeclined(f"detensorize(bang): cannot tell the element types of {call.name}'s operands")
        sizes = [size_a] + (list(rest[:2]) if strided else [])
        elem = pd.elem if pd.elem == ps.elem and pd.elem != "void" else "uint8"
        isz = dtypes.itemsize(elem)
        if not self._divisible(sizes, isz):
            elem, isz = "uint8", 1
        dst, _ = self._ptr_arg(call, dst_a, pre, want=elem)
        src, _ = self._ptr_arg(call, src_a, pre, want=elem)
        size = self._scalar_arg(size_a, pre, _i64())
        k = N.Const(isz)
        per = N.BinOp("/", size, k) if isz > 1 else size
        if not strided:
            loop = self._loop(per, lambda e: [N.Store(N.Load(dst, (e,)), N.Load(src, (e,)))], "e")
            seg = None
            dstride = sstride = segnum = N.Const(0)
        else:
            dstride, sstride, segnum = (self._scalar_arg(x, pre, _i64()) for x in rest)
            dstep = N.BinOp("/", dstride, k) if isz > 1 else dstride
            sstep = N.BinOp("/", sstride, k) if isz > 1 else sstride

            def seg_body(s):
                return [self._loop(per, lambda e: [N.Store(
                    N.Load(dst, (N.BinOp("+", N.BinOp("*", s, dstep), e),)),
                    N.Load(src, (N.BinOp("+", N.BinOp("*", s, sstep), e),)))], "e")]

            loop = self._loop(N.BinOp("+", segnum, N.Const(1)), seg_body, "s")
            seg = loop
        self.obligations.append(self._copy_obligation(call, loop, seg, isz, size, dstride, sstride, segnum))
        return self._wrap(tuple(pre) + (loop,))

    def _copy_obligation(self, call, loop, seg, isz, size, dstride, sstride, segnum) -> Obligation:
        defines = self.defines

        def check():
            try:
                inner = loop.body[0] if seg is not None else loop
                store = inner.body[0]
                s_sym = seg.var if seg is not None else None
                e_sym = inner.var
                sv, ev, bv = z3.Int("seg!"), z3.Int("elem!"), z3.Int("byte!")
                jv = z3.Int("j!")
                env = {e_sym: ev}
                if s_sym is not None:
                    env[s_sym] = sv
                S = to_z3(size, None, defines)
                DS, SS, SN = (to_z3(x, None, defines) for x in (dstride, sstride, segnum))
                per_stop = to_z3(inner.stop, env, defines)
                segs = to_z3(seg.stop, env, defines) if seg is not None else z3.IntVal(1)
                s_val = sv if s_sym is not None else z3.IntVal(0)
                dix = to_z3(store.target.indices[0], env, defines)
                six = to_z3(store.value.indices[0], env, defines)
                pre = [S > 0, SN >= 0, z3.Or(SN == 0, z3.And(DS >= S, SS >= S))]
                dom = z3.And(0 <= s_val, s_val < segs, 0 <= ev, ev < per_stop)
                # 1. every byte an iteration moves is a byte of its segment, at the same offset on both sides
                off = dix * isz + jv - s_val * DS
                sound = z3.Implies(z3.And(dom, 0 <= jv, jv < isz),
                                   z3.And(0 <= off, off < S, six * isz + jv - s_val * SS == off))
                ok1, m1 = prove(sound, pre)
                if not ok1:
                    return (False if m1 is not None else None), f"{call.name}: loop bytes outside the copied range"
                # 2. every byte of every segment is moved by the iteration (s, byte / itemsize)
                env2 = dict(env)
                env2[e_sym] = bv / isz if isz > 1 else bv
                q = env2[e_sym]
                dom2 = z3.And(0 <= q, q < to_z3(inner.stop, env2, defines), 0 <= s_val, s_val < segs)
                dix2 = to_z3(store.target.indices[0], env2, defines)
                cover = z3.Implies(z3.And(0 <= s_val, s_val <= SN, 0 <= bv, bv < S),
                                   z3.And(dom2, dix2 * isz <= s_val * DS + bv, s_val * DS + bv < dix2 * isz + isz))
                ok2, m2 = prove(cover, pre)
                if not ok2:
                    return (False if m2 is not None else None), f"{call.name}: some copied bytes are not moved"
                return True, f"{call.name}: element loops move exactly the copied bytes ({isz}-byte elements)"
            except Unsupported as err:
                return None, f"{call.name}: not modelled ({err})"

        return Obligation(f"detensorize(bang): {call.name} loops cover its bytes", check)


class _Rewrite(Rewriter):
    def __init__(self, ex: _Expander) -> None:
        self.ex = ex

    def rewrite_Evaluate(self, node: N.Evaluate):
        v = node.value
        if _is_intrinsic(v):
            return self.ex.expand(v)
        if isinstance(v, N.Call) and v.name in _PIPE_WAITS and not v.args:
            self.ex.counts[v.name] = self.ex.counts.get(v.name, 0) + 1
            return ()
        return None

    def rewrite_Barrier(self, node: N.Barrier):
        if node.scope is N.BarrierScope.CORE:  # `__sync()`: the core's own pipelines
            self.ex.counts["__sync"] = self.ex.counts.get("__sync", 0) + 1
            return ()
        return None


def run(program: Program, ctx: PassContext) -> PassResult:
    ex = _Expander(program, ctx)
    module = _Rewrite(ex).rewrite(program.module)
    left = sorted({n.name for n in walk(module) if _is_intrinsic(n)})
    if left:
        raise PassDeclined(f"detensorize(bang): intrinsics used as values are not handled: {', '.join(left)}")
    notes = [f"detensorize(bang): {k} x{v} -> scalar loops" for k, v in sorted(ex.counts.items())]
    return PassResult(program.replace(module=module), obligations=ex.obligations, notes=notes,
                      changed=bool(ex.counts))
